"""Every error Token Workbench raises on purpose, and the one place that turns them into words.

The tree (every class that derives from `WorkbenchError` is defined in this module; a few
are also importable from the module that raises them, for readers of that module)::

    WorkbenchError                 base; `str(exc)` is already a user-facing sentence
    ├── InputError                 the user gave us something we cannot use
    │   ├── TokenFormatError       not a decodable JWT (segments, base64url, JSON, size)
    │   ├── KeyFormatError         a PEM / JWK / JWKS we cannot load, or a key of the wrong kind
    │   ├── ProfileError           unknown profile, bad profile name, invalid profile file
    │   │   ├── ProfileExistsError a profile of that name exists already
    │   │   ├── UntrustedProfileError  a profile file would send requests elsewhere or turn TLS off
    │   │   └── NoKeySlotError     the profile's preset signs nothing with a key of the user's
    │   ├── PresetError            unknown preset or an invalid preset file
    │   │   └── PresetFieldError   ... about one field (carries `path`), for a profile's `[override]`
    │   ├── DpopError              no usable DPoP key, or a URL a DPoP proof cannot name
    │   ├── ClientCertError        an mTLS client certificate we cannot use (unreadable, not its key, expired)
    │   ├── TemplateError          a request template that does not render
    │   ├── OriginError            a request would carry credentials to an origin not trusted
    │   ├── SavedRequestError      a saved request (or its file) that cannot be used as it is
    │   └── LoginCancelled         the user cancelled an interactive login
    ├── CancelledError             the user cancelled a token request (no retry follows)
    ├── StorageError               WORKBENCH_HOME (or a folder in it) cannot be used
    ├── VaultError                 the keychain refused a read or write
    │   ├── VaultUnavailableError  no usable keyring backend
    │   └── VaultDamagedError      a stored value cannot be reassembled (missing part, bad checksum)
    ├── SecretReferenceError       an `env:`/`cmd:` secret reference did not resolve
    ├── TokenUnavailableError      no valid token stored and no way (left) to obtain one
    ├── LockTimeoutError           another thread or process held a profile's token lock too long
    ├── FlightTimeoutError         a caller gave up waiting for the token request it joined
    ├── LoginTimedOut              no answer came back to an interactive login in time
    ├── NetworkError               we could not talk to the provider at all
    │   ├── NetworkTimeoutError    ... within the timeout (the overall deadline of the request)
    │   └── NetworkTLSError        ... because TLS failed (never retried)
    └── ProviderError              the provider answered, but not with what we need
        ├── ProviderAuthError      401/403: credentials or token refused
        ├── ProviderRateLimited    429 (carries `retry_after`)
        ├── OAuthError             the authorization server said no (RFC 6749 §5.2 / §4.1.2.1)
        └── ProviderResponseError  2xx we cannot use: not JSON, no token where the preset says
            └── ResponseTooLargeError  an answer over its byte budget (cut off, never held)

An error about one input names it in `field` ("name", "base_url", "vars.key_id",
"secrets.api_key", "settings.timeout", "settings.allowed_origins"; "" when it concerns no one
field), so a form marks the field without reading the message, and an error met elsewhere (a
request, a login) whose fix is a profile setting says where the GUI sets it.

Messages never contain secret values: callers build them from names, and
`workbench.core.redact.redact` scrubs anything that looks like a token before
a provider's own message is kept.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base class. The message is a complete, single-line sentence for the user.

    Attributes:
        hint: what to do, shown after the message.
        field: the input the error concerns (see the module docstring), or "".
    """

    hint: str = ""
    field: str = ""

    def __init__(self, message: str, *, hint: str = "", field: str = "") -> None:
        super().__init__(message)
        if hint:
            self.hint = hint
        if field:
            self.field = field


class InputError(WorkbenchError):
    pass


class TokenFormatError(InputError):
    pass


class KeyFormatError(InputError):
    pass


class ProfileError(InputError):
    pass


class ProfileExistsError(ProfileError):
    """A profile of that name exists already (the one wording for `add`, `import` and the editor)."""

    field = "name"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"a profile named '{name}' already exists",
            hint=f"remove it first with `workbench profile rm {name}`, or pick another name",
        )


class DpopError(InputError):
    pass


class ClientCertError(InputError):
    pass


class PresetError(InputError):
    pass


class TemplateError(InputError):
    pass


class CancelledError(WorkbenchError):
    pass


class UntrustedProfileError(ProfileError):
    """A profile file would send requests outside its base URL's origin or turn TLS off."""


class NoKeySlotError(ProfileError):
    """The profile's preset signs nothing with a key of the user's."""


class PresetFieldError(PresetError):
    """A PresetError about one field (`path`, relative to the preset), used for a profile's
    `[override]`; `where` is that path as the message writes it (`mint.response.access_token`)."""

    def __init__(self, path: tuple[str | int, ...], detail: str, *, where: str) -> None:
        super().__init__(f"{where}: {detail}")
        self.path = path
        self.detail = detail


class OriginError(InputError):
    """A request would carry a profile's credentials to an origin it does not trust."""


class SavedRequestError(InputError):
    """A saved request (or its file) that cannot be used as it is."""


class LoginCancelled(InputError):
    """The user cancelled an interactive login (Ctrl-C, the GUI's Cancel, a closed prompt)."""


class StorageError(WorkbenchError):
    """WORKBENCH_HOME, or a folder or file under it, is not usable (not a directory, not writable)."""


class VaultError(WorkbenchError):
    pass


class VaultUnavailableError(VaultError):
    pass


class VaultDamagedError(VaultError):
    """A chunked value whose parts are missing or do not match their checksum. For a cached token
    this is a cache miss; for a secret the user gave, the message says how to store it again."""


class SecretReferenceError(WorkbenchError):
    """A secret reference could not be resolved (variable unset, command failed or hung)."""


class TokenUnavailableError(WorkbenchError):
    """No valid token is stored and the preset has no way (left) to obtain one."""


class LockTimeoutError(WorkbenchError):
    """Another thread or process held a profile's token lock for too long."""


class FlightTimeoutError(WorkbenchError):
    """A follower gave up waiting for the flight it joined."""


class LoginTimedOut(WorkbenchError):
    """No answer came back within the login's timeout."""


class NetworkError(WorkbenchError):
    pass


class NetworkTimeoutError(NetworkError):
    pass


class NetworkTLSError(NetworkError):
    """The TLS handshake failed (certificate not trusted, protocol mismatch): retrying cannot help."""


class ProviderError(WorkbenchError):
    """The provider answered with an error. `provider_message` is its own words (redacted)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        provider_message: str | None = None,
        error_type: str | None = None,
        hint: str = "",
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.provider_message = provider_message
        self.error_type = error_type


class ProviderAuthError(ProviderError):
    pass


class ProviderRateLimited(ProviderError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class OAuthError(ProviderError):
    """The authorization server said no (an RFC 6749 §5.2 / §4.1.2.1 error), or the login failed."""


class ProviderResponseError(ProviderError):
    pass


class ResponseTooLargeError(ProviderResponseError):
    pass


def user_message(exc: BaseException, *, hint: bool | str = True) -> str:
    """One line for the user, for the CLI's stderr and the GUI's error banner alike.

    `hint`: True, the error's own; False, none (a front end that words it itself, as a
    countdown); a text, that instead (a front end's words for the same fix: the GUI names the
    field of its profile editor where the CLI names `profile set --set`)."""
    if isinstance(exc, WorkbenchError):
        text = str(exc)
        shown = exc.hint if hint is True else hint or ""
        if shown:
            text = f"{text} ({shown})"
    elif isinstance(exc, KeyboardInterrupt):
        text = "interrupted"
    elif isinstance(exc, OSError):
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        text = f"{exc.strerror or exc.__class__.__name__}{where}"
    else:
        # Unexpected: name the type but never dump internals (they may hold secrets).
        text = f"internal error ({exc.__class__.__name__}); please report it with the command you ran"
    # One line, and nothing a terminal would act on (a hostile file's key could hold escape sequences).
    text = " ".join(text.split())
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else "?" for ch in text)

"""Log in, sign out, discover: the interactive OAuth operations the CLI and the GUI both call.

`login(ctx, name, ...)` runs the grant the profile's preset names in `[oauth] grant`:

* `authorization_code`: PKCE S256 + `state` + (with `openid` in scope) `nonce`; a loopback
  listener (`oauth_loopback`) on `127.0.0.1`; the system browser via `webbrowser` (so
  `$BROWSER` is honoured), opened on its own thread so a browser command that never returns
  cannot hold the login; the URL is always handed to `on_prompt` as well.
* `device_code` (RFC 8628): the user code and verification URI go to `on_prompt`; the token
  endpoint is polled at `interval`, 5 s slower after each `slow_down`; `access_denied` and
  `expired_token` stop it with one line.

Either way the answer's `id_token` is validated (`oauth.validate_id_token`) and kept in the
vault as `id_token` (never sent as a bearer), and the tokens go through the engine
(`TokenEngine.store_login`), so `token` and `call` use and refresh them from then on.

`cancel` (a `threading.Event`) stops a login from another thread (the GUI's Cancel); Ctrl-C
does the same in the CLI. The listener's port is freed in every case.

`revoke(ctx, name)` revokes the stored refresh token (RFC 7009) where the issuer offers it;
`sign_out` revokes and forgets the profile's tokens; `discover_endpoints` is the profile
editor's "Fetch endpoints from issuer".
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from workbench.core.engine.answers import parse_duration
from workbench.core.engine.flows import template_vars
from workbench.core.errors import InputError, ProviderResponseError
from workbench.core.jose.client_tls import ProfileTls, vault_tls
from workbench.core.net.client import overall_deadline
from workbench.core.net.origins import check_origin
from workbench.core.oauth.discovery import DiscoveryCache, OAuthTransport, discover, resolve_endpoints
from workbench.core.oauth.loopback import LoginTimedOut, LoopbackReceiver
from workbench.core.oauth.mtls import bound_required, mtls_aliases
from workbench.core.oauth.par import par_endpoint, push, sign_request, wants_jar
from workbench.core.oauth.params import authorization_params
from workbench.core.oauth.protocol import (
    DEVICE_CODE_GRANT,
    ClientCredentials,
    Endpoints,
    LoginCancelled,
    OAuthError,
    Pkce,
    authorization_url,
    client_credentials_from,
    error_line,
    matches_issuer,
    new_nonce,
    new_pkce,
    new_state,
)
from workbench.core.oauth.sender import (
    DpopLogin,
    check_bound,
    check_offered,
    dpop_for_login,
    dpop_hint,
    post_form,
)
from workbench.core.profiles.secret_refs import load_input
from workbench.core.storage import paths

if TYPE_CHECKING:
    import httpx

    from workbench.core.context import AppContext
    from workbench.core.engine.token_engine import TokenResult
    from workbench.core.profiles.profile import Profile

Grant = Literal["authorization_code", "device_code"]
GRANTS: tuple[Grant, ...] = ("authorization_code", "device_code")
ID_TOKEN = "id_token"  # noqa: S105 - a vault entry name, not a value

DEFAULT_LOGIN_TIMEOUT = 300.0
DEFAULT_DEVICE_INTERVAL = 5.0  # RFC 8628 §3.5: also the floor (an interval of 0.001 is a flood)
SLOW_DOWN_STEP = 5.0  # RFC 8628 §3.5
MAX_SHOWN_CHARS = 2048  # a user code or verification URI longer than this is not for a person


@dataclass(frozen=True)
class LoginPrompt:
    """What the user must do now. `kind` "browser": open `url` (we tried to); "device": go to
    `url` and type `user_code` (or open `verification_uri_complete`)."""

    kind: Literal["browser", "device"]
    url: str = field(repr=False)  # the authorization URL carries state and the PKCE challenge
    user_code: str = ""
    verification_uri_complete: str = field(default="", repr=False)
    expires_in: float | None = None
    browser_opened: bool | None = None  # None: not tried (--no-browser / device code)


@dataclass(frozen=True)
class LoginOutcome:
    profile: str
    grant: Grant
    token: TokenResult
    id_token_claims: dict[str, Any] | None = field(default=None, repr=False)
    scope: str | None = None  # the granted scope
    refresh_token: bool = True  # whether the server granted one


Opener = Callable[[str], bool]


def default_opener(url: str) -> bool:
    import webbrowser

    try:
        return bool(webbrowser.open(url, new=1, autoraise=True))
    except Exception:  # a broken $BROWSER entry or a missing display: the URL is printed anyway
        return False


def open_in_browser(url: str, *, wait: float = 1.5) -> bool | None:
    """Open `url` in the user's browser the way `workbench login` does (`webbrowser`, so
    `$BROWSER` is honoured): True opened, False could not (say so and show the URL), None
    the browser command is still running after `wait` s (started). For a front end's "Open
    the sign-in page" / "Open browser again"; blocks up to `wait` s: run it off the GUI thread."""
    return _open_in_background(lambda target: default_opener(target), url, wait=wait)


# --------------------------------------------------------------------------- profile helpers


def oauth_section(profile: Profile) -> Mapping[str, Any] | None:
    data = profile.preset.data.get("oauth")
    return data if isinstance(data, Mapping) else None


def grant_of(profile: Profile) -> Grant | None:
    section = oauth_section(profile)
    grant = section.get("grant") if section else None
    return grant if grant in GRANTS else None


def is_interactive(profile: Profile) -> bool:
    """True for presets whose tokens come from `workbench login` (a user in a browser)."""
    return grant_of(profile) is not None


def uses_discovery(profile: Profile) -> bool:
    section = oauth_section(profile)
    return bool(section) and section.get("discovery", True) is not False  # type: ignore[union-attr]


def oauth_vars(profile: Profile) -> dict[str, str]:
    return template_vars(profile)


def profile_transport(
    profile: Profile, transport: httpx.BaseTransport | None, tls: ProfileTls | None = None
) -> OAuthTransport:
    """The profile's OAuth requests; with `tls`, its client certificate and trust anchors (mTLS)."""
    timeout = profile.settings.get("timeout")
    seconds = float(timeout) if isinstance(timeout, int | float) and not isinstance(timeout, bool) else 10.0
    verify = profile.settings.get("verify_tls", True) is not False
    context = tls.context(profile, verify=verify) if tls is not None else None
    return OAuthTransport(
        timeout=seconds,
        verify_tls=verify,
        transport=transport,
        origin_check=origin_check_for(profile),
        ssl_context=context,
    )


def origin_check_for(profile: Profile) -> Callable[[str], None]:
    """The origin rule for `profile`'s OAuth requests, applied to each one as it is sent: its own
    origin (the issuer), the endpoints its discovery and vars name, its allowed_origins."""

    def check(origin: str) -> None:
        check_origin(profile, origin, what=f"{profile.name} OAuth request")

    return check


def discovery_cache() -> DiscoveryCache:
    return DiscoveryCache(paths.state_dir())


def profile_endpoints(
    profile: Profile,
    transport: OAuthTransport,
    *,
    refresh: bool = False,
    cache: DiscoveryCache | None = None,
) -> Endpoints:
    """The endpoints of an OAuth profile (its base URL is the issuer), vars overriding discovery."""
    return resolve_endpoints(
        profile.base_url,
        oauth_vars(profile),
        profile=profile.name,
        transport=transport,
        cache=cache if cache is not None else discovery_cache(),
        use_discovery=uses_discovery(profile),
        refresh=refresh,
    )


def discover_endpoints(
    ctx: AppContext, name: str, *, transport: httpx.BaseTransport | None = None
) -> Endpoints:
    """Fetch the issuer's endpoints now (the profile editor's "Fetch endpoints from issuer")."""
    profile = ctx.profiles.get(name)
    with profile_transport(profile, transport, vault_tls(ctx.vault)) as http:
        return profile_endpoints(profile, http, refresh=True)


def discover_issuer(
    issuer: str, *, transport: httpx.BaseTransport | None = None, verify_tls: bool = True
) -> Endpoints:
    """Discovery for an issuer that has no profile yet (the editor before saving)."""

    with OAuthTransport(verify_tls=verify_tls, transport=transport) as http:
        return discover(issuer.strip(), http)


def client_credentials(
    ctx: AppContext, profile: Profile, endpoints: Endpoints | None = None
) -> ClientCredentials:
    vault = ctx.vault
    return client_credentials_from(
        oauth_vars(profile),
        lambda n: load_input(vault, profile, n),
        signing_algs=endpoints.signing_algs() if endpoints is not None else (),
        offered_methods=endpoints.auth_methods.split() if endpoints is not None else (),
    )


# --------------------------------------------------------------------------- token endpoint


def _token_answer(
    profile: Profile,
    http: OAuthTransport,
    endpoint: str,
    creds: ClientCredentials,
    fields_: list[tuple[str, str]],
    now: float,
    what: str,
    dpop: DpopLogin | None = None,
) -> tuple[int, Any]:
    """POST to the token endpoint (see `sender.post_form`)."""
    answer = post_form(http, endpoint, creds, fields_, now=now, what=what, dpop=dpop)
    return answer.status, answer.json()


# --------------------------------------------------------------------------- login


def login(
    ctx: AppContext,
    name: str,
    *,
    open_browser: bool = True,
    timeout: float = DEFAULT_LOGIN_TIMEOUT,
    cancel: threading.Event | None = None,
    on_prompt: Callable[[LoginPrompt], None] | None = None,
    on_status: Callable[[str], None] | None = None,
    opener: Opener | None = None,
    transport: httpx.BaseTransport | None = None,
    params: Mapping[str, str] | None = None,
) -> LoginOutcome:
    """Run the profile's interactive grant and store what it yields (see the module docstring).
    `params`: extra authorization parameters (`workbench login --param K=V`)."""

    if timeout <= 0:
        raise InputError("--timeout must be a positive number of seconds")
    profile = ctx.profiles.get(name)
    grant = grant_of(profile)
    if grant is None:
        raise InputError(
            f"profile '{name}' uses preset '{profile.preset_name}', which has no interactive login",
            hint=f"get its token with `workbench token {name}`",
        )
    prompt = on_prompt or (lambda _p: None)
    status = on_status or (lambda _s: None)
    cancel = cancel or threading.Event()
    vars_ = oauth_vars(profile)
    if params and grant == "device_code":
        raise InputError(
            f"--param goes into a browser login's authorization request; profile '{name}' logs in "
            "with a device code (RFC 8628), which has none"
        )
    extra = authorization_params(vars_, params, scope=vars_.get("scope", ""))
    if not (vars_.get("client_id") or "").strip():
        raise InputError(
            f"profile '{name}' has no client_id",
            hint=f"`workbench profile set {name} --set client_id=…`",
            field="vars.client_id",
        )
    # `timeout` bounds the whole login: every request (discovery, token, JWKS) shares its deadline
    # with the wait for the browser, so a provider that drip-feeds an answer cannot outlast it.
    tls = vault_tls(ctx.vault)
    cert = tls.certificate(profile)  # mTLS (RFC 8705): a certificate the keychain lacks is one line
    with overall_deadline(timeout), profile_transport(profile, transport, tls) as http:
        status("finding the issuer's endpoints")
        endpoints = profile_endpoints(profile, http, refresh=True)
        endpoints = mtls_aliases(endpoints) if cert is not None else endpoints
        creds = client_credentials(ctx, profile, endpoints)
        creds.check()  # a private_key_jwt key the issuer cannot take: refused before the browser
        from workbench.core.oauth.completion import Finisher, page_reason

        finish = Finisher(ctx, profile, http, endpoints, creds, grant, cancel, extra.max_age)
        finish.cert, finish.bound = cert, bound_required(vars_, endpoints.cert_bound)
        dpop = dpop_for_login(ctx, profile)
        check_offered(dpop, endpoints, name)
        if grant == "device_code":
            document = _device_code(
                ctx,
                profile,
                http,
                endpoints,
                creds,
                timeout=timeout,
                cancel=cancel,
                prompt=prompt,
                status=status,
                dpop=dpop,
            )
            return finish(document, None)
        pkce, state = new_pkce(), new_state()
        with LoopbackReceiver(state=state, port=_redirect_port(vars_)) as receiver:
            try:
                document, nonce = _authorization_code(
                    ctx,
                    profile,
                    http,
                    endpoints,
                    creds,
                    receiver,
                    pkce,
                    [*extra.pairs, *([("dpop_jkt", dpop.key.jkt)] if dpop is not None else [])],
                    open_browser=open_browser,
                    timeout=timeout,
                    cancel=cancel,
                    prompt=prompt,
                    opener=opener or default_opener,
                    dpop=dpop,
                )
                outcome = finish(document, nonce)
            except BaseException as exc:
                receiver.finish(False, page_reason(exc))
                raise
            receiver.finish(True, "Token Workbench has stored the login's tokens.")
            return outcome


def _resource_fields(vars_: Mapping[str, str]) -> list[tuple[str, str]]:
    fields_: list[tuple[str, str]] = []
    for item in (vars_.get("resource") or "").split():
        fields_.append(("resource", item))  # RFC 8707 §2: one parameter per resource
    return fields_


def _redirect_port(vars_: Mapping[str, str]) -> int:
    raw = (vars_.get("redirect_port") or "").strip()
    if not raw:
        return 0
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise InputError(f"redirect_port '{raw}' is not a port number (1-65535, or empty for any free port)")
    return int(raw)


def _authorization_code(
    ctx: AppContext,
    profile: Profile,
    http: OAuthTransport,
    endpoints: Endpoints,
    creds: ClientCredentials,
    receiver: LoopbackReceiver,
    pkce: Pkce,
    extra: Sequence[tuple[str, str]],
    *,
    open_browser: bool,
    timeout: float,
    cancel: threading.Event,
    prompt: Callable[[LoginPrompt], None],
    opener: Opener,
    dpop: DpopLogin | None = None,
) -> tuple[Mapping[str, Any], str | None]:
    auth_endpoint = endpoints.require("authorization_endpoint", profile=profile.name)
    token_endpoint = endpoints.require("token_endpoint", profile=profile.name)
    vars_ = oauth_vars(profile)
    scope = vars_.get("scope", "")
    nonce = new_nonce() if "openid" in scope.split() else None
    deadline = time.monotonic() + timeout
    url = authorization_url(
        auth_endpoint,
        client_id=creds.client_id,
        redirect_uri=receiver.redirect_uri,
        state=receiver.state,
        pkce=pkce,
        scope=scope,
        nonce=nonce or "",
        audience=vars_.get("audience", ""),
        resource=vars_.get("resource", ""),
        extra=extra,
    )
    if wants_jar(vars_, endpoints, creds, profile.name):
        url = sign_request(url, creds, endpoints, now=ctx.clock.now())
    pushed = par_endpoint(vars_, endpoints, profile.name)
    if pushed is not None:
        what_par = f"{profile.preset.name} pushed authorization request"
        url = push(http, pushed, url, creds, now=ctx.clock.now(), dpop=dpop, what=what_par)
    opened: bool | None = None
    if open_browser:
        # None: the browser command is still running (webbrowser waits for $BROWSER): started.
        opened = _open_in_background(opener, url) is not False
    prompt(LoginPrompt(kind="browser", url=url, browser_opened=opened, expires_in=timeout))
    callback = receiver.wait(timeout=max(0.0, deadline - time.monotonic()), cancel=cancel, limit=timeout)
    iss = callback.params.get("iss")
    if iss and endpoints.issuer and not matches_issuer(endpoints.issuer, iss):
        # RFC 9207: the answer names its issuer; another one is a mix-up attack.
        raise OAuthError("login refused: the answer came from another issuer (iss does not match)")
    fields_ = [
        ("grant_type", "authorization_code"),
        ("code", callback.code),
        ("redirect_uri", receiver.redirect_uri),
        ("code_verifier", pkce.verifier),
        *_resource_fields(vars_),
    ]
    what = f"{profile.preset.name} code exchange"
    status, document = _token_answer(
        profile, http, token_endpoint, creds, fields_, ctx.clock.now(), what, dpop
    )
    if status != 200:
        line, code = error_line(document, status, what)
        hint = (
            dpop_hint(dpop, endpoints, profile.name)
            if code in ("invalid_grant", "invalid_dpop_proof")
            else ""
        )
        raise OAuthError(line, status=status, error_type=code, hint=hint)
    if not isinstance(document, Mapping):
        raise ProviderResponseError(f"{what}: the answer is not JSON")
    check_bound(document, dpop, what)
    return document, nonce


def _open_in_background(opener: Opener, url: str, wait: float = 1.5) -> bool | None:
    """Start the browser on its own thread; True/False when it said within `wait` s, else None.

    `webbrowser` waits for a `$BROWSER` command to exit; a command that never does must not
    keep the login from timing out or being cancelled."""
    outcome: list[bool] = []
    done = threading.Event()

    def run() -> None:
        try:
            outcome.append(opener(url))
        except Exception:
            outcome.append(False)
        finally:
            done.set()

    threading.Thread(target=run, name="oauth-browser", daemon=True).start()
    done.wait(wait)
    return outcome[0] if outcome else None


def _device_code(
    ctx: AppContext,
    profile: Profile,
    http: OAuthTransport,
    endpoints: Endpoints,
    creds: ClientCredentials,
    *,
    timeout: float,
    cancel: threading.Event,
    prompt: Callable[[LoginPrompt], None],
    status: Callable[[str], None],
    dpop: DpopLogin | None = None,
) -> Mapping[str, Any]:
    device_endpoint = endpoints.require("device_authorization_endpoint", profile=profile.name)
    token_endpoint = endpoints.require("token_endpoint", profile=profile.name)
    vars_ = oauth_vars(profile)
    fields_: list[tuple[str, str]] = [("client_id", creds.client_id)]
    for key in ("scope", "audience"):
        if vars_.get(key):
            fields_.append((key, vars_[key]))
    fields_ += _resource_fields(vars_)
    what = f"{profile.preset.name} device authorization"
    code, document = _token_answer(profile, http, device_endpoint, creds, fields_, ctx.clock.now(), what)
    if code != 200 or not isinstance(document, Mapping):
        line, err = error_line(document, code, what)
        raise OAuthError(line, status=code, error_type=err)
    device_code = document.get("device_code")
    user_code = document.get("user_code")
    # "verification_url" is what some providers (Google) send.
    uri = document.get("verification_uri") or document.get("verification_url")
    if not all(isinstance(v, str) and v for v in (device_code, user_code, uri)):
        raise ProviderResponseError(f"{what}: the answer lacks device_code, user_code or verification_uri")
    assert isinstance(device_code, str) and isinstance(user_code, str) and isinstance(uri, str)
    complete = document.get("verification_uri_complete")
    # Shown to the user (stderr, the GUI): a code or link with a control character could act on
    # the terminal (escape sequences) or hide what it says; refuse rather than print it.
    for field_name, shown in (
        ("user_code", user_code),
        ("verification_uri", uri),
        ("verification_uri_complete", complete),
    ):
        if isinstance(shown, str) and (len(shown) > MAX_SHOWN_CHARS or not shown.isprintable()):
            raise ProviderResponseError(
                f"{what}: the {field_name} holds control characters or is too long to show; refused"
            )

    interval = parse_duration(document.get("interval"))
    # RFC 8628 §3.5: 5 s unless the server asks for longer; never faster (0.001 made 1,729 polls in 5 s).
    wait = (
        max(interval, DEFAULT_DEVICE_INTERVAL)
        if interval is not None and math.isfinite(interval)
        else DEFAULT_DEVICE_INTERVAL
    )
    lifetime = parse_duration(document.get("expires_in"))
    if lifetime is not None and not math.isfinite(lifetime):
        lifetime = None
    prompt(
        LoginPrompt(
            kind="device",
            url=uri,
            user_code=user_code,
            verification_uri_complete=complete if isinstance(complete, str) else "",
            expires_in=lifetime,
        )
    )
    start = time.monotonic()
    code_deadline = start + lifetime if lifetime else None
    deadline = start + timeout
    poll = f"{profile.preset.name} device login"
    while True:
        now_mono = time.monotonic()
        if code_deadline is not None and now_mono >= code_deadline:
            raise OAuthError(
                "login failed: the device code expired before it was approved; run the login again",
                error_type="expired_token",
            )
        if now_mono >= deadline:
            raise LoginTimedOut(
                f"the device was not approved within {timeout:g} s; the login was abandoned",
                hint="run the login again, with a larger --timeout if you need longer",
            )
        if cancel.wait(min(wait, max(0.0, deadline - now_mono))):
            raise LoginCancelled("login cancelled")
        if time.monotonic() >= deadline:
            continue
        fields_ = [("grant_type", DEVICE_CODE_GRANT), ("device_code", device_code)]
        code, document = _token_answer(
            profile, http, token_endpoint, creds, fields_, ctx.clock.now(), poll, dpop
        )
        if code == 200 and isinstance(document, Mapping):
            check_bound(document, dpop, poll)
            return document
        error = document.get("error") if isinstance(document, Mapping) else None
        if error == "authorization_pending":
            status("waiting for approval")
            continue
        if error == "slow_down":
            wait += SLOW_DOWN_STEP
            status(f"the server asked to slow down; polling every {wait:g} s")
            continue
        if error == "access_denied":
            raise OAuthError("login refused: the user denied access on the device page", error_type=error)
        if error == "expired_token":
            raise OAuthError(
                "login failed: the device code expired before it was approved; run the login again",
                error_type=error,
            )
        line, err = error_line(document, code, poll)
        raise OAuthError(line, status=code, error_type=err)


__all__ = [
    "DEFAULT_LOGIN_TIMEOUT",
    "GRANTS",
    "ID_TOKEN",
    "LoginOutcome",
    "LoginPrompt",
    "LoginTimedOut",
    "default_opener",
    "discover_endpoints",
    "discover_issuer",
    "grant_of",
    "is_interactive",
    "login",
    "oauth_section",
    "open_in_browser",
    "profile_endpoints",
]

"""Saved requests: git-friendly TOML beside the profiles, with no secret values.

``$WORKBENCH_HOME/requests/<profile>.toml``::

    [vars]                      # values for the {{ }} templates below (never secrets)
    user_id = "42"

    secret_vars = ["password"]  # variables whose values are in the keychain (never in this file)

    [env.staging]               # optional named variable sets (imported environments): `--env staging`
    host = "https://staging.example.com"

    [requests.get-user]
    title = "Get user"          # optional, the name it had where it came from
    folder = "Users/Admin"      # optional, the folder it sat in there
    method = "GET"
    url = "/users/{{ user_id }}"   # a path (joined to the profile's base URL) or a full URL
    headers = { Accept = "application/json" }
    json = '{"x": 1}'           # or: text = "...", form = { k = "v" }, multipart = { k = "v" }

Templates are the workbench's sandboxed Jinja2 (the same engine as presets): the
request file's `[vars]` by name (over them, the `[env.NAME]` chosen with `--env NAME`, else
the first one in the file), the profile's `vars`, `base_url`, `origin`,
`profile`, and `now()` / `uuid()`. Secrets are not in the context: the profile's
token is added when the request is sent, the way `call` does it. A value that is a
credential by its shape (a JWT, a PEM block, `Bearer …`), or a literal value for a
credential header (Authorization, Cookie, X-Api-Key, …), is refused on save.
"""

from __future__ import annotations

import json
import re
import tomllib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from workbench.core.errors import SavedRequestError as SavedRequestError  # defined in the error tree
from workbench.core.net.origins import origin_of
from workbench.core.profiles.profile import validate_profile_name
from workbench.core.profiles.store import atomic_write_text
from workbench.core.redact import looks_like_credential
from workbench.core.request.templating import TemplateRenderer
from workbench.core.storage import paths
from workbench.core.storage.toml_writer import dumps_toml

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.core.profiles.profile import Profile

SAVED_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}\Z")
BODY_KEYS = ("json", "text", "form", "multipart")
REQUEST_KEYS = ("title", "folder", "method", "url", "headers", *BODY_KEYS)
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "apikey", "x-auth-token"}
)
MAX_FILE_BYTES = 16 * 1024 * 1024
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}\Z")


def secret_entry(name: str) -> str:
    """The keychain entry (of the profile) that holds the saved requests' secret variable `name`."""
    return f"var.{name}"


_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
HEADER = "# Saved requests of profile '{name}' (workbench). No secret values: use {{{{ }}}} templates.\n"


def validate_saved_name(name: str) -> str:
    if not isinstance(name, str) or not SAVED_NAME_RE.match(name) or name.startswith(".") or ".." in name:
        raise SavedRequestError(
            f"'{str(name)[:40]}' is not a saved-request name (letters, digits, '.', '_' and '-'; at most 64)"
        )
    return name


MAX_TITLE = 200


def typed_name(text: str, existing: Mapping[str, SavedRequest] | None = None) -> tuple[str, str]:
    """(name, title) for what a user typed as a saved request's name in the desktop app.

    A valid name is used as it is (no title). The title of an existing request names that
    request (saving again replaces it). Anything else, such as "Get user by id", gets a name
    built from it ("get-user-by-id", what `workbench call --request` takes) and keeps the
    text as its title, which the list shows. Raises SavedRequestError for text with nothing
    to build a name from, or a line break."""
    shown = " ".join(text.split())
    if not shown:
        raise SavedRequestError("type a name for the saved request")
    if any(ch in text for ch in "\r\n") or len(shown) > MAX_TITLE:
        raise SavedRequestError(f"a saved request's name is one line of at most {MAX_TITLE} characters")
    if SAVED_NAME_RE.match(shown) and not shown.startswith(".") and ".." not in shown:
        return shown, ""
    for request in (existing or {}).values():
        if request.title and " ".join(request.title.split()) == shown:
            return request.name, request.title
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", shown).strip("-_").lower()
    name = re.sub(r"-{2,}", "-", name)[:64].rstrip("-_")
    if not name:
        raise SavedRequestError(
            f"'{shown[:40]}' has no letter or digit to name the saved request by; type one too"
        )
    return name, shown


@dataclass(frozen=True)
class SavedRequest:
    name: str
    method: str
    url: str
    title: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    body_type: str | None = None  # json | text | form | multipart
    form: tuple[tuple[str, str], ...] = ()
    folder: str = ""  # where it sat in the collection it came from ("Payments/Refunds")

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.title and self.title != self.name:
            data["title"] = self.title
        if self.folder:
            data["folder"] = self.folder
        data["method"] = self.method
        data["url"] = self.url
        if self.headers:
            data["headers"] = dict(self.headers)
        if self.body_type in ("form", "multipart"):
            data[self.body_type] = dict(self.form)
        elif self.body_type in ("json", "text") and self.body is not None:
            data[self.body_type] = self.body
        return data


@dataclass
class SavedRequestFile:
    profile: str
    vars: dict[str, str] = field(default_factory=dict)
    requests: dict[str, SavedRequest] = field(default_factory=dict)
    envs: dict[str, dict[str, str]] = field(default_factory=dict)  # name → variables (`--env NAME`)
    secret_vars: list[str] = field(default_factory=list)  # values in the keychain (`secret_entry`)

    def variables(self, env: str | None = None) -> dict[str, str]:
        """[vars] with the chosen environment over them (none chosen: the first one, if any)."""
        if env is not None and env not in self.envs:
            known = ", ".join(self.envs) or "none"
            raise SavedRequestError(
                f"profile '{self.profile}' has no environment '{env[:40]}' (known: {known})"
            )
        chosen = env if env is not None else next(iter(self.envs), None)
        return {**self.vars, **(self.envs.get(chosen, {}) if chosen is not None else {})}

    def to_toml(self) -> str:
        data: dict[str, Any] = {}
        if self.secret_vars:
            data["secret_vars"] = sorted(set(self.secret_vars))
        if self.vars:
            data["vars"] = dict(sorted(self.vars.items()))
        if self.envs:
            data["env"] = {name: dict(sorted(values.items())) for name, values in self.envs.items()}
        data["requests"] = {name: req.to_data() for name, req in self.requests.items()}
        return HEADER.format(name=self.profile) + "\n" + dumps_toml(data)


def check_no_secrets(request: SavedRequest, where: str) -> None:
    """Refuse what would put a credential in the file (see the module docstring)."""

    def literal(text: str) -> str:
        return _TEMPLATE.sub("", text)

    for name, value in request.headers:
        if name.lower() in CREDENTIAL_HEADERS and literal(value).strip():
            raise SavedRequestError(
                f"{where}: header {name} would store a credential in a file; the profile adds its token "
                "itself (leave the header out, or use a {{ }} template)"
            )
    texts = [("URL", request.url), *((f"header {n}", v) for n, v in request.headers)]
    texts += [(f"form field {k}", v) for k, v in request.form]
    if request.body is not None:
        texts.append(("body", request.body))
    for label, text in texts:
        if looks_like_credential(literal(text)):
            raise SavedRequestError(f"{where}: the {label} holds what looks like a credential; not saved")


def validate_request(name: str, method: str, url: str, headers: Iterable[tuple[str, str]]) -> None:
    validate_saved_name(name)
    if not _TOKEN.match(method) or not method.isalpha():
        raise SavedRequestError(f"'{method[:20]}' is not an HTTP method")
    if not url.strip():
        raise SavedRequestError(f"saved request '{name}' has no URL or path")
    if any(ch in url for ch in "\r\n"):
        raise SavedRequestError(f"saved request '{name}': the URL has a line break")
    for header, value in headers:
        if not _TOKEN.match(header):
            raise SavedRequestError(f"saved request '{name}': '{header[:40]}' is not a header name")
        if "\n" in value or "\r" in value:
            raise SavedRequestError(f"saved request '{name}': header {header} has a line break in its value")


def _parse_request(name: str, raw: Any, where: str) -> SavedRequest:
    if not isinstance(raw, Mapping):
        raise SavedRequestError(f"{where}: [requests.{name}] must be a table")
    for key in raw:
        if key not in REQUEST_KEYS:
            raise SavedRequestError(
                f"{where}: requests.{name}.{key}: unknown key (known: {', '.join(REQUEST_KEYS)})"
            )
    method = raw.get("method", "GET")
    url = raw.get("url")
    if not isinstance(method, str):
        raise SavedRequestError(f"{where}: requests.{name}.method must be a string")
    if not isinstance(url, str):
        raise SavedRequestError(f"{where}: requests.{name}.url is missing or not a string")
    headers_raw = raw.get("headers", {})
    if not isinstance(headers_raw, Mapping) or not all(isinstance(v, str) for v in headers_raw.values()):
        raise SavedRequestError(f"{where}: requests.{name}.headers must be a table of strings")
    headers = tuple((str(k), str(v)) for k, v in headers_raw.items())
    bodies = [k for k in BODY_KEYS if k in raw]
    if len(bodies) > 1:
        raise SavedRequestError(f"{where}: requests.{name} has more than one body ({', '.join(bodies)})")
    body: str | None = None
    body_type: str | None = None
    form: tuple[tuple[str, str], ...] = ()
    if bodies:
        body_type = bodies[0]
        value = raw[body_type]
        if body_type in ("form", "multipart"):
            if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
                raise SavedRequestError(f"{where}: requests.{name}.{body_type} must be a table of strings")
            form = tuple((str(k), str(v)) for k, v in value.items())
        elif not isinstance(value, str):
            raise SavedRequestError(f"{where}: requests.{name}.{body_type} must be a string")
        else:
            body = value
    title = raw.get("title", "")
    folder = raw.get("folder", "")
    if not isinstance(folder, str) or any(ch in folder for ch in "\r\n"):
        raise SavedRequestError(f"{where}: requests.{name}.folder must be a one-line string")
    request = SavedRequest(
        name=name,
        method=method.upper(),
        url=url,
        title=title if isinstance(title, str) else "",
        headers=headers,
        body=body,
        body_type=body_type,
        form=form,
        folder=folder,
    )
    validate_request(name, request.method, url, headers)
    return request


class SavedRequestStore:
    """The saved requests of every profile, one file each (default `$WORKBENCH_HOME/requests`)."""

    def __init__(self, directory: Path | None = None) -> None:
        self._directory = directory

    @property
    def directory(self) -> Path:
        if self._directory is None:
            return paths.requests_dir()
        self._directory.mkdir(parents=True, exist_ok=True)
        return self._directory

    def path_for(self, profile: str) -> Path:
        return self.directory / f"{validate_profile_name(profile)}.toml"

    def load(self, profile: str) -> SavedRequestFile:
        path = self.path_for(profile)
        shown = f"requests/{path.name}"
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return SavedRequestFile(profile)
        except OSError as exc:
            raise SavedRequestError(f"{shown}: cannot read ({exc.strerror or type(exc).__name__})") from None
        if len(raw) > MAX_FILE_BYTES:
            raise SavedRequestError(f"{shown}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise SavedRequestError(f"{shown}: not UTF-8 text") from None
        except tomllib.TOMLDecodeError as exc:
            raise SavedRequestError(f"{shown}: not valid TOML ({exc})") from None
        variables = data.get("vars", {})
        if not isinstance(variables, Mapping) or not all(isinstance(v, str) for v in variables.values()):
            raise SavedRequestError(f"{shown}: [vars] must be a table of strings")
        requests_raw = data.get("requests", {})
        if not isinstance(requests_raw, Mapping):
            raise SavedRequestError(f"{shown}: [requests] must be a table")
        for key in data:
            if key not in ("vars", "requests", "env", "secret_vars"):
                raise SavedRequestError(
                    f"{shown}: unknown key '{key}' (known: secret_vars, vars, env, requests)"
                )
        secret_vars = data.get("secret_vars", [])
        if not isinstance(secret_vars, list) or not all(
            isinstance(v, str) and _VAR_NAME.match(v) for v in secret_vars
        ):
            raise SavedRequestError(f"{shown}: secret_vars must be a list of variable names")
        envs_raw = data.get("env", {})
        if not isinstance(envs_raw, Mapping) or not all(
            isinstance(v, Mapping) and all(isinstance(x, str) for x in v.values()) for v in envs_raw.values()
        ):
            raise SavedRequestError(f"{shown}: [env.NAME] must be tables of strings")
        requests = {}
        for name, raw_request in requests_raw.items():
            try:
                validate_saved_name(name)
            except SavedRequestError as exc:
                raise SavedRequestError(f"{shown}: {exc}") from None
            requests[name] = _parse_request(name, raw_request, shown)
        envs = {str(k): {str(a): str(b) for a, b in v.items()} for k, v in envs_raw.items()}
        return SavedRequestFile(profile, dict(variables), requests, envs, list(secret_vars))

    def list(self, profile: str) -> list[SavedRequest]:
        return list(self.load(profile).requests.values())

    def get(self, profile: str, name: str) -> SavedRequest:
        validate_saved_name(name)
        found = self.load(profile).requests.get(name)
        if found is None:
            raise SavedRequestError(
                f"profile '{profile}' has no saved request '{name}' (see `workbench request list {profile}`)"
            )
        return found

    def write(self, file: SavedRequestFile) -> None:
        for request in file.requests.values():
            check_no_secrets(request, f"saved request '{request.name}'")
        for env in (file.vars, *file.envs.values()):
            for key, value in env.items():
                if looks_like_credential(value):
                    raise SavedRequestError(f"variable '{key}' looks like a credential; not saved")
        path = self.path_for(file.profile)
        if not file.requests and not file.vars and not file.envs:
            path.unlink(missing_ok=True)
            return
        atomic_write_text(path, file.to_toml())

    def save(self, profile: str, request: SavedRequest) -> bool:
        """Add or replace one saved request. Returns True when it replaced one."""
        validate_request(request.name, request.method, request.url, request.headers)
        check_no_secrets(request, f"saved request '{request.name}'")
        file = self.load(profile)
        replaced = request.name in file.requests
        file.requests[request.name] = request
        self.write(file)
        return replaced

    def remove(self, profile: str, name: str) -> None:
        file = self.load(profile)
        if validate_saved_name(name) not in file.requests:
            raise SavedRequestError(f"profile '{profile}' has no saved request '{name}'")
        del file.requests[name]
        self.write(file)

    def rename(self, profile: str, old: str, new: str, *, title: str | None = None) -> None:
        """Rename `old` to `new`; `title` (when given) replaces its title ("" drops it)."""
        validate_saved_name(new)
        file = self.load(profile)
        if old not in file.requests:
            raise SavedRequestError(f"profile '{profile}' has no saved request '{old}'")
        if new in file.requests and new != old:
            raise SavedRequestError(f"profile '{profile}' already has a saved request '{new}'")
        file.requests = {
            (new if k == old else k): (
                replace(v, name=new, title=v.title if title is None else title) if k == old else v
            )
            for k, v in file.requests.items()
        }
        self.write(file)

    def remove_all(self, profile: str) -> None:
        self.path_for(profile).unlink(missing_ok=True)


# --------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class RenderedRequest:
    method: str
    target: str  # path or URL, as `call` takes it
    headers: dict[str, str]
    content: bytes | None


def render(
    request: SavedRequest,
    profile: Profile,
    renderer: TemplateRenderer,
    variables: Mapping[str, str] | None = None,
) -> RenderedRequest:
    """Fill in the templates (no secrets in the context; see the module docstring)."""
    context: dict[str, Any] = dict(variables or {})
    context.update(
        {
            "vars": dict(profile.vars),
            "base_url": profile.base_url,
            "origin": origin_of(profile.base_url),
            "profile": profile.name,
            "uuid": lambda: str(uuid.uuid4()),
        }
    )
    where = f"saved request '{request.name}'"
    now = int(renderer.clock.now())

    def r(text: str, label: str) -> str:
        if "{" not in text:
            return text
        return renderer.render(text, context, field=label, where=where, now=now)

    target = r(request.url, "url").strip()
    headers = {name: r(value, f"headers.{name}") for name, value in request.headers}
    for name, value in headers.items():
        if "\n" in value or "\r" in value:
            raise SavedRequestError(f"{where}: header {name} renders with a line break")
    content: bytes | None = None
    if request.body_type == "json" and request.body is not None:
        text = r(request.body, "json")
        try:
            json.loads(text)
        except RecursionError:
            raise SavedRequestError(f"{where}: the json body is nested too deeply once rendered") from None
        except ValueError as exc:
            raise SavedRequestError(
                f"{where}: the json body is not valid JSON once rendered ({exc})"
            ) from None
        content = text.encode("utf-8")
        _default_header(headers, "Content-Type", "application/json")
    elif request.body_type == "text" and request.body is not None:
        content = r(request.body, "text").encode("utf-8")
    elif request.body_type == "form":
        pairs = [(r(k, "form"), r(v, f"form.{k}")) for k, v in request.form]
        content = urlencode(pairs).encode("ascii")
        _default_header(headers, "Content-Type", "application/x-www-form-urlencoded")
    elif request.body_type == "multipart":
        pairs = [(r(k, "multipart"), r(v, f"multipart.{k}")) for k, v in request.form]
        content, content_type = multipart_body(pairs)
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        headers["Content-Type"] = content_type
    return RenderedRequest(method=request.method, target=target, headers=headers, content=content)


def render_saved(
    ctx: AppContext,
    profile_name: str,
    saved_name: str,
    env: str | None = None,
    *,
    reveal_secrets: bool = True,
) -> RenderedRequest:
    """`call NAME --request SAVED [--env NAME]` and the GUI's "send saved request": load, then render.

    Secret variables come from the keychain; with `reveal_secrets=False` (`snippet`) they render
    as `<NAME from the keychain>` instead, so the output never holds them."""

    profile = ctx.profiles.get(profile_name)
    store = SavedRequestStore()
    file = store.load(profile.name)
    request = file.requests.get(validate_saved_name(saved_name))
    if request is None:
        raise SavedRequestError(
            f"profile '{profile.name}' has no saved request '{saved_name}' "
            f"(see `workbench request list {profile.name}`)"
        )
    variables = file.variables(env)
    for name in file.secret_vars:
        if reveal_secrets:
            value = ctx.vault.load(profile.name, secret_entry(name))
            if value is None:
                raise SavedRequestError(
                    f"profile '{profile.name}': the secret variable '{name}' is not in the keychain",
                    hint=f"give it under [vars] of requests/{profile.name}.toml, or import the request again",
                )
            variables[name] = value
        else:
            variables[name] = f"<{name} from the keychain>"
    return render(request, profile, TemplateRenderer(clock=ctx.clock), variables)


def multipart_body(pairs: Iterable[tuple[str, str]]) -> tuple[bytes, str]:
    """A `multipart/form-data` body of text fields and its Content-Type (with the boundary),
    encoded by httpx (a field given as `(None, value)` is a plain field, not a file)."""
    import httpx

    encoded = httpx.Request("POST", "https://multipart.invalid/", files=[(k, (None, v)) for k, v in pairs])
    return encoded.read(), encoded.headers["Content-Type"]


def _default_header(headers: dict[str, str], name: str, value: str) -> None:
    if not any(k.lower() == name.lower() for k in headers):
        headers[name] = value


__all__ = [
    "RenderedRequest",
    "SavedRequest",
    "SavedRequestError",
    "SavedRequestFile",
    "SavedRequestStore",
    "check_no_secrets",
    "render",
    "render_saved",
    "secret_entry",
    "validate_saved_name",
]

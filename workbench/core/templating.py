"""Request templates: Jinja2 in a sandbox, with a fixed set of helpers and lazy secrets.

A preset describes its requests as templates (see `resources/presets/README.md`).
They render in an `ImmutableSandboxedEnvironment` (no attribute starting with `_`,
no mutation of lists/dicts, bounded `range`) with `StrictUndefined`, so a typo or
a missing input is an error rather than an empty string. Autoescape is off: the
output is JSON, form fields and headers, never HTML.

Context names (built by `workbench.core.flows.build_request`):
    vars      the profile's settings (preset input defaults filled in)
    secrets   vault values, each fetched from the `SecretSource` only when a
              template touches it; a missing one is *undefined*, so
              `secrets.x | default('')` works for optional inputs and a bare
              `secrets.x` fails with a message that says how to store it
    base_url, origin, profile

Helpers: `now()` (server-corrected Unix seconds, an int, the same value for the
whole rendering), `uuid()`, `b64url(text)`, `sign(alg, private_key_pem, message)`.
Filter: `tojson` (plain JSON, for `json` bodies).

Error messages name the template field and the missing name, never a value.
"""

from __future__ import annotations

import base64
import json
import uuid as _uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from workbench.core.errors import TemplateError, WorkbenchError
from workbench.core.redact import redact

if TYPE_CHECKING:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from workbench.core.clock import Clock

# Guards against a template that tries to build a gigantic string or number.
MAX_REPEAT = 10_000
MAX_EXPONENT = 1_000
MAX_OUTPUT_CHARS = 1_000_000


class SecretSource(Protocol):
    """Where templates' `secrets.*` come from (the vault, usually). Called lazily, per name."""

    def get(self, name: str) -> str | None: ...


class MappingSecretSource:
    """A `SecretSource` over a plain mapping (tests, or values already in memory)."""

    def __init__(self, values: Mapping[str, str | None]) -> None:
        self._values = dict(values)

    def get(self, name: str) -> str | None:
        return self._values.get(name)


def _missing_secret_hint(profile: str, name: str) -> str:
    return (
        f"profile '{profile}' has no secret '{name}' in the keychain "
        f"(store it in the app's profile editor, or `workbench profile rm {profile}` and add it again "
        f"with --secret {name}=...)"
    )


def _missing_var_hint(profile: str, name: str) -> str:
    return (
        f"profile '{profile}' has no setting '{name}' "
        f"(set it with `workbench profile add {profile} ... --set {name}=...`)"
    )


class LazySecrets:
    """What templates see as `secrets`: each value is fetched on first touch and remembered.

    Deliberately has no public attributes, so `secrets.<anything>` always means
    "the secret of that name" (the sandbox resolves attribute misses through
    `__getitem__`). The values touched are kept so error messages and logs can
    be scrubbed of them (`touched_values`).
    """

    __slots__ = ("_cache", "_overrides", "_profile", "_source")

    def __init__(
        self,
        source: SecretSource,
        *,
        profile: str,
        overrides: Mapping[str, str] | None = None,
    ) -> None:
        self._source = source
        self._profile = profile
        self._overrides = dict(overrides or {})
        self._cache: dict[str, str | None] = {}

    def __getitem__(self, name: str) -> Any:
        if not isinstance(name, str):
            raise KeyError(name)
        if name.startswith("_"):
            raise KeyError(name)
        if name not in self._cache:
            value = self._overrides.get(name)
            if value is None:
                value = self._source.get(name)
            self._cache[name] = value if value else None
        value = self._cache[name]
        if value is None:
            from jinja2 import StrictUndefined

            return StrictUndefined(hint=_missing_secret_hint(self._profile, name), name=name)
        return value

    def __repr__(self) -> str:  # never show values, even in a debugger or a template that prints it
        return "<secrets>"

    __str__ = __repr__


def touched_values(secrets: LazySecrets) -> tuple[str, ...]:
    """The secret values a rendering has fetched so far (for redaction)."""
    return tuple(v for v in secrets._cache.values() if v)


class TemplateVars:
    """What templates see as `vars`: a read-only mapping whose misses explain how to fix them."""

    __slots__ = ("_profile", "_values")

    def __init__(self, values: Mapping[str, str], *, profile: str) -> None:
        self._values = dict(values)
        self._profile = profile

    def __getitem__(self, name: str) -> Any:
        if isinstance(name, str) and not name.startswith("_") and name in self._values:
            return self._values[name]
        from jinja2 import StrictUndefined

        return StrictUndefined(hint=_missing_var_hint(self._profile, str(name)), name=str(name))

    def __repr__(self) -> str:
        return f"<vars {sorted(self._values)}>"

    __str__ = __repr__


def b64url(data: str | bytes) -> str:
    """base64url without padding (the JOSE way)."""
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _fail_if_undefined(value: Any) -> None:
    from jinja2 import Undefined

    if isinstance(value, Undefined):
        value._fail_with_undefined_error()


def _tojson(value: Any) -> str:
    _fail_if_undefined(value)
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise TemplateError(f"tojson cannot encode a {type(value).__name__}") from exc


def _sign(alg: Any, key: Any, message: Any) -> str:
    for arg in (alg, key, message):
        _fail_if_undefined(arg)
    if not isinstance(alg, str) or not isinstance(message, str | int):
        raise TemplateError("sign(alg, private_key_pem, message) takes an algorithm name and a text message")
    if not isinstance(key, str | bytes):
        raise TemplateError("sign(alg, private_key_pem, message) needs the private key as PEM text")
    from workbench.core.keys import jose_sign

    return jose_sign(alg, key, str(message))


def _b64url_helper(text: Any) -> str:
    _fail_if_undefined(text)
    if not isinstance(text, str | bytes):
        text = str(text)
    return b64url(text)


def _build_environment() -> ImmutableSandboxedEnvironment:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class _Environment(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
                raise TemplateError(f"exponent {right} is too large for a template")
            if operator == "*":
                for seq, count in ((left, right), (right, left)):
                    if isinstance(seq, str | list | tuple) and isinstance(count, int) and count > MAX_REPEAT:
                        raise TemplateError(f"repeating a value {count} times is too much for a template")
            return super().call_binop(context, operator, left, right)

    env = _Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    # A fixed, small set of names: drop Jinja's playful extras.
    for name in ("lipsum", "cycler", "joiner"):
        env.globals.pop(name, None)
    env.globals["uuid"] = lambda: str(_uuid.uuid4())
    env.globals["b64url"] = _b64url_helper
    env.globals["sign"] = _sign
    env.filters["tojson"] = _tojson
    env.filters["b64url"] = _b64url_helper
    return env


class TemplateRenderer:
    """Renders request templates. One instance is safe to share between threads."""

    def __init__(self, *, clock: Clock) -> None:
        self._clock = clock
        self._env_instance: ImmutableSandboxedEnvironment | None = None

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def _env(self) -> ImmutableSandboxedEnvironment:
        # Built on first use: Jinja2 costs import time the CLI's `decode` never needs.
        if self._env_instance is None:
            self._env_instance = _build_environment()
        return self._env_instance

    def render(
        self,
        template: str,
        context: Mapping[str, Any],
        *,
        field: str = "",
        where: str = "",
        now: int | None = None,
    ) -> str:
        """Render one template.

        `field` (e.g. "json", "headers.Authorization") and `where` (e.g. "true-markets mint")
        only shape error messages. `now` pins the value `now()` returns, so several fields
        of one request share a timestamp; by default it is read from the clock once.
        """
        from jinja2 import TemplateError as JinjaTemplateError

        if not isinstance(template, str):
            kind = type(template).__name__
            raise TemplateError(f"{_prefix(where)}{_label(field)} must be text, not {kind}")
        ctx = dict(context)
        secrets = ctx.get("secrets")
        if secrets is not None and not isinstance(secrets, LazySecrets):
            secrets = LazySecrets(secrets, profile=str(ctx.get("profile", "?")))
            ctx["secrets"] = secrets
        if isinstance(ctx.get("vars"), Mapping):
            ctx["vars"] = TemplateVars(ctx["vars"], profile=str(ctx.get("profile", "?")))
        # One timestamp per rendering: a signature and the field beside it must agree.
        stamp = int(self._clock.now()) if now is None else int(now)
        ctx["now"] = lambda: stamp

        def fail(message: str) -> NoReturn:
            values = touched_values(secrets) if isinstance(secrets, LazySecrets) else ()
            text = " ".join(redact(message, values).split())
            raise TemplateError(f"{_prefix(where)}{_label(field)}: {text}") from None

        try:
            compiled = self._env.from_string(template)
            text = compiled.render(ctx)
        except JinjaTemplateError as exc:
            line = getattr(exc, "lineno", None)
            message = exc.message or exc.__class__.__name__
            if line and template.count("\n"):
                message = f"line {line}: {message}"
            fail(message)
        except TemplateError as exc:
            fail(str(exc))
        except WorkbenchError:
            raise  # e.g. KeyFormatError from sign(): already a clean, value-free sentence
        except (TypeError, ValueError, ArithmeticError, LookupError, OverflowError) as exc:
            fail(f"{exc.__class__.__name__}: {exc}")
        if len(text) > MAX_OUTPUT_CHARS:
            fail(f"rendered {len(text)} characters, more than the {MAX_OUTPUT_CHARS} allowed")
        return text


def _prefix(where: str) -> str:
    return f"{where}: " if where else ""


def _label(field: str) -> str:
    return f"template {field}" if field else "template"


__all__ = [
    "LazySecrets",
    "MappingSecretSource",
    "SecretSource",
    "TemplateRenderer",
    "TemplateVars",
    "b64url",
    "touched_values",
]

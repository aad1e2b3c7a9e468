"""Request templates: Jinja2 in a sandbox, with a fixed set of helpers and lazy secrets.

A preset describes its requests as templates (see `resources/presets/README.md`).
They render in an `ImmutableSandboxedEnvironment` (no attribute starting with `_`,
no mutation of lists/dicts, bounded `range`) with `StrictUndefined`, so a typo or
a missing input is an error rather than an empty string. Autoescape is off: the
output is JSON, form fields and headers, never HTML.

Context names (built by `workbench.core.engine.flows.build_request`):
    vars      the profile's settings (preset input defaults filled in)
    secrets   vault values, each fetched from the `SecretSource` only when a
              template touches it; a missing one is *undefined*, so
              `secrets.x | default('')` works for optional inputs and a bare
              `secrets.x` fails with a message that says how to store it
    base_url, origin, profile

Helpers: `now()` (server-corrected Unix seconds, an int, the same value for the
whole rendering), `uuid()`, `b64url(text)`, `b64(text)`, `sign(alg, private_key_pem, message)`.
Filter: `tojson` (plain JSON, for `json` bodies).

Error messages name the template field and the missing name, never a value.
"""

from __future__ import annotations

import base64
import json
import sys
import time
import uuid as _uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from workbench.core.errors import TemplateError, WorkbenchError
from workbench.core.jose.jws import jose_sign
from workbench.core.profiles.secret_refs import parse_ref, resolve
from workbench.core.redact import redact
from workbench.core.request.template_bounds import (
    MAX_OUTPUT_CHARS,
    check_filter,
    check_format_spec,
    check_printf,
    check_str_method,
)

if TYPE_CHECKING:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from workbench.core.clock import Clock
    from workbench.core.storage.vault import Vault

# Guards against a template that tries to build a gigantic string or number, or to run forever:
# a hostile preset or profile file must not hold a profile's lock or eat the machine's memory.
MAX_REPEAT = 10_000
MAX_EXPONENT = 1_000
MAX_INT_BITS = 64 * 1024  # far beyond any timestamp or id, far below a slow big-number
DEFAULT_RENDER_SECONDS = 2.0  # a real request template renders in well under a millisecond


class _BudgetExceeded(Exception):
    """Raised inside a rendering that went over its time or size budget (becomes a TemplateError)."""


class SecretSource(Protocol):
    """Where templates' `secrets.*` come from (the vault, usually). Called lazily, per name."""

    def get(self, name: str) -> str | None: ...


class MappingSecretSource:
    """A `SecretSource` over a plain mapping (tests, or values already in memory)."""

    def __init__(self, values: Mapping[str, str | None]) -> None:
        self._values = dict(values)

    def get(self, name: str) -> str | None:
        return self._values.get(name)


class VaultSecretSource:
    """The `SecretSource` over the vault: `overrides` first (e.g. tokens read under the engine's
    lock), then the profile's secret references (`refs`: env:VAR / cmd:COMMAND, resolved in memory
    by `core.secret_refs`), then one vault lookup per name a template touches, remembered."""

    def __init__(
        self,
        vault: Vault,
        profile: str,
        overrides: Mapping[str, str | None] | None = None,
        *,
        refs: Mapping[str, str] | None = None,
    ) -> None:
        self._vault = vault
        self._profile = profile
        self._values: dict[str, str | None] = dict(overrides or {})
        self._refs = refs or {}

    def get(self, name: str) -> str | None:
        if name not in self._values:
            ref = self._refs.get(name)
            if ref is not None:
                self._values[name] = resolve(self._profile, name, parse_ref(ref, secret=name))
            else:
                self._values[name] = self._vault.load(self._profile, name)
        return self._values[name]

    def known_values(self) -> list[str]:
        """Every secret value looked up so far (to scrub from provider messages)."""
        return [v for v in self._values.values() if v]


def _missing_secret_hint(profile: str, name: str) -> str:
    return (
        f"profile '{profile}' has no secret '{name}' in the keychain "
        f"(store it in the app's profile editor, or with `workbench profile set {profile} --secret {name}`)"
    )


def _missing_var_message(profile: str, name: str) -> str:
    return f"profile '{profile}' has no setting '{name}'"


def _missing_var_hint(profile: str, name: str) -> str:
    return f"set it with `workbench profile set {profile} --set {name}=...`"


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

    __slots__ = ("_profile", "_values", "missing")

    def __init__(self, values: Mapping[str, str], *, profile: str) -> None:
        self._values = dict(values)
        self._profile = profile
        self.missing: list[str] = []  # names looked up and not found (the error says how to set one)

    def __getitem__(self, name: str) -> Any:
        if isinstance(name, str) and not name.startswith("_") and name in self._values:
            return self._values[name]
        from jinja2 import StrictUndefined

        self.missing.append(str(name))
        return StrictUndefined(hint=_missing_var_message(self._profile, str(name)), name=str(name))

    def fix_for(self, message: str) -> tuple[str, str] | None:
        """(hint, field) when `message` is the miss of one of this profile's settings."""
        for name in self.missing:
            if message == _missing_var_message(self._profile, name):
                return _missing_var_hint(self._profile, name), f"vars.{name}"
        return None

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

    return jose_sign(alg, key, str(message))


def _b64url_helper(text: Any) -> str:
    _fail_if_undefined(text)
    if not isinstance(text, str | bytes):
        text = str(text)
    return b64url(text)


def _b64_helper(text: Any) -> str:
    """Standard base64 with padding (HTTP Basic credentials)."""
    _fail_if_undefined(text)
    raw = text if isinstance(text, bytes) else str(text).encode("utf-8")
    return base64.b64encode(raw).decode("ascii")


def _too_big(value: Any) -> str | None:
    """Why a value a template built is over budget, or None."""
    if isinstance(value, str | bytes | list | tuple) and len(value) > MAX_OUTPUT_CHARS:
        return f"a value of {len(value)} items, more than the {MAX_OUTPUT_CHARS} allowed"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        return f"a number of more than {MAX_INT_BITS} bits"
    return None


def _check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse, before computing it, an operation whose result would blow the budget."""
    if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
        raise TemplateError(f"exponent {right} is too large for a template")
    if operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
        if left.bit_length() * right > MAX_INT_BITS:
            raise TemplateError(f"a power with a result of more than {MAX_INT_BITS} bits is too large")
    if operator == "%":
        check_printf(left, right)
    if operator == "*":
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, str | list | tuple) and isinstance(count, int):
                if count > MAX_REPEAT or len(seq) * count > MAX_OUTPUT_CHARS:
                    raise TemplateError(f"repeating a value {count} times is too much for a template")
        if isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise TemplateError(f"a product of more than {MAX_INT_BITS} bits is too large")


def _checked_filter(name: str, func: Any) -> Any:
    """A filter whose arguments are checked before it runs (`center(10**9)`, `indent`, `join`:
    `template_bounds.check_filter`) and whose result is refused when over budget."""
    import functools
    import inspect

    try:
        signature: inspect.Signature | None = inspect.signature(func)
    except (TypeError, ValueError):
        signature = None

    @functools.wraps(func)  # keeps jinja's pass_context/pass_environment markers
    def checked(*args: Any, **kwargs: Any) -> Any:
        if signature is not None:
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError:
                pass  # the filter itself says what is wrong with its arguments
            else:
                bound.apply_defaults()
                check_filter(name, bound.arguments)
        result = func(*args, **kwargs)
        why = _too_big(result)
        if why:
            raise TemplateError(f"filter {getattr(func, '__name__', '?')} built {why}")
        return result

    return checked


def _build_environment() -> ImmutableSandboxedEnvironment:
    import functools
    import types

    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEscapeFormatter, SandboxedFormatter
    from markupsafe import Markup

    class _BoundedFormatter(SandboxedFormatter):
        def format_field(self, value: Any, format_spec: str) -> Any:
            check_format_spec(format_spec)  # resolved: a nested `{0:{1}}` spec is checked too
            return super().format_field(value, format_spec)

    class _BoundedEscapeFormatter(_BoundedFormatter, SandboxedEscapeFormatter):
        pass

    class _Environment(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "+", "%"})

        def wrap_str_format(self, value: Any) -> Any:
            """Jinja's sandboxed `str.format`/`format_map` (as in `SandboxedEnvironment`), with a
            formatter that checks each field's width before padding it."""
            if not isinstance(value, types.MethodType | types.BuiltinMethodType) or value.__name__ not in (
                "format",
                "format_map",
            ):
                return None
            owner = value.__self__
            if not isinstance(owner, str):
                return None
            formatter: SandboxedFormatter = (
                _BoundedEscapeFormatter(self, escape=owner.escape)
                if isinstance(owner, Markup)
                else _BoundedFormatter(self)
            )
            is_format_map = value.__name__ == "format_map"

            def wrapper(*args: Any, **kwargs: Any) -> str:
                if is_format_map:
                    if kwargs or len(args) != 1:
                        raise TypeError("format_map() takes exactly one argument")
                    mapping = args[0]
                    args, kwargs = (), mapping
                return type(owner)(formatter.vformat(owner, args, kwargs))

            return functools.update_wrapper(wrapper, value)

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            _check_binop(operator, left, right)
            result = super().call_binop(context, operator, left, right)
            why = _too_big(result)
            if why:
                raise TemplateError(f"'{operator}' built {why}")
            return result

        def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            owner = getattr(__obj, "__self__", None)
            if isinstance(owner, str):
                check_str_method(owner, getattr(__obj, "__name__", ""), args, kwargs)
            result = super().call(__context, __obj, *args, **kwargs)
            why = _too_big(result)
            if why:
                raise TemplateError(f"a call built {why}")
            return result

    env = _Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    # A fixed, small set of names: drop Jinja's playful extras.
    for name in ("lipsum", "cycler", "joiner"):
        env.globals.pop(name, None)
    env.globals["uuid"] = lambda: str(_uuid.uuid4())
    env.globals["b64url"] = _b64url_helper
    env.globals["b64"] = _b64_helper
    env.globals["sign"] = _sign
    env.filters["tojson"] = _tojson
    env.filters["b64url"] = _b64url_helper
    for name, func in list(env.filters.items()):
        env.filters[name] = _checked_filter(name, func)
    return env


@contextmanager
def _time_budget(seconds: float) -> Iterator[Callable[[], None]]:
    """Stop a rendering that runs past `seconds`: a trace function on the template's own frames
    (code compiled from `<template>`) checks the deadline at every line, so nested loops cannot
    run forever. Only this thread is traced, and the previous tracer is restored afterwards."""
    deadline = time.monotonic() + seconds

    def check() -> None:
        if time.monotonic() > deadline:
            raise _BudgetExceeded(f"took longer than {seconds:g} s")

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            check()
        return local

    def global_(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename == "<template>" else None

    previous = sys.gettrace()
    sys.settrace(global_)
    try:
        yield check
    finally:
        sys.settrace(previous)


class TemplateRenderer:
    """Renders request templates. One instance is safe to share between threads."""

    def __init__(self, *, clock: Clock, budget_seconds: float = DEFAULT_RENDER_SECONDS) -> None:
        self._clock = clock
        self.budget_seconds = budget_seconds
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

        def fail(message: str, *, hint: str = "", concerns: str = "") -> NoReturn:
            values = touched_values(secrets) if isinstance(secrets, LazySecrets) else ()
            text = " ".join(redact(message, values).split())
            where_text = f"{_prefix(where)}{_label(field)}"
            raise TemplateError(f"{where_text}: {text}", hint=hint, field=concerns) from None

        try:
            compiled = self._env.from_string(template)
            text = self._render_within_budget(compiled, ctx)
        except _BudgetExceeded as exc:
            fail(f"refused: the rendering {exc} (a template must be small and quick)")
        except JinjaTemplateError as exc:
            line = getattr(exc, "lineno", None)
            message = exc.message or exc.__class__.__name__
            template_vars = ctx.get("vars")
            fix = template_vars.fix_for(message) if isinstance(template_vars, TemplateVars) else None
            if line and template.count("\n"):
                message = f"line {line}: {message}"
            if fix is not None:  # a setting of the profile is missing: say where it is set
                fail(message, hint=fix[0], concerns=fix[1])
            fail(message)
        except TemplateError as exc:
            fail(str(exc))
        except WorkbenchError:
            raise  # e.g. KeyFormatError from sign(): already a clean, value-free sentence
        except (TypeError, ValueError, ArithmeticError, LookupError, OverflowError) as exc:
            fail(f"{exc.__class__.__name__}: {exc}")
        except MemoryError:
            # The last guard: an allocation the checks above did not foresee failed in this process.
            fail("refused: the rendering ran out of memory (a template must be small and quick)")
        return text

    def _render_within_budget(self, compiled: Any, ctx: dict[str, Any]) -> str:
        """`Template.generate` chunk by chunk, so the output is counted as it grows and the
        deadline is checked between chunks as well as inside the template's own code."""
        chunks: list[str] = []
        size = 0
        with _time_budget(self.budget_seconds) as check:
            for chunk in compiled.generate(ctx):
                size += len(chunk)
                if size > MAX_OUTPUT_CHARS:
                    raise _BudgetExceeded(f"produced more than the {MAX_OUTPUT_CHARS} characters allowed")
                chunks.append(chunk)
                check()
        return "".join(chunks)


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
    "VaultSecretSource",
    "b64url",
    "touched_values",
]

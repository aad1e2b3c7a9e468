"""`workbench self-test [--json]`: check this installation end to end, headless and offline.

What it checks, one line each (`ok`, `warn`, `FAIL: reason`, or `skip`), with timings:

* resources   the shipped presets and icons are found (in a PyInstaller bundle too)
* tls         which trust store HTTPS verification uses (the OS store via truststore), and
              that it loads
* vault       a store/load/delete round trip of a throwaway entry (short and chunked)
              on the keyring backend this process really uses; no usable backend is a
              warning and the rest runs on the in-memory vault
* <preset>    for every preset the embedded sandbox emulates: create a profile from its
              demo credentials, obtain a token through `TokenEngine.get_token` (mint and,
              where the preset can, a forced refresh), decode and verify it (JWKS or
              HMAC secret when the preset names one; the provider's verify request
              when it has one), and make one authenticated call to `{base}/api/echo`
* keys        per algorithm: generate a key pair, sign, verify, reject a tampered message

It never touches the user's data: profiles, state, locks and history live in a
temporary `WORKBENCH_HOME` for the duration of the run; vault entries use profile
names starting with `selftest-` plus a random tag, and are deleted afterwards.
The report goes to stdout; exit status 0 when nothing failed, 1 otherwise (the
failed checks are named on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

from workbench import __version__
from workbench.cli import summary
from workbench.core.context import AppContext
from workbench.core.errors import WorkbenchError, user_message
from workbench.core.jose import jws, keys
from workbench.core.jose.inspect.compact import looks_like_jwt
from workbench.core.net import trust
from workbench.core.oauth.grants import EXCHANGE_PROFILE_VARS
from workbench.core.operations.logins import log_in
from workbench.core.operations.profiles import create_profile, remove_profile
from workbench.core.operations.tokens import inspect_token, token_facts, verify_token
from workbench.core.profiles.catalog import PresetCatalog
from workbench.core.profiles.profile import TOKEN_SECRET_NAMES
from workbench.core.redact import redact
from workbench.core.storage import paths
from workbench.core.storage.vault import MemoryKeyring, Vault
from workbench.sandbox import Sandbox

if TYPE_CHECKING:
    from workbench.core.engine.token_engine import TokenEngine
    from workbench.core.profiles.presets import Preset

Status = Literal["ok", "warn", "fail", "skip"]
PROFILE_PREFIX = "selftest-"
ECHO_PATH = "/api/echo"
# A value long enough to be split into several vault entries (see vault.CHUNK_BUDGET_UTF16_BYTES).
CHUNKED_PROBE_LENGTH = 2500


class CheckFailed(Exception):
    """A check's own verdict (the message is the reason shown after `FAIL:`)."""


class CheckWarning(Exception):
    """The check passed with a reservation the user should know about."""


@dataclass
class Check:
    name: str
    status: Status
    detail: str
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "detail": self.detail,
            "ms": round(self.seconds * 1000, 1),
        }

    def line(self) -> str:
        shown = {"ok": "ok", "warn": "warn", "fail": "FAIL:", "skip": "skip"}[self.status]
        timing = f"  ({self.seconds * 1000:.0f} ms)" if self.status != "skip" else ""
        return f"{shown:<5} {self.name:<36} {self.detail}{timing}"


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    backend: str | None = None
    started: float = field(default_factory=time.perf_counter)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": __version__,
            "frozen": bool(getattr(sys, "frozen", False)),
            "ok": not self.failed,
            "keyring_backend": self.backend,
            "seconds": round(time.perf_counter() - self.started, 3),
            "checks": [c.to_json() for c in self.checks],
        }


def _reason(exc: BaseException) -> str:
    if isinstance(exc, (CheckFailed, CheckWarning)):
        return str(exc)
    if isinstance(exc, WorkbenchError):
        return user_message(exc)
    # Unexpected here: the type and a redacted message help more than "internal error".
    return f"{type(exc).__name__}: {redact(' '.join(str(exc).split()))}"[:300]


class SelfTest:
    """Runs the checks in order and streams each line as it completes (unless JSON was asked for)."""

    def __init__(self, ctx: AppContext, *, out: TextIO | None, echo: bool) -> None:
        self.ctx = ctx
        self.out = out
        self.echo = echo
        self.report = Report()
        self.made: dict[str, str] = {}  # preset → the self-test's profile of it

    # ------------------------------------------------------------------ plumbing

    def _record(self, name: str, status: Status, detail: str, seconds: float) -> Check:
        check = Check(name, status, detail, seconds)
        self.report.checks.append(check)
        if self.echo and self.out is not None:
            print(check.line(), file=self.out, flush=True)
        return check

    def run_check(self, name: str, fn: Callable[[], str]) -> Check:
        started = time.perf_counter()
        try:
            detail = fn()
            status: Status = "ok"
        except CheckWarning as exc:
            status, detail = "warn", str(exc)
        except Exception as exc:  # a failed check is data for the report, never a crash
            status, detail = "fail", _reason(exc)
        return self._record(name, status, detail, time.perf_counter() - started)

    def skip(self, name: str, why: str) -> None:
        self._record(name, "skip", why, 0.0)

    # ------------------------------------------------------------------ checks

    def check_resources(self) -> None:
        def run() -> str:
            root = paths.resources_dir()
            catalog = PresetCatalog.load_dirs([paths.presets_dir()])
            if catalog.problems:
                first = next(iter(catalog.problems.values()))
                raise CheckFailed(f"{len(catalog.problems)} shipped preset(s) do not load: {first}")
            if not catalog.names():
                raise CheckFailed(f"no presets under {paths.presets_dir()}")
            icon = root / "icons" / "token-workbench.svg"
            if not icon.is_file():
                raise CheckFailed(f"the app icon is missing ({icon})")
            where = "bundle" if getattr(sys, "frozen", False) else str(root)
            return f"{len(catalog.names())} presets and icons found ({where})"

        self.run_check("resources", run)

    def check_tls(self) -> None:
        def run() -> str:
            # Verification uses the OS trust store through truststore (core/trust.py); a frozen app
            # must have collected truststore, or it would fall back to certifi's bundle.
            import ssl

            try:
                trust.ssl_context()
                store = trust.describe()
            except (OSError, ssl.SSLError) as exc:
                raise CheckFailed(f"no TLS context could be built ({exc.__class__.__name__})") from None
            if store.certificates == 0:
                raise CheckWarning(
                    f"{store.description} holds no CA certificates: HTTPS providers would fail "
                    "(install the ca-certificates package, or set SSL_CERT_FILE)"
                )
            count = f" ({store.certificates} CA certificates)" if store.certificates else ""
            if store.kind != "os":
                raise CheckWarning(f"verifying against {store.description}{count}, not the OS trust store")
            return f"verifying against {store.description}{count}"

        self.run_check("tls", run)

    def check_vault(self, vault: Vault) -> Vault:
        """Round-trip on the active backend. Returns the vault the rest of the run uses."""
        tag = secrets.token_hex(4)
        profile = f"{PROFILE_PREFIX}vault-{tag}"
        short_value = secrets.token_urlsafe(24)
        long_value = secrets.token_urlsafe(CHUNKED_PROBE_LENGTH)[:CHUNKED_PROBE_LENGTH]

        def run() -> str:
            try:
                for name, value in (("probe", short_value), ("probe-chunked", long_value)):
                    vault.store(profile, name, value)
                    if vault.load(profile, name) != value:
                        raise CheckFailed(f"{vault.backend_name}: the value read back is not the one stored")
                    vault.delete(profile, name)
                    if vault.load(profile, name) is not None:
                        raise CheckFailed(f"{vault.backend_name}: a deleted entry can still be read")
            finally:
                # Best effort: never leave a probe behind in the user's keychain.
                try:
                    vault.delete_profile(profile, ("probe", "probe-chunked"))
                except Exception:  # noqa: S110 - the check's own outcome is what matters
                    pass
            self.report.backend = vault.backend_name
            if not vault.persistent:
                why = vault.warning or "no usable keychain"
                raise CheckWarning(f"{why} The rest of the self-test uses the in-memory vault.")
            return f"{vault.backend_name}: store/load/delete round trip (short and chunked values)"

        check = self.run_check("vault", run)
        if check.status == "fail" or vault.fell_back:
            # An in-memory vault by design from here on: a login would refuse one that fell back.

            self.report.backend = self.report.backend or _safe_backend_name(vault)
            return Vault(MemoryKeyring())
        return vault

    def check_preset(
        self, st_ctx: AppContext, sandbox: Sandbox, preset_name: str, demo: dict[str, Any], created: list[str]
    ) -> None:
        engine = st_ctx.engine
        name = f"{PROFILE_PREFIX}{preset_name}-{secrets.token_hex(3)}"
        steps: list[tuple[str, Callable[[], str]]] = []
        state: dict[str, Any] = {}

        def create() -> str:
            # The catalogue's own operation, as `profile add` and the editor create profiles.

            variables = dict(demo.get("vars", {}))
            for var in EXCHANGE_PROFILE_VARS:  # a demo token exchange names another preset's profile
                if variables.get(var) in self.made:
                    variables[var] = self.made[variables[var]]
            saved = create_profile(
                st_ctx,
                name,
                preset=preset_name,
                base_url=demo["base_url"],
                vars=variables,
                secrets=demo["secrets"],
            )
            created.append(name)
            self.made[preset_name] = name
            state["preset"] = saved.profile.preset
            count = len(demo["secrets"])
            return f"from the sandbox's demo credentials ({count} secret{'s' * (count != 1)} in the vault)"

        def token() -> str:
            preset: Preset = state["preset"]
            done = []
            result = None
            if preset.section("oauth") is not None:
                # An interactive login: the sandbox's authorization server plays the user.

                idp = sandbox.provider(preset_name)
                idp.device_interval, idp.auto_approve = 1.0, True  # type: ignore[attr-defined]
                result = log_in(st_ctx, name, opener=idp.play_user, timeout=30).token  # type: ignore[attr-defined]
                done.append("login")
            if preset.can_mint():
                result = engine.get_token(name, force="mint")
                done.append(result.obtained_by)
            if preset.can_refresh():
                result = engine.get_token(name, force="refresh")
                done.append(result.obtained_by)
            if result is None:
                raise CheckFailed(f"preset '{preset_name}' can neither mint nor refresh")
            if not result.access_token:
                raise CheckFailed("the engine returned an empty access token")
            again = engine.get_token(name)
            if again.access_token != result.access_token or again.obtained_by != "cache":
                raise CheckFailed("a fresh token was not served from the cache on the next call")
            state["token"] = result.access_token
            expires = result.expires_in(engine.clock.now())
            life = f"expires in {expires} s" if expires is not None else "no expiry"
            return f"{' + '.join(done)}, {life}, then cached"

        def verify() -> str:
            return _verify_token(st_ctx, engine, name, state["preset"], state["token"])

        def call() -> str:
            result = engine.call(name, "GET", ECHO_PATH)
            if not result.ok:
                raise CheckFailed(f"GET {ECHO_PATH} answered HTTP {result.status} {result.reason}")
            try:
                result.json()
            except ValueError:
                raise CheckFailed(f"GET {ECHO_PATH} answered {result.status} but not with JSON") from None
            extra = ", token slid" if result.token_replaced else ""
            return f"GET {ECHO_PATH} → {result.status}{extra}"

        steps = [("profile", create), ("token", token), ("verify", verify), ("call", call)]
        failed = False
        for step, fn in steps:
            label = f"{preset_name}: {step}"
            if failed:
                self.skip(label, "an earlier step failed")
                continue
            failed = self.run_check(label, fn).status == "fail"

    def check_keys(self) -> None:
        for alg in keys.ALGORITHMS:

            def run(alg: str = alg) -> str:
                pair = keys.generate_key_pair(alg)
                message = f"selftest.{int(time.time())}"
                signature = jws.jose_sign(alg, pair.private_key, message)
                public = pair.public_pem()
                if not jws.jose_verify(alg, public, message, signature):
                    raise CheckFailed("a fresh signature does not verify with its own public key")
                if jws.jose_verify(alg, public, message + "x", signature):
                    raise CheckFailed("a signature verifies for a different message")
                jwk = pair.public_jwk()
                if jwk.get("kid") != keys.jwk_thumbprint(jwk):
                    raise CheckFailed("the JWK's kid is not its RFC 7638 thumbprint")
                return "generate, sign, verify, reject tampered message"

            self.run_check(f"keys: {alg}", run)

    # ------------------------------------------------------------------ the run

    def run(self) -> Report:
        self.check_resources()
        self.check_tls()
        vault = self.check_vault(self.ctx.vault)
        with _temporary_home() as home:
            self._run_presets(vault, home)
        self.check_keys()
        return self.report

    def _run_presets(self, vault: Vault, home: Path) -> None:
        created: list[str] = []
        sandbox: Sandbox | None = None
        st_ctx = AppContext(clock=self.ctx.clock, vault=vault)
        try:

            def start() -> str:
                nonlocal sandbox
                sandbox = Sandbox(host="127.0.0.1").start()
                return f"listening on {sandbox.url}"

            if self.run_check("sandbox", start).status == "fail" or sandbox is None:
                return
            demos = sandbox.demo_profiles()
            known = set(st_ctx.presets.names())
            for preset_name in sorted(demos):
                if preset_name not in known:
                    why = "the sandbox emulates a preset the app does not ship"
                    self._record(f"{preset_name}: profile", "fail", why, 0.0)
                    continue
                self.check_preset(st_ctx, sandbox, preset_name, demos[preset_name], created)
            for preset_name in sorted(known - set(demos)):
                self.skip(f"{preset_name}", "no sandbox emulator for this preset")
        finally:
            for name in created:
                try:
                    remove_profile(st_ctx, name)
                except Exception:
                    _forget_secrets(vault, name)
            try:
                st_ctx.close()
            finally:
                if sandbox is not None:
                    sandbox.stop()


def _forget_secrets(vault: Vault, name: str) -> None:
    """Last-resort cleanup when the profile file is gone or broken: delete every name we may have used."""

    names = {"private_key", "api_key", "secret_key", "client_secret", *TOKEN_SECRET_NAMES}
    try:
        vault.delete_profile(name, sorted(names))
    except Exception:  # noqa: S110 - cleanup is best effort; the report already says what failed
        pass


def _safe_backend_name(vault: Vault) -> str:
    try:
        return vault.backend_name
    except Exception:
        return "unknown"


def _verify_token(st_ctx: AppContext, engine: TokenEngine, name: str, preset: Preset, token: str) -> str:
    """Verify through the catalogue's `verify_token` (the GUI's Verify): the preset's JWKS or shared
    secret, then the provider's own check; a preset that offers neither is decoded at the least."""

    if not token_facts(st_ctx.profiles.get(name)).can_verify:
        if not looks_like_jwt(token):
            return "opaque token (not a JWT); the preset offers no check"
        return f"{inspect_token(token).alg} decoded (no local key to verify with)"
    verdict = verify_token(engine, name)
    if verdict.valid is False:
        details = dict(verdict.details)
        why = details.get("Why") or ("expired" if details.get("Expired") == "yes" else "not valid")
        raise CheckFailed(f"the token the engine just obtained does not verify ({verdict.how}): {why}")
    done = []
    if preset.can_verify_locally():
        spec = preset.token
        key = "the provider's JWKS" if spec.jwks_url else f"the '{spec.verify_secret}' secret"
        done.append(f"signature verified with {key}")
    if preset.can_verify():
        done.append("provider's verify request accepted it")
    return "; ".join(done)


@contextmanager
def _temporary_home() -> Iterator[Path]:
    """Point WORKBENCH_HOME at a throwaway folder for the run (profiles, state, locks, history)."""
    home = Path(tempfile.mkdtemp(prefix="workbench-selftest-"))
    saved = os.environ.get("WORKBENCH_HOME")
    os.environ["WORKBENCH_HOME"] = str(home)
    try:
        yield home
    finally:
        if saved is None:
            os.environ.pop("WORKBENCH_HOME", None)
        else:
            os.environ["WORKBENCH_HOME"] = saved
        shutil.rmtree(home, ignore_errors=True)


def run_selftest(ctx: AppContext, *, out: TextIO | None = None, as_json: bool = False) -> Report:
    """Run every check; stream the text report to `out` as it goes (JSON is printed by the caller)."""
    test = SelfTest(ctx, out=out, echo=not as_json)
    if out is not None and not as_json:
        kind = "frozen" if getattr(sys, "frozen", False) else f"python {sys.version.split()[0]}"
        print(f"workbench {__version__} self-test ({kind}, {sys.platform})", file=out, flush=True)
    return test.run()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this command's subparser."""
    st = sub.add_parser(
        "self-test",
        help=summary("self-test"),
        description="Check this installation offline: resources, the TLS trust store, a keychain round "
        "trip, every preset against the embedded sandbox, every key algorithm. Your profiles are not "
        "touched. Exit 0 when nothing failed.",
        epilog="""examples:
  workbench self-test
  workbench self-test --json | jq '.checks[] | select(.status != "ok")'
""",
    )
    st.add_argument("--json", action="store_true", help="print the report as one JSON document")


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    as_json = bool(getattr(args, "json", False))
    report = run_selftest(ctx, out=sys.stdout, as_json=as_json)
    elapsed = time.perf_counter() - report.started
    if as_json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        counted = [c for c in report.checks if c.status != "skip"]
        warned = sum(c.status == "warn" for c in report.checks)
        verdict = (
            f"{len(report.failed)} of {len(counted)} checks failed"
            if report.failed
            else (f"all {len(counted)} checks passed" + (f" ({warned} with a warning)" if warned else ""))
        )
        print(f"{verdict} in {elapsed:.1f} s; keyring backend: {report.backend}")
    if report.failed:
        names = ", ".join(c.name for c in report.failed)
        print(f"workbench: self-test failed: {names}", file=sys.stderr)
        return 1
    return 0

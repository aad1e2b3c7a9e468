"""Checking a profile's token: with the provider (`[verify]` request) or locally (signature
against the provider's JWKS or a shared secret from the vault)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from workbench.core.engine import answers, flows
from workbench.core.engine.renew import Renewal, renew_once
from workbench.core.engine.stored import ACCESS_TOKEN
from workbench.core.engine.tokens import Tokens
from workbench.core.engine.types import TokenUnavailableError
from workbench.core.engine.wire import Wire
from workbench.core.errors import ProviderError
from workbench.core.jose import inspect as jwtinspect
from workbench.core.net.client import PROVIDER_MAX_BYTES
from workbench.core.net.origins import check_origin
from workbench.core.profiles.secret_refs import load_input
from workbench.core.redact import redact, redact_url
from workbench.core.request.templating import VaultSecretSource

if TYPE_CHECKING:
    import httpx

    from workbench.core.engine.flows import RequestSpec
    from workbench.core.engine.types import TokenResult
    from workbench.core.jose.inspect import Inspection
    from workbench.core.storage.vault import Vault


class Verifier:
    """Verifies tokens for the engine (thread-safe)."""

    def __init__(self, *, wire: Wire, tokens: Tokens, vault: Vault) -> None:
        self._wire = wire
        self._tokens = tokens
        self._vault = vault

    def verify_remote(self, profile: str) -> dict[str, Any]:
        prof = self._wire.profile(profile)
        if not prof.preset.can_verify():
            raise ProviderError(
                f"preset '{prof.preset.name}' has no [verify] request, so profile '{profile}' cannot be "
                "checked with the provider (decode the token locally instead)"
            )
        token = self._tokens.get_token(profile)
        label = f"{prof.preset.name} verify"

        sent_secrets: list[str] = []  # what the rendered requests carried, scrubbed from history

        def build(access_token: str) -> RequestSpec:
            secrets = VaultSecretSource(
                self._vault, profile, {ACCESS_TOKEN: access_token}, refs=prof.secret_refs
            )
            spec = flows.build_request(
                prof, "verify", secrets=secrets, renderer=self._wire.renderer(), access_token=access_token
            )
            sent_secrets.extend(secrets.known_values())
            return spec

        spec = build(token.access_token)

        def place(request: httpx.Request, sending: TokenResult) -> httpx.Request:
            # The `[verify]` template may put the token anywhere: render the request again.
            if sending.access_token == token.access_token:
                return request
            again = build(sending.access_token)
            check_origin(prof, again.url, what=label)
            drop = {k.lower() for k, _ in spec.headers} | {"host", "content-length", "transfer-encoding"}
            kept = [(k, v) for k, v in request.headers.multi_items() if k.lower() not in drop]
            return type(request)(
                again.method,
                again.url,
                headers=[*kept, *again.headers],
                content=again.content,
                extensions=request.extensions,
            )

        def expired(status: int, body: Callable[[], bytes]) -> bool:
            # The provider says the token expired (its `[token] expired_markers`, e.g.
            # token-of-trust's 401 "Token has expired"): obtain a new one and ask again.
            return status == 401 and answers.is_expired_answer(prof, status, body())

        auth = renew_once(self._tokens, profile, token, Renewal(place, expired, PROVIDER_MAX_BYTES, label))
        response = self._wire.send(
            prof,
            spec.method,
            spec.url,
            list(spec.headers),
            spec.content,
            None,
            label,
            auth=auth,
            secrets=sent_secrets,
        )
        if not 200 <= response.status_code < 300:
            raise answers.provider_error(
                prof,
                status=response.status_code,
                headers=response.headers,
                body=response.content,
                step="verify",
                now=self._wire.clock.now(),
            )
        try:
            data = response.json()
        except ValueError:
            return {"status": response.status_code, "body": redact(response.text[:500])}
        return data if isinstance(data, dict) else {"status": response.status_code, "body": data}

    def provider_can_verify(self, profile: str) -> bool:
        """The preset has a [verify] request (token-of-trust's GET on the token path)."""
        return self._wire.profile(profile).preset.can_verify()

    def can_verify_locally(self, profile: str) -> bool:
        """The preset names a key to check its tokens with: a JWKS URL or a shared HMAC secret."""
        return self._wire.profile(profile).preset.can_verify_locally()

    def verify_local(self, profile: str) -> Inspection:
        """Decode the current token and check its signature the way the preset allows: the
        provider's JWKS (fetched, `[token].jwks_url`) or a secret from the vault (`verify_secret`).
        Without either the inspection has `signature_valid=None`."""

        prof = self._wire.profile(profile)
        token = self._tokens.get_token(profile)
        spec = prof.preset.token
        key: jwtinspect.VerificationKey | None = None
        if spec.jwks_url:
            secrets = VaultSecretSource(
                self._vault, profile, {ACCESS_TOKEN: token.access_token}, refs=prof.secret_refs
            )
            url = self._wire.renderer().render(
                spec.jwks_url,
                flows.template_context(prof, secrets=secrets, access_token=token.access_token),
                field="token.jwks_url",
                where=f"{prof.preset.name} token",
            )
            # Through the engine's one send path: the origin rule applies to the URL as rendered
            # (a template may branch on a secret's value), no redirect is followed, 1 MiB cap.
            resolved = flows.resolve_url(prof, url)
            accept = [("Accept", "application/json")]
            response = self._wire.send(prof, "GET", resolved, accept, None, None, f"{prof.preset.name} JWKS")
            if response.status_code != 200:
                raise ProviderError(
                    f"{prof.preset.name} JWKS: the key set URL answered HTTP {response.status_code}",
                    status=response.status_code,
                )
            key = jwtinspect.VerificationKey.from_jwks(response.content, source=redact_url(resolved))
        elif spec.verify_secret:
            secret_name = spec.verify_secret

            secret = load_input(self._vault, prof, secret_name)
            if not secret:
                raise TokenUnavailableError(
                    f"profile '{profile}' has no '{secret_name}' stored to verify its tokens with"
                )
            key = jwtinspect.VerificationKey.from_secret(secret)
        return jwtinspect.inspect_token(token.access_token, key=key, now=self._wire.clock.now())

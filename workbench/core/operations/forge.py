"""Forge operations: sign a token, encrypt one, and the keys kept in the keychain for signing.

The key for signing comes from one of (`KeyChoice`): a profile's key slot (the key its
preset signs with), a key generated into the keychain under a name of the user's, PEM/JWK
text (a file's content or a pasted key), an HMAC secret's bytes, or a fresh key made for
this one token. The CLI's `jwt sign` and the Inspector's editable mode both come here.

Keys in the keychain that belong to no profile live in the vault under the namespace
``_workbench-keys`` (a vault "profile" name no profile can have: `validate_profile_name`
reserves the ``_workbench`` prefix), one entry per key (its private PEM) and ``.index``
listing the names, because keychains cannot list.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.core.errors import InputError, KeyFormatError, ProfileError
from workbench.core.jose import jwe
from workbench.core.jose.forge import (
    SigningKey,
    parse_json_object,
    resign,
    sign_token,
    signing_key_from_secret,
    signing_key_from_text,
)
from workbench.core.jose.jwe import encryption_key_from_secret, encryption_key_from_text
from workbench.core.jose.jws import describe_key
from workbench.core.jose.keys import generate_key_pair
from workbench.core.profiles.profile import RESERVED_PROFILE_PREFIX

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.core.jose.forge import ForgedToken, TokenSpec
    from workbench.core.jose.jwe import Encrypted, EncryptionKey
    from workbench.core.storage.vault import Vault

KEYCHAIN_NAMESPACE = f"{RESERVED_PROFILE_PREFIX}-keys"
_INDEX = ".index"
_KEY_NAME_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}\Z")


@dataclass(frozen=True, kw_only=True)
class KeyChoice:
    """Where the signing key comes from: exactly one of the fields (or none, for ``alg: none``).

    Attributes:
        profile: the profile whose key slot holds the key.
        keychain: a key generated into the keychain under this name (with `new_alg`: make it).
        text / source: PEM or JWK text, and where it came from (for messages).
        secret: an HMAC secret's bytes.
        new_alg: generate a fresh key for this algorithm (kept under `keychain` when given).
    """

    profile: str | None = None
    keychain: str | None = None
    text: str | None = None
    source: str = "the pasted key"
    secret: bytes | None = None
    new_alg: str | None = None

    def given(self) -> int:
        return sum(
            x is not None for x in (self.profile, self.keychain or self.new_alg, self.text, self.secret)
        )


@dataclass(frozen=True)
class KeyGenerated:
    """A key made for signing: its name in the keychain (None: used once, not kept)."""

    name: str | None
    alg: str
    public_jwk: dict[str, str]


@dataclass(frozen=True)
class Signed:
    """What `sign_jwt` made. `generated` is set when a new key was made for it."""

    forged: ForgedToken
    key_label: str | None
    generated: KeyGenerated | None = None
    public_jwk: dict[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        out = self.forged.to_json()
        if self.public_jwk is not None:
            out["jwk"] = self.public_jwk
        return out


# --------------------------------------------------------------------------- keychain keys


def _check_key_name(name: str) -> str:
    if not isinstance(name, str) or not _KEY_NAME_RE.match(name) or name == _INDEX:
        raise InputError(f"key name {name!r} may only use letters, digits, '.', '_' and '-' (up to 64)")
    return name


def keychain_key_names(vault: Vault) -> tuple[str, ...]:
    """The names of the signing keys kept in the keychain (reads the vault: off the GUI thread)."""
    raw = vault.load(KEYCHAIN_NAMESPACE, _INDEX)
    if not raw:
        return ()
    try:
        names = json.loads(raw)
    except ValueError:
        return ()
    return (
        tuple(n for n in names if isinstance(n, str) and _KEY_NAME_RE.match(n))
        if isinstance(names, list)
        else ()
    )


def generate_keychain_key(vault: Vault, name: str, alg: str) -> KeyGenerated:
    """Make an `alg` key pair and keep its private half in the keychain as `name` (never
    replacing one: a key others trust must not vanish by a typo)."""

    _check_key_name(name)
    if vault.has(KEYCHAIN_NAMESPACE, name):
        raise InputError(f"the keychain already holds a key named '{name}'", hint="pick another name")
    vault.require_keeping("a generated key could not be kept")
    pair = generate_key_pair(alg)
    names = keychain_key_names(vault)
    vault.store(KEYCHAIN_NAMESPACE, name, pair.private_pem().decode("ascii"))
    try:
        vault.store(KEYCHAIN_NAMESPACE, _INDEX, json.dumps(sorted({*names, name})))
    except BaseException:
        vault.delete(KEYCHAIN_NAMESPACE, name)
        raise
    return KeyGenerated(name=name, alg=alg, public_jwk=pair.public_jwk())


def load_keychain_key(vault: Vault, name: str) -> SigningKey:
    _check_key_name(name)
    pem = vault.load(KEYCHAIN_NAMESPACE, name)
    if not pem:
        raise KeyFormatError(
            f"the keychain holds no signing key named '{name}'",
            hint=f"make one: workbench jwt sign --new-key ES256 --key keychain:{name} …",
        )
    key = signing_key_from_text(pem, source=f"keychain key '{name}'")
    return type(key)(key.material, key.label.replace(" from ", " in ", 1))


def remove_keychain_key(vault: Vault, name: str) -> None:
    _check_key_name(name)
    vault.delete(KEYCHAIN_NAMESPACE, name)
    names = [n for n in keychain_key_names(vault) if n != name]
    vault.store(KEYCHAIN_NAMESPACE, _INDEX, json.dumps(names))


# --------------------------------------------------------------------------- signing


def profile_signing_key(ctx: AppContext, name: str) -> SigningKey:
    """The key in profile `name`'s key slot (the one its preset signs requests with)."""
    from workbench.core.operations.keys import NoKeySlotError, key_slot

    try:
        slot = key_slot(ctx.profiles.get(name))
    except NoKeySlotError as exc:
        raise ProfileError(str(exc), hint="give the key with --key FILE or --secret instead") from None
    pem = ctx.vault.load(name, slot.secret)
    if not pem:
        raise KeyFormatError(
            f"profile '{name}' has no key in its {slot.secret} slot",
            hint=f"generate one: workbench keygen --profile {name}",
        )
    key = signing_key_from_text(pem, source=f"profile '{name}'")
    return type(key)(key.material, key.label.replace(" from ", " of ", 1))


def resolve_signing_key(ctx: AppContext, choice: KeyChoice) -> tuple[SigningKey | None, KeyGenerated | None]:
    """The key `choice` names (None when none is chosen), and the key generated for it, if any."""

    if choice.given() > 1:
        raise InputError("give one signing key: a profile, a keychain key, a key file or a secret")
    if choice.new_alg is not None:
        if choice.keychain is not None:
            made = generate_keychain_key(ctx.vault, choice.keychain, choice.new_alg)
            return load_keychain_key(ctx.vault, choice.keychain), made

        pair = generate_key_pair(choice.new_alg)
        label = f"new {describe_key(pair.private_key)} (not kept)"
        return SigningKey(pair.private_key, label), KeyGenerated(None, choice.new_alg, pair.public_jwk())
    if choice.profile is not None:
        return profile_signing_key(ctx, choice.profile), None
    if choice.keychain is not None:
        return load_keychain_key(ctx.vault, choice.keychain), None
    if choice.text is not None:
        return signing_key_from_text(choice.text, source=choice.source), None
    if choice.secret is not None:
        return signing_key_from_secret(choice.secret), None
    return None, None


def sign_jwt(ctx: AppContext, spec: TokenSpec, choice: KeyChoice) -> Signed:
    """Build and sign a token: `workbench jwt sign` and the Inspector's forge (vault: off the GUI thread)."""

    key, generated = resolve_signing_key(ctx, choice)
    forged = sign_token(spec, key, now=ctx.clock.now())
    public = key.public_jwk() if key is not None and forged.header.get("alg") != "none" else None
    return Signed(forged=forged, key_label=key.label if key else None, generated=generated, public_jwk=public)


def resign_edited(
    ctx: AppContext,
    header_text: str,
    payload_text: str,
    choice: KeyChoice,
    *,
    allow_weak: bool = False,
    allow_none: bool = False,
) -> Signed:
    """The Inspector's editable mode: sign the edited header and payload JSON exactly as they
    are (the header's ``alg`` decides) with the chosen key. Vault: off the GUI thread."""

    header = parse_json_object(header_text, what="header")
    payload = parse_json_object(payload_text, what="payload")
    key, generated = (None, None) if header.get("alg") == "none" else resolve_signing_key(ctx, choice)
    forged = resign(header, payload, key, allow_weak=allow_weak, allow_none=allow_none)
    public = key.public_jwk() if key is not None else None
    return Signed(forged=forged, key_label=key.label if key else None, generated=generated, public_jwk=public)


# --------------------------------------------------------------------------- encryption


def encryption_key(
    *, text: str | None = None, source: str = "the key", secret: bytes | None = None
) -> EncryptionKey:
    """A JWE key from PEM/JWK text or a shared secret's bytes."""

    if (text is None) == (secret is None):
        raise InputError("give one key: a PEM/JWK (--key) or a shared secret (--secret)")
    if text is not None:
        return encryption_key_from_text(text, source=source)
    assert secret is not None
    return encryption_key_from_secret(secret)


def encrypt_token(
    plaintext: bytes,
    key: EncryptionKey,
    *,
    alg: str | None = None,
    enc: str | None = None,
    cty: str | None = None,
    headers: tuple[tuple[str, Any], ...] = (),
) -> Encrypted:
    """`workbench jwt encrypt`: a compact JWE of a payload or a token for `key`'s holder."""

    if not plaintext:
        raise InputError("nothing to encrypt: the input is empty")
    return jwe.encrypt(
        plaintext, key, alg=alg, enc=enc or jwe.DEFAULT_ENC, cty=cty, extra_header=dict(headers)
    )

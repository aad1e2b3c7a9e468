"""User operations: one function per action the CLI and the GUI both offer.

In the manner of git-cola's ``cmds`` and Anki's ``CollectionOp``: a front end gathers
input, calls one function here (the GUI on its worker pool, never on the GUI thread)
and shows the typed result, which says what changed. Neither front end talks to the
vault or the profile store for these actions on its own, so they cannot drift apart.

Every operation validates everything first, writes second, and undoes its own vault
writes when a later step fails: a refused profile leaves nothing in the keychain.

This package is the catalogue: its modules are grouped by noun (``profiles``, ``keys``,
``tokens``, ``requests``, ``imports``, ``logins``; ``secrets`` writes a profile's secrets under
its token lock) and every operation is importable from here, except those of ``imports``,
``logins`` and ``introspection``: they load the importers and OAuth, so they are imported from
their modules when used. Errors about one input carry it in `field` (`errors.WorkbenchError`), so
a form marks the field without reading the message.

=====================  ==============================================================
operation              result
=====================  ==============================================================
create_profile         ProfileSaved (created=True)
update_profile         ProfileSaved (what changed; whether old tokens still apply)
remove_profile         ProfileRemoved (every vault entry name it deleted)
check_new_profile      Profile (validate-only `create_profile`: all but secret values)
check_profile_update   Profile (validate-only `update_profile`)
import_profile         ProfileImported (the profile, what `--trust` accepted)
preview_import         ImportOutcome (what `import_collection` would create; writes nothing)
import_collection      ImportOutcome (profiles, pending ones, saved requests, withheld origins)
log_in                 LoginOutcome (grant, stored token, granted scope, id_token claims)
key_slot               KeySlot (where a profile keeps its signing key, which algorithms)
key_slot_status        KeySlotStatus (is a key stored there, does it fit)
profiles_taking_key    list of names (the profiles a key of one algorithm can be attached to)
attach_private_key     KeyAttached (algorithm, whether a key was replaced)
obtain_token           TokenObtained (how the token was obtained; the token is an engine event)
token_facts            TokenFacts (how a profile's token is sent, what the provider offers)
verify_token           Verification (valid or not, how, readable details)
inspect_token          Inspection (any pasted token, checked with the user's key)
render_request         RenderedRequest (method, URL, headers, body after templating)
sign_jwt               Signed (the forged token; the key generated for it, if any)
resign_edited          Signed (an edited header and payload, signed as they are)
encrypt_token          Encrypted (a compact JWE for a recipient's key)
generate_keychain_key  KeyGenerated (a signing key kept in the keychain by name)
probe_api              ProbeReport (which forged variants of a valid token the API accepted)
introspect_token       Introspected (RFC 7662: active or not, what the issuer knows; in ``introspection``)
=====================  ==============================================================
"""

from workbench.core.operations.forge import (
    KeyChoice,
    KeyGenerated,
    Signed,
    encrypt_token,
    encryption_key,
    generate_keychain_key,
    keychain_key_names,
    resign_edited,
    sign_jwt,
)
from workbench.core.operations.keys import (
    KeyAttached,
    KeySlot,
    KeySlotStatus,
    NoKeySlotError,
    attach_private_key,
    check_algorithm,
    check_key_generation,
    key_slot,
    key_slot_status,
    profiles_taking_key,
    signing_algorithms,
)
from workbench.core.operations.probe import ProbeReport, ProbeResult, probe_api
from workbench.core.operations.profiles import (
    ProfileImported,
    ProfileRemoved,
    ProfileSaved,
    RemovalPreview,
    UntrustedProfileError,
    check_new_profile,
    check_profile_update,
    create_profile,
    import_profile,
    removal_preview,
    remove_profile,
    update_profile,
)
from workbench.core.operations.requests import RenderedRequest, guess_content_type, render_request
from workbench.core.operations.secrets import MAX_SECRET_CHARS, PRIVATE_KEY_SECRET
from workbench.core.operations.tokens import (
    TokenFacts,
    TokenObtained,
    Verification,
    inspect_token,
    is_pasted,
    obtain_token,
    paste_token,
    sender_binding,
    token_facts,
    verify_token,
)
from workbench.core.request.templating import VaultSecretSource

__all__ = [
    "MAX_SECRET_CHARS",
    "PRIVATE_KEY_SECRET",
    "KeyAttached",
    "KeyChoice",
    "KeyGenerated",
    "KeySlot",
    "KeySlotStatus",
    "NoKeySlotError",
    "ProbeReport",
    "ProbeResult",
    "ProfileImported",
    "ProfileRemoved",
    "ProfileSaved",
    "RemovalPreview",
    "RenderedRequest",
    "Signed",
    "TokenFacts",
    "TokenObtained",
    "UntrustedProfileError",
    "VaultSecretSource",
    "Verification",
    "attach_private_key",
    "check_algorithm",
    "check_key_generation",
    "check_new_profile",
    "check_profile_update",
    "create_profile",
    "encrypt_token",
    "encryption_key",
    "generate_keychain_key",
    "guess_content_type",
    "import_profile",
    "inspect_token",
    "is_pasted",
    "key_slot",
    "key_slot_status",
    "keychain_key_names",
    "obtain_token",
    "paste_token",
    "probe_api",
    "profiles_taking_key",
    "removal_preview",
    "remove_profile",
    "render_request",
    "resign_edited",
    "sender_binding",
    "sign_jwt",
    "signing_algorithms",
    "token_facts",
    "update_profile",
    "verify_token",
]

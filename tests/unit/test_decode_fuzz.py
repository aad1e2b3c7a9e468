"""Fuzzing the decoder: whatever the input, the only exception is TokenFormatError.

Thousands of random and mutated tokens (about ten seconds in all). A failure here
means some input would reach the user as a traceback instead of one clear line.
"""

from __future__ import annotations

import base64
import json
import random

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.core.errors import TokenFormatError
from workbench.core.jose import inspect as ji
from workbench.core.jose import keys

# Sized for about ten seconds in all on a 2-core machine; raise them locally to dig deeper.
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FUZZ_SMALL = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SECRET = "fuzzing-secret-that-is-at-least-32-bytes"
_ES256 = keys.generate_key_pair("ES256")
_EDDSA = keys.generate_key_pair("EdDSA")
VALID_TOKENS = [
    jwt.encode({"sub": "a", "exp": 1_900_000_000, "iat": 1_700_000_000}, SECRET, algorithm="HS256"),
    jwt.encode(
        {"sub": "b", "nested": {"x": [1, 2, {"y": None}]}},
        _ES256.private_key,
        algorithm="ES256",
        headers={"kid": _ES256.kid},
    ),
    jwt.encode(
        {"sub": "c"}, _EDDSA.private_key, algorithm="EdDSA", headers={"jku": "https://x", "crit": ["b64"]}
    ),
    "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
]
KEYS = [
    None,
    ji.VerificationKey.from_secret(SECRET),
    ji.VerificationKey.from_secret("short"),
    ji.VerificationKey.from_pem(_ES256.public_pem()),
    ji.VerificationKey.from_jwk(_EDDSA.public_jwk()),
    ji.VerificationKey.from_jwks(
        {"keys": [_ES256.public_jwk(), _EDDSA.public_jwk(), {"kty": "oct", "k": "c2VjcmV0"}]}
    ),
]

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
# Small on purpose: hypothesis' recursive strategies are costly to draw; the
# random_json() generator below supplies the volume.
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)

INTERESTING = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    2**63,
    -(2**63),
    10**30,
    1e308,
    -1e308,
    1_716_200_000,
    "1716200000",
    "",
    "none",
    "None",
    "HS256",
    "ES256",
    "RS256",
    "EdDSA",
    "../../etc/passwd",
    "a' OR 1=1 --",
    "\u202e",
    "\x00",
    "é",
    "eyJ",
    "https://attacker.example/jwks",
    [],
    {},
    ["b64"],
    ["exp", 1],
]
HEADER_KEYS = ["alg", "kid", "typ", "jku", "x5u", "jwk", "x5c", "crit", "b64", "cty"]
PAYLOAD_KEYS = ["exp", "iat", "nbf", "sub", "iss", "aud", "jti"]


# Plain `random.Random` seeded by hypothesis: reproducible, and far cheaper than
# st.randoms(), where every call is a hypothesis draw.
seeds = st.integers(min_value=0, max_value=2**32).map(random.Random)


def random_json(rng: random.Random, depth: int = 0) -> object:
    roll = rng.random()
    if depth >= 3 or roll < 0.6:
        return rng.choice(INTERESTING) if rng.random() < 0.7 else rng.randint(-(10**12), 10**12)
    if roll < 0.8:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {
        rng.choice(PAYLOAD_KEYS + HEADER_KEYS): random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))
    }


def random_claims(rng: random.Random, names: list[str]) -> dict[str, object]:
    return {name: random_json(rng) for name in rng.sample(names, rng.randint(0, len(names)))}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def only_token_format_errors(token: str, key: ji.VerificationKey | None = None) -> None:
    try:
        result = ji.inspect_token(token, key=key, now=1_800_000_000)
    except TokenFormatError as exc:
        message = str(exc)
        assert message and "\n" not in message
        return
    json.dumps(result.to_json())  # whatever decoded can be printed as JSON
    assert result.signature_valid in (None, True, False)
    if key is None:
        assert result.signature_valid is None


@settings(FUZZ, max_examples=600)
@given(st.text(max_size=300))
def test_random_text_never_raises_anything_but_token_format_error(text):
    only_token_format_errors(text)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_as_text_never_raise_anything_but_token_format_error(data):
    only_token_format_errors(data.decode("latin-1"))


MUTATION_TEXTS = [*'A_-.=+/ \n\x00é{}"\\', "eyJ", "..", "%2e", "\u202e", "e30"]


def mutate(token: str, rng: random.Random) -> str:
    chars = list(token)
    for _ in range(rng.randint(1, 6)):
        kind = rng.choice(("replace", "insert", "delete", "swap", "dot", "truncate"))
        i = rng.randrange(len(chars) + 1)
        if kind == "replace" and chars:
            chars[i % len(chars)] = rng.choice(MUTATION_TEXTS)
        elif kind == "insert":
            chars.insert(i, rng.choice(MUTATION_TEXTS))
        elif kind == "delete" and chars:
            del chars[i % len(chars)]
        elif kind == "swap":
            chars = list(".".join(reversed("".join(chars).split("."))))
        elif kind == "dot":
            chars.insert(i, ".")
        elif kind == "truncate":
            chars = chars[:i]
    return "".join(chars)


@FUZZ
@given(st.sampled_from(VALID_TOKENS), seeds, st.sampled_from(KEYS))
def test_mutated_tokens_never_raise_anything_but_token_format_error(token, rng, key):
    # Ten mutants per example: thousands of tokens for the price of a few hundred examples.
    for _ in range(10):
        mutant = mutate(token, rng)
        try:
            only_token_format_errors(mutant, key)
        except Exception as exc:
            raise AssertionError(f"{mutant!r} raised {exc!r}") from exc


@FUZZ
@given(seeds)
def test_structurally_valid_tokens_with_hostile_claims_decode_or_fail_cleanly(rng):
    for _ in range(10):
        header, payload = random_claims(rng, HEADER_KEYS), random_claims(rng, PAYLOAD_KEYS)
        signature = rng.randbytes(rng.choice([0, 1, 32, 64, 65, 256]))
        token = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}.{b64(signature)}"
        try:
            only_token_format_errors(token, rng.choice(KEYS))
        except Exception as exc:
            raise AssertionError(f"{token!r} raised {exc!r}") from exc


@FUZZ_SMALL
@given(json_values, json_values, st.sampled_from(KEYS))
def test_any_json_in_either_segment_decodes_or_fails_cleanly(header, payload, key):
    token = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}.c2ln"
    only_token_format_errors(token, key)


JWK_MEMBERS = ["kty", "crv", "x", "y", "n", "e", "k", "kid", "alg", "use", "d"]
JWK_VALUES = [
    "EC",
    "RSA",
    "OKP",
    "oct",
    "P-256",
    "P-384",
    "Ed25519",
    "X25519",
    "AQAB",
    "c2VjcmV0",
    "",
    "sig",
    "enc",
    "ES256",
    "HS256",
    "none",
    "***",
    "A" * 43,
    "A" * 342,
    None,
    1,
    [],
    {},
]


@FUZZ_SMALL
@given(seeds, st.sampled_from(VALID_TOKENS[:3]))
def test_hostile_jwks_entries_never_crash_verification(rng, token):
    for _ in range(5):
        entries = [
            {m: rng.choice(JWK_VALUES) for m in rng.sample(JWK_MEMBERS, rng.randint(0, len(JWK_MEMBERS)))}
            for _ in range(rng.randint(1, 4))
        ]
        result = ji.inspect_token(token, key=ji.VerificationKey.from_jwks({"keys": entries}))
        assert result.signature_valid is False, entries
        assert result.signature_error


@FUZZ
@given(
    st.text(max_size=400) | json_values.map(json.dumps) | seeds.map(lambda rng: json.dumps(random_json(rng)))
)
def test_find_jwt_and_looks_like_jwt_never_raise(text):
    found = ji.find_jwt(text)
    if found is not None:
        ji.decode_unverified(found)  # whatever it finds decodes
    assert ji.looks_like_jwt(text) in (True, False)


@FUZZ_SMALL
@given(seeds, st.sampled_from(VALID_TOKENS[:3]))
def test_find_jwt_finds_a_token_hidden_anywhere_in_a_json_body(rng, token):
    body = json.dumps({"noise": random_json(rng), "deep": [{"deeper": {"value": token}}]})
    assert ji.find_jwt(body) is not None


@pytest.mark.parametrize("depth", [10, 63, 64, 65, 900, 5000])
def test_deep_nesting_is_a_format_error_or_fine_never_a_recursion_error(depth):
    nested = "[" * depth + "]" * depth
    header = b64(b'{"alg":"HS256"}')
    payload = b64(('{"a":' + nested + "}").encode())
    only_token_format_errors(f"{header}.{payload}.c2ln")
    assert ji.find_jwt('{"x": ' + nested + "}") is None


@FUZZ_SMALL
@given(seeds, st.sampled_from(KEYS))
def test_jwes_nested_tokens_and_x5c_chains_decode_or_fail_cleanly(rng, key):
    """Five segments, cty JWT wrappers and x5c entries of random shapes: only TokenFormatError."""
    header = random_claims(rng, HEADER_KEYS) | {"alg": rng.choice(["HS256", "RSA-OAEP", "dir", "none"])}
    if rng.random() < 0.5:
        junk_der = base64.b64encode(bytes(rng.randrange(256) for _ in range(40))).decode()
        header["x5c"] = rng.choice([[junk_der], ["@@"], "x", [1], []])
    if rng.random() < 0.5:
        header["cty"] = rng.choice(["JWT", "jwt", "application/jwt", 7])
    inner = rng.choice([*VALID_TOKENS, "a.b.c", "eyJ.eyJ.", "x" * 10, ""])
    segments = [b64(json.dumps(header).encode())]
    if rng.random() < 0.5:  # a JWE: key, IV, ciphertext, tag
        segments += [b64(bytes(rng.randrange(256) for _ in range(rng.randint(0, 16)))) for _ in range(4)]
    else:
        segments += [b64(inner.encode()), "c2ln"]
    only_token_format_errors(".".join(segments), key)

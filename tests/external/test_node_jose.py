"""The forge against `jose` (npm), an implementation in another language, both directions.

Tokens made by `workbench jwt sign` / `jwt encrypt` are verified and decrypted by jose; tokens
jose makes are opened and verified by `workbench decode`. Needs node and the `jose` package
where node finds it (`npm install jose` in a folder, then `NODE_PATH=<folder>/node_modules`);
skipped otherwise. (tests/unit/test_forge_*.py check the same against jwcrypto, always.)
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519

ROOT = Path(__file__).resolve().parents[2]

VERIFY = r"""
const { createRequire } = await import('module');
const { pathToFileURL } = await import('url');
// NODE_PATH is honoured by require's resolver, not by import: resolve, then import the file.
const jose = await import(pathToFileURL(createRequire(process.cwd() + '/').resolve('jose')).href);
const fs = await import('fs');
const cases = JSON.parse(fs.readFileSync(process.argv[1]));
const failed = [];
for (const c of cases) {
  try {
    if (c.kind === 'jws') {
      const key = c.alg.startsWith('HS') ? new TextEncoder().encode(c.secret)
        : await jose.importSPKI(fs.readFileSync(c.key, 'utf8'), c.alg);
      const { payload } = await jose.jwtVerify(c.token, key, { algorithms: [c.alg] });
      if (payload.sub !== 'node') throw new Error('wrong sub');
    } else {
      const key = c.secret_b64 ? Buffer.from(c.secret_b64, 'base64')
        : await jose.importPKCS8(fs.readFileSync(c.key, 'utf8'), c.alg);
      const { plaintext } = await jose.compactDecrypt(c.token, key);
      if (new TextDecoder().decode(plaintext) !== c.expect) throw new Error('wrong plaintext');
    }
  } catch (e) { failed.push(`${c.kind} ${c.alg} ${c.enc || ''}: ${e.message}`); }
}
console.log(JSON.stringify(failed));
"""

MAKE = r"""
const { createRequire } = await import('module');
const { pathToFileURL } = await import('url');
// NODE_PATH is honoured by require's resolver, not by import: resolve, then import the file.
const jose = await import(pathToFileURL(createRequire(process.cwd() + '/').resolve('jose')).href);
const fs = await import('fs');
const dir = process.argv[1];
const out = [];
const wraps = [['rsa','RSA-OAEP-256'], ['p256','ECDH-ES'], ['p256','ECDH-ES+A256KW'], ['x','ECDH-ES+A256KW']];
for (const [k, alg] of wraps) {
  for (const enc of ['A256GCM','A128CBC-HS256']) {
    const pub = await jose.importSPKI(fs.readFileSync(`${dir}/${k}.pub.pem`,'utf8'), alg);
    const token = await new jose.CompactEncrypt(new TextEncoder().encode('{"from":"node"}'))
      .setProtectedHeader({alg, enc}).encrypt(pub);
    out.push({key: `${dir}/${k}.pem`, token, alg});
  }
}
for (const [k, alg] of [['rsa','PS384'],['p521','ES512'],['ed','EdDSA']]) {
  const priv = await jose.importPKCS8(fs.readFileSync(`${dir}/${k}.pem`,'utf8'), alg);
  const token = await new jose.SignJWT({sub: 'node'}).setProtectedHeader({alg}).sign(priv);
  out.push({pub: `${dir}/${k}.pub.pem`, token, alg});
}
console.log(JSON.stringify(out));
"""


def _node(script: str, *args: str) -> str:
    proc = subprocess.run(
        ["node", "--input-type=module", "-e", script, *args], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def node_jose():
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    probe = subprocess.run(["node", "-e", "require.resolve('jose')"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("npm package jose not found (npm install jose; NODE_PATH=<folder>/node_modules)")


@pytest.fixture(scope="module")
def key_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    made = {
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "p256": ec.generate_private_key(ec.SECP256R1()),
        "p384": ec.generate_private_key(ec.SECP384R1()),
        "p521": ec.generate_private_key(ec.SECP521R1()),
        "ed": ed25519.Ed25519PrivateKey.generate(),
        "x": x25519.X25519PrivateKey.generate(),
    }
    for name, key in made.items():
        private = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        (folder / f"{name}.pem").write_bytes(private)
        (folder / f"{name}.pub.pem").write_bytes(public)
    return folder


def _workbench(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", *args], input=stdin, capture_output=True, text=True, cwd=ROOT,
        timeout=60, env={**os.environ, **(env or {})},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


SIGNERS = [("HS256", None), ("HS384", None), ("HS512", None), ("RS256", "rsa"), ("RS384", "rsa"),
           ("RS512", "rsa"), ("PS256", "rsa"), ("PS384", "rsa"), ("PS512", "rsa"), ("ES256", "p256"),
           ("ES384", "p384"), ("ES512", "p521"), ("EdDSA", "ed")]  # fmt: skip


def test_jose_verifies_and_decrypts_what_the_forge_makes(node_jose, key_files, tmp_path, workbench_home):
    secret = "s" * 64
    cases = []
    for alg, name in SIGNERS:
        key = ["--secret", "@env:S"] if name is None else ["--key", str(key_files / f"{name}.pem")]
        token = _workbench(
            "jwt", "sign", "--alg", alg, "--sub", "node", "--exp", "5m", *key, env={"S": secret}
        )
        cases.append({"kind": "jws", "alg": alg, "token": token, "secret": secret,
                      "key": str(key_files / f"{name}.pub.pem") if name else None})  # fmt: skip
    inner = _workbench("jwt", "sign", "--key", str(key_files / "p256.pem"), "--sub", "nested")
    for name, alg in [("rsa", "RSA-OAEP-256"), ("p256", "ECDH-ES"), ("p256", "ECDH-ES+A256KW"),
                      ("x", "ECDH-ES"), ("x", "ECDH-ES+A256KW")]:  # fmt: skip
        for enc in ("A256GCM", "A128CBC-HS256"):
            token = _workbench(
                "jwt", "encrypt", "--key", str(key_files / f"{name}.pub.pem"),
                "--alg", alg, "--enc", enc, "-", stdin=inner,
            )  # fmt: skip
            cases.append({"kind": "jwe", "alg": alg, "enc": enc, "token": token,
                          "key": str(key_files / f"{name}.pem"), "expect": inner})  # fmt: skip
    shared = base64.b64encode(os.urandom(32)).decode()
    for alg in ("A256KW", "dir"):
        for enc in ("A256GCM", "A128CBC-HS256"):
            token = _workbench(
                "jwt", "encrypt", "--secret", "@env:K", "--secret-base64", "--alg", alg, "--enc", enc, "-",
                stdin='{"a":1}', env={"K": shared},
            )  # fmt: skip
            cases.append({"kind": "jwe", "alg": alg, "enc": enc, "token": token, "secret_b64": shared,
                          "expect": '{"a":1}'})  # fmt: skip
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    assert len(cases) == 27
    assert json.loads(_node(VERIFY, str(tmp_path / "cases.json"))) == []


def test_workbench_decode_opens_and_verifies_what_jose_makes(node_jose, key_files, workbench_home):
    made = json.loads(_node(MAKE, str(key_files)))
    assert len(made) == 11
    for case in made:
        if "key" in case:
            shown = json.loads(_workbench("decode", case["token"], "--decrypt-key", case["key"], "--json"))
            assert shown["payload"] == {"from": "node"}, case["alg"]
        else:
            shown = json.loads(_workbench("decode", case["token"], "--key", case["pub"], "--json"))
            assert shown["signature_valid"] is True, case["alg"]

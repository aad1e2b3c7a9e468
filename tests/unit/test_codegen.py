"""Copy as curl: the command a user pastes runs exactly the request, and nothing else."""

from __future__ import annotations

import shlex
import shutil
import subprocess

import pytest

from workbench.core.request.codegen import curl_command

NASTY = 'it\'s $(touch /tmp/pwned) `id` "q" \\ ; | & \n second line $HOME'


def argv_seen_by_a_shell(command: str) -> list[str]:
    """Run the command in bash with `curl` replaced by a function that prints its arguments."""
    script = 'curl() { for a in "$@"; do printf "%s\\0" "$a"; done; }\n' + command
    out = subprocess.run(["bash", "-c", script], capture_output=True, check=True).stdout
    return out.decode().split("\0")[:-1]


def test_a_post_with_headers_and_a_json_body():
    command = curl_command(
        "post",
        "https://api.truemarkets.co/v1/auth/token/refresh",
        [("Content-Type", "application/json"), ("Authorization", "Bearer abc.def.ghi")],
        b'{"refresh_token":"r"}',
    )
    assert command == (
        "curl -X POST https://api.truemarkets.co/v1/auth/token/refresh"
        " -H 'Content-Type: application/json' -H 'Authorization: Bearer abc.def.ghi'"
        """ --data-raw '{"refresh_token":"r"}'"""
    )


def test_a_get_without_body_has_no_data_option():
    command = curl_command("GET", "https://qa.tokenoftrust.com/api/internal/auth/token", [("Accept", "*/*")])
    assert shlex.split(command) == [
        "curl",
        "-X",
        "GET",
        "https://qa.tokenoftrust.com/api/internal/auth/token",
        "-H",
        "Accept: */*",
    ]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_shell_metacharacters_in_every_position_reach_curl_unchanged(tmp_path):
    url = "https://h.example/p?a=1&b=$(id)#frag"
    headers = [("X-Nasty", NASTY), ("X-Empty", "")]
    command = curl_command("POST", url, headers, NASTY)
    assert argv_seen_by_a_shell(command) == [
        "-X",
        "POST",
        url,
        "-H",
        f"X-Nasty: {NASTY}",
        "-H",
        "X-Empty: ",
        "--data-raw",
        NASTY,
    ]


def test_multiline_form_splits_options_with_continuations():
    command = curl_command("POST", "https://x.example/t", [("A", "1"), ("B", "2")], "body", multiline=True)
    assert command == (
        "curl -X POST https://x.example/t \\\n  -H 'A: 1' \\\n  -H 'B: 2' \\\n  --data-raw body"
    )
    assert shlex.split(command.replace("\\\n", " ")) == shlex.split(
        curl_command("POST", "https://x.example/t", [("A", "1"), ("B", "2")], "body")
    )


def test_headers_curl_computes_itself_are_left_out():
    command = curl_command("POST", "https://x.example", [("Content-Length", "5"), ("Host", "x")], b"hello")
    assert "Content-Length" not in command and "Host" not in command


def test_a_body_that_is_not_utf8_is_flagged():
    command = curl_command("POST", "https://x.example", [], b"\xff\xfe")
    assert command.endswith("# body was not UTF-8; non-text bytes were replaced")


# ------------------------------------------------- snippets (one request model, four writers)


def _snippet_request(**kw):
    from workbench.core.request.codegen import SnippetRequest

    base = {
        "profile": "acme",
        "method": "post",
        "url": "https://api.test/x?a=1",
        "headers": (("Accept", "application/json"), ("Authorization", "Bearer leaked")),
        "body": b'{"a": 1}',
    }
    base.update(kw)
    return SnippetRequest(**base)


@pytest.mark.parametrize("lang", ["curl", "httpie", "python", "fetch"])
def test_no_snippet_carries_a_token_header_given_to_it(lang):
    from workbench.core.request.codegen import snippet

    code = snippet(_snippet_request(), lang)
    assert "leaked" not in code
    assert ("$(workbench token acme)" in code) == (lang in ("curl", "httpie"))
    assert ("WORKBENCH_TOKEN" in code) == (lang in ("python", "fetch"))


def test_an_api_key_header_without_a_scheme_is_referenced_bare():
    from workbench.core.request.codegen import snippet

    req = _snippet_request(token_header="X-Api-Key", token_scheme="", headers=())
    assert '-H "X-Api-Key: $(workbench token acme)"' in snippet(req, "curl")
    assert "'X-Api-Key': token," in snippet(req, "python")
    assert '"X-Api-Key": token,' in snippet(req, "fetch")


def test_the_curl_snippet_passes_every_value_to_curl_unchanged():
    from workbench.core.request.codegen import snippet

    req = _snippet_request(headers=(("X-Nasty", NASTY),), body=NASTY.encode())
    argv = argv_seen_by_a_shell(snippet(req, "curl").replace("$(workbench token acme)", "TOKEN"))
    assert argv == ["-X", "POST", "https://api.test/x?a=1", "-H", "Authorization: Bearer TOKEN",
                    "-H", f"X-Nasty: {NASTY}", "--data-raw", NASTY]  # fmt: skip

"""A request body by its type: the bytes and the Content-Type each type sends."""

from __future__ import annotations

import pytest

from workbench.core.errors import InputError
from workbench.core.request.bodies import build_body


def test_each_body_type_sends_its_content_type(tmp_path):
    assert build_body("none", text="ignored").content is None
    assert build_body("json", text='{"a": 1}').content_type == "application/json"
    assert build_body("raw", text="hi").content_type.startswith("text/plain")
    form = build_body("form", pairs=[("a", "1"), ("b", "x y")])
    assert form.content == b"a=1&b=x+y" and form.content_type == "application/x-www-form-urlencoded"
    upload = tmp_path / "pic.png"
    upload.write_bytes(b"\x89PNG")
    multi = build_body("multipart", pairs=[("a", "1"), ("f", f"@{upload}")], boundary="XX")
    assert multi.content_type == "multipart/form-data; boundary=XX"
    assert b'name="f"; filename="pic.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG' in multi.content
    binary = build_body("binary", file=str(upload))
    assert binary.content == b"\x89PNG" and binary.content_type == "application/octet-stream"


def test_bad_bodies_are_one_clear_line(tmp_path):
    with pytest.raises(InputError, match="not valid JSON"):
        build_body("json", text='{"a": 1,}')
    with pytest.raises(InputError, match="choose the file"):
        build_body("binary")
    with pytest.raises(InputError, match="cannot read"):
        build_body("binary", file=str(tmp_path / "missing"))

"""How a response body is shown: pretty JSON token by token, text, hex for binary, within budgets."""

from __future__ import annotations

import json

from workbench.core.request.response_body import DISPLAY_LIMIT, format_body, kind_of, pretty_json_text


def test_pretty_json_matches_the_standard_library_and_keeps_strings_as_written():
    doc = {"a": [1, 2.5e3, {"b": None, "c": []}], "d": {}, "e": 'q"uote \u00e9 \\ ,:{[', "f": True}
    raw = json.dumps(doc, separators=(",", ":"))
    assert json.loads(pretty_json_text(raw)) == doc
    assert pretty_json_text(raw) == json.dumps(doc, indent=2)
    nested = [[1, []], {"a": {"b": [{}]}}, [[["x"]]]]
    assert pretty_json_text(json.dumps(nested)) == json.dumps(nested, indent=2)


def test_not_json_is_not_reformatted():
    for text in ('{"a": 1', '{"a": 1}}', "[1, 2] x", "hello", '{"a"]'):
        assert pretty_json_text(text) is None


def test_kinds_and_budgets():
    assert kind_of(b"\x89PNG\r\n\x1a\n\x00", "image/png") == "image"
    assert kind_of(b"\x00\x01\x02binary") == "binary"
    assert kind_of(b'{"a": 1}', "text/plain") == "json"
    assert kind_of(b"hello", "text/plain") == "text"
    binary = format_body(bytes(range(256)) * 2, "application/octet-stream")
    assert binary.kind == "binary" and binary.text.startswith("00000000  00 01 02")
    big = format_body(json.dumps({"x": ["y" * 50] * 40_000}).encode(), "application/json")
    assert (
        big.kind == "json" and len(big.text) == DISPLAY_LIMIT and big.truncated and "Save to file" in big.note
    )
    assert format_body(b'{"a":1}', raw=True).text == '{"a":1}'

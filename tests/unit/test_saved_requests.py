"""Saved requests: the TOML round-trips, names are checked, templates render without secrets in reach."""

from __future__ import annotations

import json

import pytest

from workbench.core.clock import FakeClock
from workbench.core.profiles.catalog import PresetCatalog
from workbench.core.profiles.store import ProfileStore
from workbench.core.request.saved import SavedRequest, SavedRequestError, SavedRequestStore, render
from workbench.core.request.templating import TemplateError, TemplateRenderer


@pytest.fixture
def profile(workbench_home):
    store = ProfileStore(presets=PresetCatalog.load_default())
    return store.build("p", preset="bearer", base_url="https://api.test", vars={}, secret_names=[])


def test_every_body_kind_round_trips_through_the_file(workbench_home):
    store = SavedRequestStore()
    requests = [
        SavedRequest(
            "a", "POST", "/a", title="A thing", headers=(("Accept", "x/y"),), body='{"k": "{{ v }}"}',
            body_type="json",
        ),
        SavedRequest("b", "PUT", "https://other.test/b", body="line 1\nline 'two'\n", body_type="text"),
        SavedRequest("c", "POST", "/c", body_type="form", form=(("k", "v & w"), ("e", ""))),
        SavedRequest("d", "POST", "/d", body_type="multipart", form=(("name", "Zoë"),)),
    ]  # fmt: skip
    for r in requests:
        store.save("p", r)
    assert store.list("p") == requests
    store.rename("p", "a", "a2")
    assert [r.name for r in store.list("p")] == ["a2", "b", "c", "d"]
    with pytest.raises(SavedRequestError, match="already has"):
        store.rename("p", "b", "c")


def test_rendering_fills_vars_and_refuses_secrets(profile):
    renderer = TemplateRenderer(clock=FakeClock())
    req = SavedRequest(
        "a", "POST", "/u/{{ uid }}?p={{ profile }}", body='{"o": "{{ origin }}"}', body_type="json"
    )
    out = render(req, profile, renderer, {"uid": "7"})
    assert out.target == "/u/7?p=p"
    assert json.loads(out.content) == {"o": "https://api.test"}
    assert out.headers["Content-Type"] == "application/json"
    with pytest.raises(TemplateError):
        render(SavedRequest("s", "GET", "/x?t={{ secrets.access_token }}"), profile, renderer)
    form = render(SavedRequest("f", "POST", "/f", body_type="form", form=(("a", "1 2"),)), profile, renderer)
    assert form.content == b"a=1+2"
    multi = render(
        SavedRequest("m", "POST", "/m", body_type="multipart", form=(("a", "x"),)), profile, renderer
    )
    assert multi.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert b'name="a"\r\n\r\nx\r\n' in multi.content


def test_a_json_body_that_is_not_json_once_rendered_is_one_clear_error(profile):
    renderer = TemplateRenderer(clock=FakeClock())
    with pytest.raises(SavedRequestError, match="not valid JSON once rendered"):
        render(
            SavedRequest("a", "POST", "/a", body="{{ x }}", body_type="json"), profile, renderer, {"x": "{"}
        )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[requests.a]\nurl = 1\n", "url is missing or not a string"),
        ("[requests.a]\nurl = '/x'\nbogus = 1\n", "unknown key"),
        ("[requests.a]\nurl = '/x'\njson = '{}'\ntext = 'x'\n", "more than one body"),
        ("[requests.'a b']\nurl = '/x'\n", "not a saved-request name"),
        ("[vars]\nn = 1\n", "[vars] must be a table of strings"),
        ("[requests.a]\nurl = '/x'\nmethod = 'G ET'\n", "not an HTTP method"),
    ],
)
def test_hand_edited_files_are_checked(workbench_home, text, message):
    store = SavedRequestStore()
    store.path_for("p").write_text(text)
    with pytest.raises(SavedRequestError, match=message.replace("[", r"\[").replace("]", r"\]")):
        store.load("p")


def test_a_multipart_body_reads_back_field_by_field_with_a_server_side_parser(profile):
    from email.parser import BytesParser
    from email.policy import HTTP

    renderer = TemplateRenderer(clock=FakeClock())
    fields = (("caption", "Zoë & {{ uid }}"), ('odd "name"', "two\r\nlines"), ("caption", "again"))
    out = render(
        SavedRequest("m", "POST", "/m", body_type="multipart", form=fields), profile, renderer, {"uid": "7"}
    )
    head = f"Content-Type: {out.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + out.content)
    parts = [
        (part.get_param("name", header="content-disposition"), part.get_payload(decode=True).decode())
        for part in message.iter_parts()
    ]
    assert [value for _name, value in parts] == ["Zoë & 7", "two\r\nlines", "again"]
    assert [name for name, _value in parts][::2] == ["caption", "caption"]

"""Request templates render in a sandbox with a fixed set of helpers, lazy secrets and clear errors."""

from __future__ import annotations

import base64
import re
import uuid

import pytest

from workbench.core.clock import FakeClock
from workbench.core.errors import KeyFormatError, TemplateError, user_message
from workbench.core.jose.jws import jose_verify
from workbench.core.jose.keys import generate_key_pair
from workbench.core.request.templating import LazySecrets, MappingSecretSource, TemplateRenderer, b64url

NOW = 1_761_762_202.75


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def renderer(clock) -> TemplateRenderer:
    return TemplateRenderer(clock=clock)


class CountingSecrets:
    def __init__(self, values):
        self.values = dict(values)
        self.asked: list[str] = []

    def get(self, name):
        self.asked.append(name)
        return self.values.get(name)


def context(secrets=None, **vars_):
    return {
        "vars": vars_,
        "secrets": secrets if secrets is not None else MappingSecretSource({}),
        "base_url": "https://api.example.com/v1",
        "origin": "https://api.example.com",
        "profile": "demo",
    }


def test_templates_see_vars_secrets_base_url_origin_and_profile(renderer):
    out = renderer.render(
        "{{ profile }} {{ base_url }} {{ origin }} {{ vars.region }} {{ secrets.api_key }}",
        context(MappingSecretSource({"api_key": "k-1"}), region="eu"),
    )
    assert out == "demo https://api.example.com/v1 https://api.example.com eu k-1"


def test_now_is_the_server_corrected_whole_second_and_stable_within_a_rendering(renderer, clock):
    clock.set_offset(30.0)
    out = renderer.render("{{ now() }}|{{ now() }}", context())
    assert out == f"{int(NOW + 30)}|{int(NOW + 30)}"
    assert renderer.render("{{ now() }}", context(), now=42) == "42"


def test_uuid_gives_a_fresh_uuid_each_call(renderer):
    first, second = renderer.render("{{ uuid() }} {{ uuid() }}", context()).split()
    assert first != second
    assert uuid.UUID(first).version == 4


def test_b64url_is_unpadded_base64url(renderer):
    assert renderer.render("{{ b64url('hi?>') }}", context()) == "aGk_Pg"
    assert b64url(b"\xff\xfe") == base64.urlsafe_b64encode(b"\xff\xfe").decode().rstrip("=")


def test_sign_gives_a_jose_signature_that_verifies(renderer):
    pair = generate_key_pair("ES256")
    out = renderer.render(
        "{{ sign('ES256', secrets.pk, vars.kid ~ '.' ~ now()) }}",
        context(MappingSecretSource({"pk": pair.private_pem().decode()}), kid="key-1"),
    )
    assert re.fullmatch(r"[A-Za-z0-9_-]{86}", out)  # 64 raw bytes r‖s, base64url without padding
    assert jose_verify("ES256", pair.public_pem(), f"key-1.{int(NOW)}", out)


def test_sign_with_something_that_is_not_a_key_fails_without_echoing_it(renderer):
    with pytest.raises((KeyFormatError, TemplateError)) as info:
        renderer.render(
            "{{ sign('ES256', secrets.pk, 'm') }}", context(MappingSecretSource({"pk": "hunter2-not-a-pem"}))
        )
    assert "hunter2-not-a-pem" not in str(info.value)


def test_tojson_quotes_text_for_json_bodies_without_html_escaping(renderer):
    out = renderer.render('{"v": {{ vars.v | tojson }}}', context(v='a "quoted" <tag> & \\ back'))
    assert out == '{"v": "a \\"quoted\\" <tag> & \\\\ back"}'


def test_secrets_are_fetched_on_first_touch_only(renderer):
    source = CountingSecrets({"a": "1", "b": "2"})
    lazy = LazySecrets(source, profile="demo")
    ctx = context(lazy)
    assert renderer.render("{{ secrets.a }}{{ secrets.a }}", ctx) == "11"
    assert renderer.render("no secrets here", ctx) == "no secrets here"
    assert source.asked == ["a"]


def test_an_optional_missing_secret_can_default_to_empty(renderer):
    assert renderer.render("[{{ secrets.client_secret | default('') }}]", context()) == "[]"


def test_a_missing_required_secret_explains_how_to_store_it(renderer):
    with pytest.raises(TemplateError) as info:
        renderer.render("{{ secrets.refresh_token }}", context(), field="json", where="paymentsgate refresh")
    assert str(info.value) == (
        "paymentsgate refresh: template json: profile 'demo' has no secret 'refresh_token' in the "
        "keychain (store it in the app's profile editor, or with "
        "`workbench profile set demo --secret refresh_token`)"
    )


def test_an_empty_stored_secret_counts_as_missing(renderer):
    with pytest.raises(TemplateError, match="has no secret 'api_key'"):
        renderer.render("{{ secrets.api_key | tojson }}", context(MappingSecretSource({"api_key": ""})))


def test_a_missing_var_explains_how_to_set_it(renderer):
    with pytest.raises(TemplateError) as info:
        renderer.render("{{ vars.key_id | tojson }}", context())
    assert re.search(r"has no setting 'key_id' \(set it with .*--set key_id=", user_message(info.value))
    assert info.value.field == "vars.key_id"  # the GUI points at the profile editor's field instead


def test_an_unknown_name_is_named_in_the_error(renderer):
    with pytest.raises(TemplateError, match=r"template path: 'nonsense' is undefined"):
        renderer.render("/x/{{ nonsense }}", context(), field="path")


def test_a_syntax_error_names_the_field_and_line(renderer):
    with pytest.raises(TemplateError, match=r"template json: line 2: .*"):
        renderer.render('{\n "a": {{ vars.a }\n}', context(a="1"), field="json")


def test_errors_never_echo_secret_values(renderer):
    # Jinja names the missing key in its message; here the key *is* the secret.
    with pytest.raises(TemplateError) as info:
        renderer.render(
            "{{ {}[secrets.api_key] }}", context(MappingSecretSource({"api_key": "sk_live_9f8e7d6c"}))
        )
    assert "sk_live_9f8e7d6c" not in str(info.value)
    assert "[redacted]" in str(info.value)


def test_printing_the_secrets_object_reveals_nothing(renderer):
    out = renderer.render("{{ secrets }}", context(MappingSecretSource({"a": "value-1"})))
    assert "value-1" not in out


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ secrets.__class__ }}",
        "{{ secrets._source }}",
        "{{ vars._values }}",
        "{{ now.__globals__ }}",
        "{{ sign.__globals__['jose_sign'] }}",
        "{{ range.__self__ }}",
        "{{ (1).__class__.__base__.__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ lipsum.__globals__ }}",
        "{{ self._TemplateReference__context }}",
        "{{ ''.format.__globals__ }}",
        "{% set x = [] %}{{ x.append(1) }}",
        "{{ '{0.__class__}'.format(1) }}",
    ],
)
def test_templates_cannot_reach_python_internals(renderer, template):
    with pytest.raises(TemplateError):
        renderer.render(template, context(MappingSecretSource({"a": "1"})))


def test_runaway_templates_are_stopped(renderer):
    for template in (
        "{{ 'x' * 100000000 }}",
        "{{ 9 ** 9999999 }}",
        "{% for i in range(10**7) %}{% endfor %}",
    ):
        with pytest.raises(TemplateError):
            renderer.render(template, context())


def test_output_is_not_html_escaped(renderer):
    assert renderer.render("{{ vars.v }}", context(v="<a&b>")) == "<a&b>"


# --------------------------------------------------------------------------- budgets (hostile presets)


@pytest.mark.parametrize(
    "template",
    [
        "{% for i in range(10**5) %}{% for j in range(10**5) %}{% endfor %}{% endfor %}",
        "{% for i in range(10**5) %}{% for j in range(10**5) %}{{ j }}{% endfor %}{% endfor %}",
        "{% for c in 'x' * 10000 %}{% for d in 'y' * 10000 %}{% endfor %}{% endfor %}",
    ],
)
def test_a_template_that_runs_forever_is_stopped_within_its_time_budget(clock, template):
    import time

    renderer = TemplateRenderer(clock=clock, budget_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(TemplateError, match=r"refused|more than") as info:
        renderer.render(template, context(), field="json", where="evil mint")
    assert time.monotonic() - started < 5
    assert str(info.value).startswith("evil mint: template json:")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "template",
    [
        "{{ 9**999**999 }}",
        "{{ (9**999)**999 }}",
        "{% set b = 9**999 %}{{ b*b*b*b*b*b*b*b*b*b*b*b*b*b*b*b*b*b*b*b*b*b*b*b*b*b*b*b*b*b }}",
        "{{ 'x' * 100000000 }}",
        "{{ ('x' * 10000) * 10000 }}",
        "{% set a = 'x' * 9000 %}{{ a * 9000 }}",
        "{{ 'x' | center(100000000) }}",
        "{{ 'x' | indent(100000000, true) }}",
        "{% set s = 'x' * 9999 %}{% for i in range(100000) %}{{ s }}{% endfor %}",
        "{{ range(100000) | list | string | center(2000000) }}",
    ],
)
def test_a_template_that_builds_something_huge_is_refused_with_one_line(renderer, template):
    import time

    started = time.monotonic()
    with pytest.raises(TemplateError) as info:
        renderer.render(template, context(), field="json", where="evil mint")
    assert time.monotonic() - started < 5
    assert "\n" not in str(info.value)
    assert len(str(info.value)) < 300


def test_ordinary_arithmetic_and_loops_still_render(renderer):
    out = renderer.render(
        "{{ 2**62 }} {{ now() * 1000 }} {% for i in range(3) %}{{ i }}{% endfor %} {{ 'ab' * 3 }}",
        context(),
    )
    assert out == f"{2**62} {int(NOW) * 1000} 012 ababab"


def test_the_time_budget_leaves_the_threads_tracer_as_it_was(renderer):
    import sys

    def tracer(frame, event, arg):
        return None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        renderer.render("{{ 1 + 1 }}", context())
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(previous)

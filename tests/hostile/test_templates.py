"""Templates that ask for gigabytes in one call: refused before the allocation, not after.

A saved request or an untrusted profile file can hold a template. The sandbox used to check
a value's size after it was built, so `'x'.ljust(1500000000)` allocated 1.5 GB first. Each
attack renders in a child under an address-space cap (`input_harness.python_capped`): today's
code dies there with MemoryError; the fix refuses the width up front with a TemplateError.
"""

from __future__ import annotations

import json

import pytest

from tests.hostile.input_harness import python_capped

HUGE = 1_500_000_000  # past the child's cap: today's code dies with MemoryError
LARGE = 300_000_000  # under the cap: today's code builds it, then refuses it (peak RSS gives it away)

ATTACKS = {  # @N@ is the width asked for
    "str.ljust": "{{ 'x'.ljust(@N@) }}",
    "str.rjust": "{{ 'x'.rjust(@N@) }}",
    "str.center": "{{ 'x'.center(@N@) }}",
    "str.zfill": "{{ '1'.zfill(@N@) }}",
    "str.expandtabs": "{{ 'a\\tb'.expandtabs(@N@) }}",
    "percent width": "{{ '%@N@d' % 1 }}",
    "percent precision": "{{ '%.@N@f' % 1.0 }}",
    "percent star width": "{{ '%*d' % (@N@, 1) }}",
    "str.format width": "{{ '{:>@N@}'.format(1) }}",
    "str.format nested width": "{{ '{0:{1}}'.format(1, @N@) }}",
    "str.format_map": "{{ '{x:@N@}'.format_map({'x': 1}) }}",
    "repeat": "{{ 'x' * @N@ }}",
    "filter center": "{{ 'x' | center(@N@) }}",
    "filter center keyword": "{{ 'x' | center(width=@N@) }}",
    "filter format": "{{ '%@N@d' | format(1) }}",
    "filter indent": "{{ 'a\\nb' | indent(@N@) }}",
    "filter indent first": "{{ 'a' | indent(@N@, true) }}",
    "filter indent keyword": "{{ 'a\\nb' | indent(width=@N@) }}",
}

# Small inputs multiplied into gigabytes (each piece is within the repeat and size limits).
MILLION = "(('x' * 1000) * 1000)"
PRODUCTS = {
    "str.replace of the empty string": "{{ " + MILLION + ".replace('', 'y' * 1000) }}",
    "filter replace of the empty string": "{{ " + MILLION + " | replace('', 'y' * 1000) }}",
    "str.join with a long separator": "{{ ('y' * 10000).join(range(100000)) }}",
    "filter join with a long separator": "{{ range(100000) | join('y' * 10000) }}",
    "filter wordwrap with a long wrapstring": "{{ ('x ' * 5000) | wordwrap(1, true, ('z' * 10000) * 10) }}",
    "filter indent of many lines": "{{ ('a\\n' * 10000) | indent(100000) }}",
}

_CHILD = """
import json, sys
from workbench.core.clock import FakeClock
from workbench.core.errors import TemplateError
from workbench.core.request.templating import TemplateRenderer
template = sys.argv[1]
try:
    text = TemplateRenderer(clock=FakeClock()).render(template, {}, field="path")
    outcome = {"result": "rendered", "chars": len(text)}
except TemplateError as exc:
    outcome = {"result": "refused", "message": str(exc)}
except MemoryError:
    outcome = {"result": "MemoryError"}
print(json.dumps(outcome))
"""


def _render_capped(template: str) -> dict[str, object]:
    run = python_capped(_CHILD, args=[template], cap_mb=512, timeout=60)
    assert not run.timed_out, f"rendering still running after {run.elapsed:.0f} s"
    assert run.returncode == 0, run.stderr[-2000:]
    outcome = json.loads(run.stdout.strip().splitlines()[-1])
    outcome["peak_rss_mb"] = run.peak_rss_mb
    return outcome


@pytest.mark.parametrize("width", [HUGE, LARGE], ids=["1.5G", "300M"])
@pytest.mark.parametrize("attack", list(ATTACKS.values()), ids=list(ATTACKS))
def test_a_template_asking_for_a_huge_width_is_refused_before_it_allocates(attack, width):
    outcome = _render_capped(attack.replace("@N@", str(width)))

    assert outcome["result"] == "refused", outcome
    assert "template path" in str(outcome["message"])
    assert outcome["peak_rss_mb"] < 200, outcome  # nothing near the 1.5 GB asked for


@pytest.mark.parametrize("attack", list(PRODUCTS.values()), ids=list(PRODUCTS))
def test_a_template_multiplying_small_pieces_into_gigabytes_is_refused_first(attack):
    outcome = _render_capped(attack)

    assert outcome["result"] == "refused", outcome
    assert outcome["peak_rss_mb"] < 200, outcome


@pytest.mark.parametrize(
    "template, expected",
    [
        ("{{ 'ab'.ljust(5, '.') }}|{{ '%05d' % 42 }}|{{ '{:>4}'.format(7) }}", "ab...|00042|   7"),
        ("{{ 'x' | center(5) }}|{{ '%3d' | format(1) }}|{{ '7'.zfill(3) }}", "  x  |  1|007"),
        ("{{ 'a\nb' | indent(2) }}|{{ 'abcdef' | truncate(3, true, '', 0) }}", "a\n  b|abc"),
        (f"{{{{ 'abc' | truncate({HUGE}) }}}}|{{{{ 'a b' | wordwrap({HUGE}) }}}}", "abc|a b"),
    ],
)
def test_ordinary_padding_still_renders(template, expected):
    outcome = _render_capped(template)

    assert outcome["result"] == "rendered", outcome
    assert outcome["chars"] == len(expected)

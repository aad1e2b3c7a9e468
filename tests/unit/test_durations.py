"""The one duration formatter: one unit for prose, two for the Token view's lifetimes."""

import pytest

from workbench.core.durations import humanize_duration


@pytest.mark.parametrize(
    ("seconds", "one", "two"),
    [
        (0, "0 s", "0 s"),
        (45, "45 s", "45 s"),
        (839.6, "14 min", "14 min"),
        (870, "14 min", "14 min 30 s"),
        (3600, "1 h", "1 h"),
        (5400, "1 h", "1 h 30 min"),
        (12 * 3600, "12 h", "12 h"),
        (2 * 86400 + 3 * 3600, "2 d", "2 d 3 h"),
        (30 * 86400, "30 d", "30 d"),
        (13 * 365.25 * 86400, "13 y", "13 y"),
        (-3 * 3600 - 10, "3 h", "3 h"),
    ],
)
def test_humanize_duration(seconds, one, two):
    assert humanize_duration(seconds) == one
    assert humanize_duration(seconds, parts=2) == two

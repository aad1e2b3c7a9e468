"""What a user types as a saved request's name in the desktop app → (name, title)."""

from __future__ import annotations

import pytest

from workbench.core.errors import SavedRequestError
from workbench.core.request.saved import SavedRequest, typed_name


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("get-user", ("get-user", "")),
        ("  get-user ", ("get-user", "")),
        ("Get user by id", ("get-user-by-id", "Get user by id")),
        ("Get   user\tby id", ("get-user-by-id", "Get user by id")),
        ("Orders / refunds (v2)", ("orders-refunds-v2", "Orders / refunds (v2)")),
        ("..hidden", ("hidden", "..hidden")),
    ],
)
def test_typed_names(typed, expected):
    assert typed_name(typed) == expected


def test_the_title_of_an_existing_request_names_it():
    existing = {"users-get": SavedRequest(name="users-get", method="GET", url="/u", title="Get user")}
    assert typed_name("Get user", existing) == ("users-get", "Get user")


@pytest.mark.parametrize("typed", ["", "   ", "/// ???", "two\nlines", "x" * 201])
def test_nothing_to_name_it_by_is_one_line(typed):
    with pytest.raises(SavedRequestError) as info:
        typed_name(typed)
    assert "\n" not in str(info.value)

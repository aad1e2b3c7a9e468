"""When a login pushes its authorization request (RFC 9126): the decision, as a table."""

from __future__ import annotations

import pytest

from workbench.core.errors import InputError
from workbench.core.oauth.par import par_endpoint
from workbench.core.oauth.protocol import Endpoints

PAR = "https://as/par"


@pytest.mark.parametrize(
    ("par", "required", "endpoint", "expected"),
    [
        ("", "", PAR, None),
        ("auto", "", PAR, None),
        ("auto", "true", PAR, PAR),
        ("always", "", PAR, PAR),
        ("ALWAYS", "true", PAR, PAR),
    ],
)
def test_which_logins_push(par, required, endpoint, expected):
    endpoints = Endpoints(
        issuer="https://as", pushed_authorization_request_endpoint=endpoint, require_par=required
    )
    assert par_endpoint({"par": par}, endpoints, "p") == expected


@pytest.mark.parametrize(
    ("par", "required", "why"),
    [("always", "", r"asks for PAR \(par = always\)"), ("auto", "true", "requires PAR")],
)
def test_asking_for_par_where_there_is_none_is_one_line(par, required, why):
    with pytest.raises(
        InputError, match=f"{why} but the issuer names no pushed_authorization_request_endpoint"
    ):
        par_endpoint({"par": par}, Endpoints(issuer="https://as", require_par=required), "p")


def test_an_unknown_choice_is_one_line():
    with pytest.raises(InputError, match="par 'sometimes' is not one of auto, always"):
        par_endpoint({"par": "sometimes"}, Endpoints(issuer="https://as"), "p")

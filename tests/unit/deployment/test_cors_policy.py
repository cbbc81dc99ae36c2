"""The API's CORS policy as data: which browser origins may call it, and with what."""

from __future__ import annotations

import re

import pytest

from orders_api.deployment.cors_policy import API_CORS, CorsPolicy


@pytest.mark.parametrize(
    "origin",
    ["http://localhost:5173", "http://127.0.0.1:8080", "http://localhost", "http://localhost:1"],
)
def test_dev_servers_on_this_machine_are_allowed_origins(origin: str) -> None:
    assert API_CORS.allows(origin)


@pytest.mark.parametrize(
    "origin",
    [
        "https://localhost:5173",  # another scheme is another origin
        "http://localhost:5173.evil.example",
        "http://localhost.evil.example",
        "http://127.0.0.1.nip.io:80",
        "http://localhost:123456",
        "http://[::1]:3000",
        "null",
        "*",
        "",
    ],
)
def test_other_origins_are_not_allowed(origin: str) -> None:
    assert not API_CORS.allows(origin)


def test_exact_origins_match_exactly() -> None:
    policy = CorsPolicy(allow_origins=("https://app.example.com",))

    assert policy.allows("https://app.example.com")
    assert not policy.allows("https://app.example.com:8443")
    assert not policy.allows("https://appxexample.com")


def test_the_origin_pattern_is_a_plain_regular_expression_for_api_gateways_vtl() -> None:
    # Java's String.matches understands this subset: groups, alternation, escapes, {m,n}, ?.
    assert re.fullmatch(r"[\w:/.\\()|?{},\[\]-]+", API_CORS.origin_pattern)


def test_the_allowed_methods_follow_the_routes() -> None:
    assert API_CORS.allow_methods == ("GET", "OPTIONS", "POST")

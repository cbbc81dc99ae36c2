"""The customer commands' words for what went wrong: one line saying what to do."""

from __future__ import annotations

import argparse
import getpass
import re
import time

import pytest

from orders_api.cli import customer
from orders_api.cli.api_client import ApiError, ClientProblem


def test_a_waf_block_points_at_what_names_the_rule() -> None:
    advice = customer._advice(ApiError(403, {"message": "Forbidden"}))
    assert "orders-api waf stats" in advice
    assert "web ACL" in advice


def test_a_missing_route_is_not_mistaken_for_a_waf_block() -> None:
    assert customer._advice(ApiError(403, {"message": "Missing Authentication Token"})) == ""


def test_a_rate_limit_says_how_long_to_wait() -> None:
    limited = ApiError(429, {"message": "Too Many Requests"}, {"Retry-After": "42"})
    assert customer._advice(limited) == " (rate limited: retry in 42 s)"
    assert customer._advice(ApiError(429, None)) == " (rate limited)"


def test_ctrl_d_at_the_password_prompt_is_a_message_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def ended(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr(customer.sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(getpass, "getpass", ended)
    with pytest.raises(ClientProblem, match="the input ended"):
        customer._password(argparse.Namespace(password_stdin=False), confirm=False)


def test_a_piped_password_without_the_flag_is_refused_before_anything_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(customer.sys.stdin, "isatty", lambda: False)
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": pytest.fail("prompted"))
    with pytest.raises(ClientProblem, match="add --password-stdin"):
        customer._password(argparse.Namespace(password_stdin=False), confirm=True)


def test_an_expiry_names_its_date_time_and_zone() -> None:
    text = customer.expiry_text(time.time() + 3600)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} \S+", text), text


def test_an_order_is_shown_as_inert_text() -> None:
    shown = customer.shown("Gift \x1b[2J\x07 [bold]wrap[/bold]\nplease \x9b")
    assert shown.plain == "Gift \\x1b[2J\\x07 [bold]wrap[/bold]\nplease \\x9b"
    assert shown.spans == [], "no markup was read into it"


def test_a_body_the_request_model_refuses_says_what_the_model_wants() -> None:
    advice = customer._advice(ApiError(400, {"message": "Invalid request body"}))
    assert "SKUs are upper-case" in advice

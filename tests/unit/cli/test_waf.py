"""`orders-api serve`'s web ACL options: the engine they build, and the overrides they refuse."""

from __future__ import annotations

import argparse

import pytest

from orders_api.cli import waf
from orders_api.deployment.waf_policy import DEFAULT_POLICY


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="orders-api serve")
    waf.add_serve_arguments(parser)
    parser.set_defaults(parser=parser)
    return parser.parse_args(argv)


def test_without_options_the_deployed_policy_is_enforced() -> None:
    engine = waf.request_filter(parse())
    assert engine is not None
    assert engine.policy == DEFAULT_POLICY


def test_a_rate_limit_override_changes_only_the_limit() -> None:
    engine = waf.request_filter(parse("--rate-limit", "20"))
    assert engine is not None
    rule = engine.policy.rate_rule
    assert (rule.limit, rule.window_seconds) == (20, DEFAULT_POLICY.rate_rule.window_seconds)


@pytest.mark.parametrize("limit", ["0", "9"])
def test_a_rate_limit_aws_would_refuse_is_a_usage_error(
    limit: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        waf.request_filter(parse("--rate-limit", limit))
    assert exited.value.code == 2
    assert "rate" in capsys.readouterr().err.lower()


def test_no_waf_serves_without_an_engine() -> None:
    assert waf.request_filter(parse("--no-waf")) is None

"""Hand-computed months, one service at a time, through the whole model."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from orders_api.cost.deployed import Deployment, read_deployment
from orders_api.cost.lines import Basis, FreeTierMode, Service, cents
from orders_api.cost.model import (
    DEPLOYED,
    HTTP_API,
    REST_WITHOUT_WAF,
    Assumptions,
    Estimate,
    estimate,
)
from orders_api.cost.prices import PriceSheet, load_price_sheet
from orders_api.cost.workload import BilledDuration, Workload

NO_FREE_TIER = Assumptions(free_tier=FreeTierMode.NONE)
MS_100 = BilledDuration(Decimal(100), "test")


@pytest.fixture(scope="module")
def sheet() -> PriceSheet:
    return load_price_sheet()


@pytest.fixture(scope="module")
def deployment() -> Deployment:
    return read_deployment()


def _line(result: Estimate, service: Service, item_start: str) -> Decimal:
    matches = [
        line
        for line in result.lines
        if line.service is service and line.item.startswith(item_start)
    ]
    assert len(matches) == 1, [line.label for line in result.lines]
    return matches[0].amount


def _month(requests: int, **fields: object) -> Workload:
    return replace(Workload(Decimal(requests), 0, billed_duration=MS_100), **fields)


def test_a_million_rest_requests_with_waf_cost_3_50_in_api_gateway_and_0_60_in_waf(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    result = estimate(_month(1_000_000), deployment, sheet, DEPLOYED, NO_FREE_TIER)
    assert _line(result, Service.API_GATEWAY, "requests") == Decimal("3.50")
    assert _line(result, Service.WAF, "requests") == Decimal("0.60")
    assert _line(result, Service.WAF, "web ACL") == Decimal("5.00")
    assert _line(result, Service.WAF, "rules") == Decimal(deployment.waf_rules)


def test_lambda_bills_requests_and_gb_seconds_of_the_deployed_memory(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    # 1M invocations x 256 MB x 100 ms = 25,000 GB-s x $0.0000133334 = $0.333335
    result = estimate(_month(1_000_000), deployment, sheet, DEPLOYED, NO_FREE_TIER)
    assert deployment.function_memory_mb == 256
    assert deployment.architecture == "arm64"
    assert _line(result, Service.LAMBDA, "requests") == Decimal("0.20")
    assert _line(result, Service.LAMBDA, "duration") == Decimal("0.333335")


def test_the_lambda_free_tier_covers_a_million_requests_and_400000_gb_seconds(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    result = estimate(_month(1_000_000), deployment, sheet, DEPLOYED)
    assert _line(result, Service.LAMBDA, "requests") == 0
    assert _line(result, Service.LAMBDA, "duration") == 0


@pytest.mark.parametrize(
    ("item_bytes", "wru_per_write"), [(1, 1), (1024, 1), (1025, 2), (3 * 1024, 3), (4000, 4)]
)
def test_each_write_takes_one_wru_per_started_kilobyte(
    sheet: PriceSheet, deployment: Deployment, item_bytes: int, wru_per_write: int
) -> None:
    result = estimate(
        _month(1_000_000, item_bytes=item_bytes), deployment, sheet, DEPLOYED, NO_FREE_TIER
    )
    assert _line(result, Service.DYNAMODB, "write") == Decimal("0.625") * wru_per_write


def test_eventually_consistent_reads_of_8_kb_take_one_rru_each(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    workload = _month(2_000_000, item_bytes=8 * 1024, read_share=Decimal("0.5"))
    result = estimate(workload, deployment, sheet, DEPLOYED, NO_FREE_TIER)
    assert _line(result, Service.DYNAMODB, "read") == Decimal("0.125")
    assert _line(result, Service.DYNAMODB, "write") == Decimal("0.625") * 8


def test_storage_and_pitr_bill_stored_orders_plus_half_the_months_new_ones(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    # (1,048,576 stored + 0 new) x (924 + 100 bytes) = 1 GiB: $0.25 storage, $0.20 PITR
    workload = _month(0, item_bytes=924, orders_already_stored=1_048_576)
    result = estimate(workload, deployment, sheet, DEPLOYED, NO_FREE_TIER)
    assert _line(result, Service.DYNAMODB, "storage") == Decimal("0.25")
    assert _line(result, Service.DYNAMODB, "point-in-time") == Decimal("0.20")
    free = estimate(workload, deployment, sheet, DEPLOYED)
    assert _line(free, Service.DYNAMODB, "storage") == 0


def test_cognito_lite_bills_users_beyond_the_free_10000_through_its_bands(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    # 150,000 MAU: 10,000 free, 90,000 x $0.0055 = $495, 50,000 x $0.0046 = $230
    workload = replace(_month(0), monthly_active_users=150_000)
    result = estimate(workload, deployment, sheet)
    assert deployment.cognito_plan == "LITE"
    assert _line(result, Service.COGNITO, "Lite") == Decimal("725")


def test_essentials_users_draw_on_the_same_free_10000(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    essentials = replace(deployment, cognito_plan="ESSENTIALS")
    result = estimate(replace(_month(0), monthly_active_users=12_000), essentials, sheet)
    assert _line(result, Service.COGNITO, "Essentials") == Decimal("30")


def test_without_free_tier_cloudwatch_and_budgets_bill_every_fixed_item(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    result = estimate(_month(0), deployment, sheet, DEPLOYED, NO_FREE_TIER)
    assert _line(result, Service.CLOUDWATCH, "alarms") == Decimal("0.10") * deployment.alarms
    assert _line(result, Service.CLOUDWATCH, "dashboard") == Decimal(3) * deployment.dashboards
    assert (
        _line(result, Service.CLOUDWATCH, "custom") == Decimal("0.30") * deployment.custom_metrics
    )
    # one budget at $0.02 a day over an average month of 365/12 days
    assert cents(_line(result, Service.BUDGETS, "budgets")) == Decimal("0.61")


def test_log_ingestion_beyond_the_free_5_gb_costs_50_cents_a_gb(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    # 7 GiB ingested: 5 free; 2 x $0.50; storage then draws on nothing that is left
    workload = _month(7 * 1024 * 1024, log_bytes_per_request=1024)
    result = estimate(workload, deployment, sheet)
    assert _line(result, Service.CLOUDWATCH, "logs ingested") == Decimal("1.00")
    assert _line(result, Service.CLOUDWATCH, "logs stored") > 0


def test_blocked_requests_reach_neither_api_gateway_nor_lambda(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    workload = _month(1_000_000, waf_blocked_share=Decimal("0.75"))
    result = estimate(workload, deployment, sheet, DEPLOYED, NO_FREE_TIER)
    assert result.traffic.waf_evaluated == 1_000_000
    assert result.traffic.invocations == 250_000
    assert _line(result, Service.API_GATEWAY, "requests") == Decimal("0.875")


def test_if_api_gateway_bills_waf_blocked_requests_the_assumption_prices_them(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    workload = _month(1_000_000, waf_blocked_share=Decimal("0.75"))
    billed = Assumptions(free_tier=FreeTierMode.NONE, api_gateway_bills_waf_blocked=True)
    result = estimate(workload, deployment, sheet, DEPLOYED, billed)
    assert _line(result, Service.API_GATEWAY, "requests") == Decimal("3.50")
    assert any("Assumed here: billed" in note for note in result.notes)


def test_authorizer_refusals_are_unbilled_but_validator_refusals_are_billed(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    workload = _month(1_000_000, unauthorized_share=Decimal("0.5"), invalid_share=Decimal("0.25"))
    result = estimate(workload, deployment, sheet, DEPLOYED, NO_FREE_TIER)
    assert result.traffic.api_billed == 500_000
    assert result.traffic.invocations == 250_000


def test_an_http_api_has_no_validator_so_invalid_bodies_reach_lambda(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    workload = _month(1_000_000, invalid_share=Decimal("0.25"))
    result = estimate(workload, deployment, sheet, HTTP_API, NO_FREE_TIER)
    assert result.traffic.invocations == 1_000_000
    assert result.traffic.writes == 750_000
    assert _line(result, Service.API_GATEWAY, "requests") == Decimal("1.00")
    assert Service.WAF not in result.by_service()


def test_without_waf_only_the_share_with_a_valid_token_reaches_the_backend(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    workload = _month(
        1_000_000,
        waf_blocked_share=Decimal("0.8"),
        blocked_with_valid_token_share=Decimal("0.25"),
    )
    result = estimate(workload, deployment, sheet, REST_WITHOUT_WAF, NO_FREE_TIER)
    assert result.traffic.unauthorized == 600_000
    assert result.traffic.invocations == 400_000
    assert result.traffic.writes == 400_000


def test_the_stage_throttle_caps_what_api_gateway_bills_and_lambda_runs(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    ceiling = deployment.throttle_rate_limit * 730 * 3600
    result = estimate(_month(int(ceiling * 2)), deployment, sheet, DEPLOYED, NO_FREE_TIER)
    assert result.traffic.invocations == ceiling
    assert result.traffic.throttled == ceiling
    assert result.traffic.waf_evaluated == ceiling * 2
    assert any("throttle" in note for note in result.notes)


def test_fixed_lines_are_the_web_acl_rules_alarms_dashboard_metrics_and_budget(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    result = estimate(_month(0), deployment, sheet, DEPLOYED, NO_FREE_TIER)
    fixed = {line.item for line in result.lines if line.basis is Basis.FIXED}
    assert fixed == {
        "web ACL",
        "rules and rule groups",
        "alarms",
        "dashboard",
        "custom metrics",
        "budgets",
    }
    # $5 + $1 per rule + $0.10 per alarm + $3 + $0.30 per metric + $0.02 x 365/12
    expected = (
        5
        + deployment.waf_rules
        + Decimal("0.10") * deployment.alarms
        + 3
        + Decimal("0.30") * deployment.custom_metrics
        + Decimal("0.02") * 365 / 12
    )
    assert result.fixed == expected


def test_x_ray_is_priced_only_when_tracing_is_on(sheet: PriceSheet, deployment: Deployment) -> None:
    assert deployment.tracing is False
    untraced = estimate(_month(1_000_000), deployment, sheet, DEPLOYED, NO_FREE_TIER)
    traced = estimate(
        _month(1_000_000), replace(deployment, tracing=True), sheet, DEPLOYED, NO_FREE_TIER
    )
    assert Service.XRAY not in untraced.by_service()
    assert traced.by_service()[Service.XRAY] == Decimal(5)


def test_shares_that_add_up_to_more_than_everything_are_refused() -> None:
    with pytest.raises(ValueError, match="add up"):
        _month(10, waf_blocked_share=Decimal("0.6"), unauthorized_share=Decimal("0.6"))
    with pytest.raises(ValueError, match="between 0 and 1"):
        _month(10, read_share=Decimal("1.5"))


def test_billed_duration_rounds_up_to_the_millisecond() -> None:
    assert BilledDuration(Decimal("0.235"), "bench").billed_ms == 1
    assert BilledDuration(Decimal("12.01"), "bench").billed_ms == 13
    assert BilledDuration(Decimal(40), "bench").billed_ms == 40

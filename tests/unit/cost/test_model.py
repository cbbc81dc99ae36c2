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
    # 7 GiB ingested by reads (no order, so no event): 5 free; 2 x $0.50; storage then draws
    # on nothing that is left
    workload = _month(7 * 1024 * 1024, log_bytes_per_request=1024, read_share=Decimal(1))
    result = estimate(workload, deployment, sheet)
    assert _line(result, Service.CLOUDWATCH, "logs ingested") == Decimal("1.00")
    assert _line(result, Service.CLOUDWATCH, "logs stored") > 0


def test_the_enrichment_and_fulfil_functions_log_like_the_api_functions(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    # 1 GiB of orders' invocations: each order is also one enrichment for OrderPlaced, one
    # fulfil invocation and one enrichment for OrderStatusChanged, 4 GiB in all, 4 x $0.50.
    workload = _month(1024 * 1024, log_bytes_per_request=1024)
    result = estimate(workload, deployment, sheet, DEPLOYED, NO_FREE_TIER)
    assert result.traffic.function_invocations == 4 * 1024 * 1024
    assert _line(result, Service.CLOUDWATCH, "logs ingested") == Decimal("2.00")


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
        "stream reads (2 pipes polling)",
    }
    # $5 + $1 per rule + $0.10 per alarm + $3 + $0.30 per metric + $0.02 x 365/12
    # + 2 pipes x 1 shard x 4 GetRecords/s x 730 h x 3600 s x $0.02 per 100,000
    expected = (
        5
        + deployment.waf_rules
        + Decimal("0.10") * deployment.alarms
        + 3
        + Decimal("0.30") * deployment.custom_metrics
        + Decimal("0.02") * 365 / 12
        + Decimal(2 * 4 * 730 * 3600) * Decimal("0.02") / 100_000
    )
    assert result.fixed == expected


def test_an_order_placed_writes_the_table_and_each_index_once(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    # 1M orders of 1 KB, none shipped: 1M WRU in the table, 2M in the two indexes
    workload = _month(1_000_000, status_changes_per_order=Decimal(0))
    result = estimate(workload, deployment, sheet, DEPLOYED, NO_FREE_TIER)
    assert deployment.secondary_indexes == 2
    assert _line(result, Service.DYNAMODB, "write") == Decimal("0.625")
    assert _line(result, Service.DYNAMODB, "index write") == Decimal("1.25")
    assert _line(result, Service.DYNAMODB, "status change") == 0


@pytest.mark.parametrize(("item_bytes", "wru"), [(1024, 1), (1025, 2)])
def test_a_status_change_writes_the_table_once_and_the_indexes_three_times(
    sheet: PriceSheet, deployment: Deployment, item_bytes: int, wru: int
) -> None:
    # The table's UpdateItem, byStatus's delete and put (its partition key changes),
    # byCustomer's projected copy: 4 writes of the order's write units each.
    workload = _month(1_000_000, item_bytes=item_bytes)
    result = estimate(workload, deployment, sheet, DEPLOYED, NO_FREE_TIER)
    assert result.traffic.status_changes == 1_000_000
    assert _line(result, Service.DYNAMODB, "status change") == Decimal("0.625") * 4 * wru
    twice = replace(workload, status_changes_per_order=Decimal(2))
    doubled = estimate(twice, deployment, sheet, DEPLOYED, NO_FREE_TIER)
    assert _line(doubled, Service.DYNAMODB, "status change") == Decimal("0.625") * 8 * wru


def test_a_list_page_is_one_eventually_consistent_query_of_its_total_size(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    # 1M pages of 20 orders of 1 KB: 20 KB rounds to 5 x 4 KB, halved: 2.5M RRU x $0.125/M
    workload = _month(1_000_000, list_share=Decimal(1))
    result = estimate(workload, deployment, sheet, DEPLOYED, NO_FREE_TIER)
    assert workload.orders_per_list == 20
    assert result.traffic.writes == 0
    assert _line(result, Service.DYNAMODB, "list") == Decimal("0.3125")
    assert Service.EVENTBRIDGE in result.by_service()  # the pipes still exist
    assert _line(result, Service.EVENTBRIDGE, "pipe") == 0


def test_each_index_stores_every_order_again_and_pitr_covers_the_table_only(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    # 1 GiB of orders in the table, 1 GiB more in each of the 2 indexes
    workload = _month(0, item_bytes=924, orders_already_stored=1_048_576)
    result = estimate(workload, deployment, sheet, DEPLOYED, NO_FREE_TIER)
    assert _line(result, Service.DYNAMODB, "storage") == Decimal("0.25")
    assert _line(result, Service.DYNAMODB, "index storage") == Decimal("0.50")
    assert _line(result, Service.DYNAMODB, "point-in-time") == Decimal("0.20")
    # 3 GiB draw on the same 25 GB of free storage
    free = estimate(workload, deployment, sheet)
    assert _line(free, Service.DYNAMODB, "index storage") == 0


def test_the_pipes_poll_the_stream_whatever_the_traffic_beyond_the_free_2_5_million(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    # 2 pipes x 4 GetRecords/s x 2,628,000 s = 21,024,000 reads; 2,500,000 free
    idle = estimate(_month(0), deployment, sheet)
    assert cents(_line(idle, Service.DYNAMODB, "stream reads")) == Decimal("3.70")
    paid = estimate(_month(0), deployment, sheet, DEPLOYED, NO_FREE_TIER)
    assert _line(paid, Service.DYNAMODB, "stream reads") == Decimal("4.2048")
    split = replace(deployment, stream_shards=4)
    four = estimate(_month(0), split, sheet, DEPLOYED, NO_FREE_TIER)
    assert _line(four, Service.DYNAMODB, "stream reads") == Decimal("4.2048") * 4


def test_every_order_and_status_change_is_a_pipe_request_and_a_custom_event(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    # 1M orders, each changed once: 2M events, 1 KB orders under 64 KB
    result = estimate(_month(1_000_000), deployment, sheet, DEPLOYED, NO_FREE_TIER)
    assert result.traffic.events == 2_000_000
    assert _line(result, Service.EVENTBRIDGE, "pipe") == Decimal("0.80")
    assert _line(result, Service.EVENTBRIDGE, "custom events") == Decimal("2.00")


def test_the_enrichment_runs_once_per_event_and_the_fulfil_function_once_per_change(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    # 2M enrichments: $0.40 + 2M x 0.25 GB x 0.1 s x $0.0000133334; 1M fulfils: $0.20
    result = estimate(_month(1_000_000), deployment, sheet, DEPLOYED, NO_FREE_TIER)
    assert _line(result, Service.LAMBDA, "event enrichment requests") == Decimal("0.40")
    assert _line(result, Service.LAMBDA, "event enrichment duration") == Decimal("0.66667")
    assert _line(result, Service.LAMBDA, "fulfil requests") == Decimal("0.20")


def test_every_new_order_is_one_sns_publish_and_one_e_mail(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    # 1M orders: 1M publishes x $0.50/M, 1M e-mails x $2 per 100,000; status changes send none
    result = estimate(_month(1_000_000), deployment, sheet, DEPLOYED, NO_FREE_TIER)
    assert _line(result, Service.SNS, "publishes") == Decimal("0.50")
    assert _line(result, Service.SNS, "e-mail") == Decimal("20.00")
    # the always-free 1M publishes and 1,000 e-mails
    free = estimate(_month(1_000_000), deployment, sheet)
    assert _line(free, Service.SNS, "publishes") == 0
    assert _line(free, Service.SNS, "e-mail") == Decimal("19.98")
    silent = estimate(_month(1_000_000), replace(deployment, order_emails=False), sheet)
    assert Service.SNS not in silent.by_service()


def test_failed_deliveries_cost_three_dead_letter_queue_requests_each(
    sheet: PriceSheet, deployment: Deployment
) -> None:
    # 1M orders, no status change, half the events fail: 500,000 x 3 requests x $0.40/M
    workload = _month(
        1_000_000, status_changes_per_order=Decimal(0), failed_event_share=Decimal("0.5")
    )
    result = estimate(workload, deployment, sheet, DEPLOYED, NO_FREE_TIER)
    assert _line(result, Service.SQS, "dead-letter") == Decimal("0.60")
    assert Service.SQS not in estimate(_month(1_000_000), deployment, sheet).by_service()


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
    with pytest.raises(ValueError, match="read and list"):
        _month(10, read_share=Decimal("0.6"), list_share=Decimal("0.6"))


def test_billed_duration_rounds_up_to_the_millisecond() -> None:
    assert BilledDuration(Decimal("0.235"), "bench").billed_ms == 1
    assert BilledDuration(Decimal("12.01"), "bench").billed_ms == 13
    assert BilledDuration(Decimal(40), "bench").billed_ms == 40

"""Properties of the cost model that must hold for any month of traffic."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from orders_api.cost.deployed import read_deployment
from orders_api.cost.lines import Basis, FreeTierMode, Service
from orders_api.cost.model import DESIGNS, Assumptions, Design, estimate
from orders_api.cost.prices import load_price_sheet
from orders_api.cost.workload import BilledDuration, Workload

SHEET = load_price_sheet()
DEPLOYMENT = read_deployment()
PRECISION = Decimal("1e-12")

shares = st.integers(min_value=0, max_value=1000).map(lambda n: Decimal(n) / 1000)
designs = st.sampled_from(DESIGNS)
assumption_sets = st.builds(
    Assumptions,
    free_tier=st.sampled_from(list(FreeTierMode)),
    api_gateway_bills_waf_blocked=st.booleans(),
)


@st.composite
def workloads(draw: st.DrawFn) -> Workload:
    blocked = draw(shares)
    unauthorized = draw(shares) * (1 - blocked)
    invalid = draw(shares) * (1 - blocked - unauthorized)
    read = draw(shares)
    listing = draw(shares) * (1 - read)
    return Workload(
        requests_per_month=Decimal(draw(st.integers(min_value=0, max_value=10**9))),
        monthly_active_users=draw(st.integers(min_value=0, max_value=2_000_000)),
        billed_duration=BilledDuration(Decimal(draw(st.integers(1, 3000))), "hypothesis"),
        waf_blocked_share=blocked,
        unauthorized_share=unauthorized,
        invalid_share=invalid,
        read_share=read,
        list_share=listing,
        orders_per_list=draw(st.integers(min_value=0, max_value=100)),
        status_changes_per_order=draw(shares) * 3,
        failed_event_share=draw(shares),
        item_bytes=draw(st.integers(min_value=1, max_value=400 * 1024)),
        log_bytes_per_request=draw(st.integers(min_value=0, max_value=20_000)),
        orders_already_stored=draw(st.integers(min_value=0, max_value=10**8)),
        blocked_with_valid_token_share=draw(shares),
    )


@settings(max_examples=150, deadline=None)
@given(workloads(), st.integers(min_value=0, max_value=10**9), designs, assumption_sets)
def test_cost_never_falls_as_traffic_rises(
    workload: Workload, more: int, design: Design, assumptions: Assumptions
) -> None:
    busier = replace(workload, requests_per_month=workload.requests_per_month + more)
    before = estimate(workload, DEPLOYMENT, SHEET, design, assumptions)
    after = estimate(busier, DEPLOYMENT, SHEET, design, assumptions)
    assert after.total >= before.total
    for service, amount in before.by_service().items():
        assert after.by_service()[service] >= amount - PRECISION


@settings(max_examples=150, deadline=None)
@given(workloads(), assumption_sets)
def test_a_blocked_request_costs_only_what_waf_and_api_gateway_if_it_bills_them_charge(
    workload: Workload, assumptions: Assumptions
) -> None:
    total = workload.requests_per_month
    counts = {
        name: total * getattr(workload, name)
        for name in ("waf_blocked_share", "unauthorized_share", "invalid_share")
    }
    plus_one = total + 1
    one_more_blocked = replace(
        workload,
        requests_per_month=plus_one,
        waf_blocked_share=(counts["waf_blocked_share"] + 1) / plus_one,
        unauthorized_share=counts["unauthorized_share"] / plus_one,
        invalid_share=counts["invalid_share"] / plus_one,
    )
    design = DESIGNS[0]
    before = estimate(workload, DEPLOYMENT, SHEET, design, assumptions)
    after = estimate(one_more_blocked, DEPLOYMENT, SHEET, design, assumptions)
    expected = SHEET["waf_requests"].first_rate
    if assumptions.api_gateway_bills_waf_blocked:
        rest = SHEET["api_gateway_rest_requests"]
        billed = before.traffic.api_billed
        free = after.lines[0].free_quantity
        expected += (rest.charge(billed + 1) - rest.charge(free)) - (
            rest.charge(billed) - rest.charge(before.lines[0].free_quantity)
        )
    difference = after.total - before.total
    assert abs(difference - expected) < PRECISION
    changed = {
        service
        for service, amount in after.by_service().items()
        # A service with no line before (a dead-letter queue that had no failed event) cost 0.
        if abs(amount - before.by_service().get(service, Decimal(0))) >= PRECISION
    }
    allowed = (
        {Service.WAF, Service.API_GATEWAY}
        if assumptions.api_gateway_bills_waf_blocked
        else {Service.WAF}
    )
    assert changed <= allowed


@settings(max_examples=100, deadline=None)
@given(workloads(), designs, assumption_sets)
def test_the_fixed_part_is_the_sum_of_the_fixed_line_items_and_does_not_depend_on_traffic(
    workload: Workload, design: Design, assumptions: Assumptions
) -> None:
    result = estimate(workload, DEPLOYMENT, SHEET, design, assumptions)
    fixed_lines = [line.amount for line in result.lines if line.basis is Basis.FIXED]
    assert result.fixed == sum(fixed_lines, Decimal(0))
    assert abs(result.total - (result.fixed + result.variable)) < PRECISION
    idle = estimate(
        replace(workload, requests_per_month=Decimal(0)), DEPLOYMENT, SHEET, design, assumptions
    )
    assert idle.fixed == result.fixed
    assert all(line.amount >= 0 for line in result.lines)


@settings(max_examples=100, deadline=None)
@given(workloads(), st.integers(min_value=1, max_value=3), designs, assumption_sets)
def test_more_status_changes_or_failed_deliveries_never_cost_less(
    workload: Workload, factor: int, design: Design, assumptions: Assumptions
) -> None:
    busier = replace(
        workload,
        status_changes_per_order=workload.status_changes_per_order * factor,
        failed_event_share=min(Decimal(1), workload.failed_event_share * factor),
    )
    before = estimate(workload, DEPLOYMENT, SHEET, design, assumptions)
    after = estimate(busier, DEPLOYMENT, SHEET, design, assumptions)
    assert after.total >= before.total - PRECISION
    assert after.fixed == before.fixed


@settings(max_examples=100, deadline=None)
@given(workloads(), designs, assumption_sets)
def test_turning_the_order_e_mails_off_saves_exactly_the_sns_lines(
    workload: Workload, design: Design, assumptions: Assumptions
) -> None:
    with_emails = estimate(workload, DEPLOYMENT, SHEET, design, assumptions)
    silent = estimate(workload, replace(DEPLOYMENT, order_emails=False), SHEET, design, assumptions)
    sns = with_emails.by_service().get(Service.SNS, Decimal(0))
    assert Service.SNS not in silent.by_service()
    assert abs(with_emails.total - silent.total - sns) < PRECISION

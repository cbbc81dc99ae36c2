"""Memory size and SnapStart for the orders function: AWS's own SnapStart example, and the
properties the cold-start model must keep whatever the inputs."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from orders_api.cost.deployed import read_deployment
from orders_api.cost.lambda_options import (
    FULL_VCPU_MB,
    IDLE_SECONDS,
    ColdStartMeasure,
    InitCpu,
    LambdaOption,
    OptionInputs,
    OptionTraffic,
    burst_environments,
    compare_options,
    estimate_option,
    init_ms,
    measure_from_bench,
    snapstart_prices,
    steady_cold_starts,
    traffic_of,
)
from orders_api.cost.lines import FreeTierMode, cents
from orders_api.cost.model import SECONDS_PER_MONTH, Assumptions
from orders_api.cost.prices import load_price_sheet
from orders_api.cost.scenarios import scenario
from orders_api.cost.workload import DEFAULT_BILLED_DURATION
from orders_api.twin.awslambda.processes import DEFAULT_IDLE_SECONDS

SHEET = load_price_sheet("us-east-1")
DEPLOYMENT = read_deployment()
MEASURE = ColdStartMeasure(init_ms=Decimal(300), warm_ms=Decimal("0.3"), origin="test")
INPUTS = OptionInputs(measure=MEASURE, free_tier=FreeTierMode.NONE)
SNAPSTART_KEYS = {"lambda_snapstart_cache", "lambda_snapstart_restore"}

memory_sizes = st.integers(min_value=128, max_value=10240)
invocations = st.integers(min_value=0, max_value=10**8).map(Decimal)


def test_aws_snapstart_example_caches_1_gb_for_31_days_and_restores_74_400_times_for_14_43() -> (
    None
):
    """AWS Lambda pricing page, SnapStart pricing example (https://aws.amazon.com/lambda/pricing/,
    US East): a 1 GB function version active 24 h x 31 days = 2,678,400 GB-s x $0.0000015046 =
    $4.03; 1% of 7.44M requests restore, 74,400 GB x $0.0001397998 = $10.40; $14.43 in all."""
    prices = snapstart_prices("us-east-1")
    cache = cents(prices.cache.charge(Decimal(1) * 24 * 31 * 3600))
    restores = cents(prices.restore.charge(Decimal(74_400) * 1))
    assert (cache, restores, cache + restores) == (
        Decimal("4.03"),
        Decimal("10.40"),
        Decimal("14.43"),
    )


def test_snapstart_caches_the_function_memory_for_the_whole_month_per_version() -> None:
    inputs = INPUTS.model_copy(update={"cached_versions": 2})
    result = estimate_option(
        LambdaOption(1024, snapstart=True), OptionTraffic(Decimal(0)), inputs, DEPLOYMENT, SHEET
    )
    cache = next(line for line in result.lines if line.price_key == "lambda_snapstart_cache")
    assert cache.quantity == 2 * SECONDS_PER_MONTH


def test_with_snapstart_off_there_is_no_snapstart_line_and_cold_starts_bill_init() -> None:
    result = estimate_option(
        LambdaOption(256, snapstart=False),
        OptionTraffic(Decimal(10_000)),
        INPUTS,
        DEPLOYMENT,
        SHEET,
    )
    assert not {line.price_key for line in result.lines} & SNAPSTART_KEYS
    assert result.lines[2].item == "Init duration"
    assert result.snapstart_charges == 0


def test_with_snapstart_on_a_cold_start_adds_the_restore_not_the_init() -> None:
    traffic = OptionTraffic(Decimal(10_000))
    off, on = (
        estimate_option(LambdaOption(256, s), traffic, INPUTS, DEPLOYMENT, SHEET)
        for s in (False, True)
    )
    assert on.cold_start_ms == INPUTS.restore_ms
    assert off.cold_start_ms == init_ms(MEASURE, 256, InitCpu.PROPORTIONAL)
    assert {line.price_key for line in on.lines} >= SNAPSTART_KEYS


def test_the_deployed_memory_without_snapstart_is_compared_first_among_its_size() -> None:
    estimates = compare_options(OptionTraffic(Decimal(10_000)), INPUTS, DEPLOYMENT, SHEET)
    deployed = [e for e in estimates if e.deployed]
    assert [(e.option.memory_mb, e.option.snapstart) for e in deployed] == [
        (DEPLOYMENT.function_memory_mb, False)
    ]
    assert {e.option.memory_mb for e in estimates} >= {128, 256, 512, 1024}


@given(memory_sizes, memory_sizes)
def test_more_memory_never_lengthens_the_modelled_init(smaller: int, larger: int) -> None:
    smaller, larger = sorted((smaller, larger))
    slow = init_ms(MEASURE, smaller, InitCpu.PROPORTIONAL)
    fast = init_ms(MEASURE, larger, InitCpu.PROPORTIONAL)
    assert fast <= slow
    if larger < FULL_VCPU_MB and smaller < larger:
        assert fast < slow


@given(memory_sizes)
def test_an_unthrottled_init_takes_the_measured_time_at_any_memory(memory: int) -> None:
    assert init_ms(MEASURE, memory, InitCpu.UNTHROTTLED) == MEASURE.init_ms


@given(memory_sizes, memory_sizes, invocations)
def test_the_snapstart_cache_costs_more_with_more_memory(
    smaller: int, larger: int, monthly: Decimal
) -> None:
    smaller, larger = sorted((smaller, larger))
    traffic = OptionTraffic(monthly)
    small, large = (
        estimate_option(LambdaOption(m, True), traffic, INPUTS, DEPLOYMENT, SHEET)
        for m in (smaller, larger)
    )
    assert large.lines[3].amount >= small.lines[3].amount
    if smaller < larger:
        assert large.lines[3].amount > small.lines[3].amount


@given(invocations, invocations)
def test_busier_steady_traffic_has_a_smaller_share_of_cold_starts(a: Decimal, b: Decimal) -> None:
    quiet, busy = sorted((a, b))
    if quiet == 0:
        return
    quiet_share = steady_cold_starts(quiet, IDLE_SECONDS) / quiet
    busy_share = steady_cold_starts(busy, IDLE_SECONDS) / busy
    assert 0 < busy_share <= quiet_share <= 1


@given(
    st.integers(min_value=1, max_value=1000).map(Decimal),
    st.integers(min_value=1, max_value=20_000).map(Decimal),
    st.integers(min_value=1, max_value=1000),
)
def test_a_burst_never_starts_more_environments_than_the_reserved_concurrency(
    peak: Decimal, cold_ms: Decimal, reserved: int
) -> None:
    started, turned_away = burst_environments(peak, cold_ms, reserved)
    assert 1 <= started <= reserved
    assert started + turned_away == 1 + int(peak * cold_ms / 1000)


def test_a_shorter_cold_start_starts_fewer_environments_at_the_promotion_peak() -> None:
    promotion = scenario("promotion-day", DEFAULT_BILLED_DURATION)
    traffic = traffic_of(promotion, DEPLOYMENT, Assumptions())
    assert traffic.peak_per_second == 40
    at_128, snapstart = (
        estimate_option(LambdaOption(128, s), traffic, INPUTS, DEPLOYMENT, SHEET)
        for s in (False, True)
    )
    assert (
        snapstart.burst_environments + snapstart.burst_turned_away
        < at_128.burst_environments + at_128.burst_turned_away
    )


def test_a_scenario_without_a_burst_is_all_steady_traffic() -> None:
    small = scenario("small-business", DEFAULT_BILLED_DURATION)
    traffic = traffic_of(small, DEPLOYMENT, Assumptions())
    assert (traffic.steady, traffic.peak_per_second) == (Decimal(10_000), None)
    assert traffic_of(replace(small, burst_requests=Decimal(0)), DEPLOYMENT, Assumptions()) == (
        traffic
    )


def test_the_idle_lifetime_is_the_twins() -> None:
    assert Decimal(str(DEFAULT_IDLE_SECONDS)) == IDLE_SECONDS


def test_without_bench_results_the_stated_default_is_used(tmp_path: Path) -> None:
    measure = measure_from_bench(tmp_path / "missing.json")
    assert measure.init_ms > 0
    assert "default" in measure.origin


def test_bench_results_give_the_init_cpu_and_the_warm_invoke(tmp_path: Path) -> None:
    results = tmp_path / "lambda.json"
    results.write_text(
        '{"cold": {"shipped": {"median_ms": 400}, "shipped_process_cpu_ms": 312.5},'
        ' "warm_invoke_ms": 0.25}'
    )
    measure = measure_from_bench(results)
    assert (measure.init_ms, measure.warm_ms) == (Decimal("312.5"), Decimal("0.25"))

"""What a memory size and SnapStart would do to the orders function: its cold starts, what each
adds to a request, and its Lambda lines of the month, for one scenario.

Contract: `compare_options(traffic, inputs, deployment, sheet)` prices every (memory size,
SnapStart on/off) in `inputs.memory_sizes_mb` for the API's function alone, the deployed option
first, with the month's requests, warm duration, billed cold starts (Init, or SnapStart's
restore) and, with SnapStart, the snapshot cache and restore charges. Cold starts come from
the arrival model stated in `COLD_START_MODEL`; every AWS figure names the page it comes from,
and every figure that is not AWS's is an assumption with a parameter.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from orders_api.cost.deployed import Deployment
from orders_api.cost.lines import Basis, FreeTierLedger, FreeTierMode, LineItem, Service, cents
from orders_api.cost.model import DEPLOYED, SECONDS_PER_MONTH, Assumptions, route_traffic
from orders_api.cost.prices import Price, PriceSheet, Tier, UnknownRegion
from orders_api.cost.scenarios import Scenario

LAMBDA_PRICING_PAGE = "https://aws.amazon.com/lambda/pricing/"
FULL_VCPU_MB = 1769
"""Lambda allocates CPU in proportion to memory; at 1,769 MB a function has the equivalent of
one vCPU (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html,
https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html)."""
MEMORY_SIZES_MB: tuple[int, ...] = (128, 256, 512, 1024)
IDLE_SECONDS = Decimal(600)
"""How long an idle environment is kept before Lambda retires it. AWS documents no figure; an
outside measurement found every idle instance recycled 10 minutes after its last request
(Mikhail Shilkov, https://mikhail.io/2019/08/aws-lambda-cold-starts-after-10-minutes/). The
twin retires its environments after the same 600 s (`twin.awslambda.processes`)."""
RESTORE_MS = Decimal(500)
"""Added latency of a SnapStart cold start (Restore Duration). AWS promises startup "as low as
sub-second" (https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html) and publishes no
figure for Python; one outside report of a Python (Flask) API went from ~3 s cold starts to
~500 ms with SnapStart (https://mohammadshaker.com/en/tech/alqosh-performance-01-lambda-snapstart-optimization).
An assumption: `--restore-ms` tries others."""

INIT_BILLED = (
    "Since 1 August 2025 Lambda bills the Init phase of on-demand functions packaged as ZIP on "
    "managed runtimes like the Invoke phase (https://aws.amazon.com/blogs/compute/"
    "aws-lambda-standardizes-billing-for-init-phase/): each cold start adds its Init Duration, "
    "at the function's memory, to the GB-seconds."
)
SNAPSTART_BILLING = (
    "SnapStart for Python is billed for caching each published version's snapshot while the "
    "version is active (minimum 3 hours, per GB-second of the function's memory) and per GB "
    f"restored each time an environment resumes from it ({LAMBDA_PRICING_PAGE}, SnapStart "
    "pricing). A restored environment bills Billed Restore Duration (loading the runtime and "
    "after-restore hooks; the snapshot restore itself is free) instead of Init Duration "
    "(https://docs.aws.amazon.com/lambda/latest/dg/snapstart-monitoring.html); the model bills "
    "the whole Restore Duration, an upper bound. Lambda deletes snapshots not invoked for 14 "
    "days (https://docs.aws.amazon.com/lambda/latest/dg/snapstart-security.html); old versions "
    "still invoked, or kept by an alias, stay cached and billed. The Init run when a version "
    "is published is not priced (one Init per deployment)."
)
COLD_START_MODEL = (
    "Cold starts: the scenario's steady requests arrive at random (Poisson) at their monthly "
    "average rate, one warm environment serves them (an invocation lasts milliseconds), and a "
    f"request finds it retired when more than {IDLE_SECONDS / 60:.0f} minutes passed since the "
    "last (IDLE_SECONDS): exp(-rate x idle) of them are cold. A burst (promotion day) starts "
    "from idle at its peak rate: every request arriving while the first environment "
    "initialises starts another, up to the function's reserved concurrency "
    "(https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html); the rest "
    "of the burst is warm. Both are assumptions about traffic the brief gives as monthly sums."
)
CPU_SCALING = (
    f"Cold-start and warm durations are the bench's, measured on one full core, scaled by "
    f"{FULL_VCPU_MB} MB / memory below {FULL_VCPU_MB} MB (CPU in proportion to memory, "
    "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), taking one bench "
    "core as one Lambda vCPU. An outside measurement found Init code running faster than "
    "handler code below 3 GB (https://bitesizedserverless.com/bite/lambda-cold-start-bootstrap/, "
    "2023): `--init-cpu unthrottled` prices that case, where memory barely changes Init."
)


class InitCpu(StrEnum):
    PROPORTIONAL = "proportional"
    """Init gets the function's CPU share, memory / 1769 MB of a vCPU (AWS's documented rule)."""
    UNTHROTTLED = "unthrottled"
    """Init gets a full core whatever the memory (observed in 2023, not documented)."""


class _Inputs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SnapStartPrices(_Inputs):
    """SnapStart's two prices in one region, dated and sourced as the price sheet's are."""

    cache: Price
    """Per GB-second of the function's memory, while a published version is active."""
    restore: Price
    """Per GB of the function's memory, each time an environment resumes from the snapshot."""
    minimum_cache_seconds: Decimal = Decimal(3 * 3600)


_READ_ON = date(2026, 12, 5)
SNAPSTART_PRICES: dict[str, SnapStartPrices] = {
    "us-east-1": SnapStartPrices(
        cache=Price(
            unit="GB-second",
            source=LAMBDA_PRICING_PAGE,
            read_on=_READ_ON,
            tiers=(Tier(price=Decimal("0.0000015046")),),
            note="Quoted in the page's SnapStart pricing example (US East, N. Virginia).",
        ),
        restore=Price(
            unit="GB restored",
            source=LAMBDA_PRICING_PAGE,
            read_on=_READ_ON,
            tiers=(Tier(price=Decimal("0.0001397998")),),
            note="Quoted in the page's SnapStart pricing example (US East, N. Virginia).",
        ),
    )
}
"""Not in `sheets/<region>.toml` (docs/cost.md prints that sheet and would change): these are
read only by this module."""


def snapstart_prices(region: str) -> SnapStartPrices:
    if region not in SNAPSTART_PRICES:
        raise UnknownRegion(f"no SnapStart prices for {region}; have {', '.join(SNAPSTART_PRICES)}")
    return SNAPSTART_PRICES[region]


class ColdStartMeasure(_Inputs):
    """What the bench measured of the shipped handler, on one full core of the bench machine."""

    init_ms: Decimal = Field(gt=0)
    """CPU of a cold start: importing the handler and building its clients."""
    warm_ms: Decimal = Field(gt=0)
    """CPU of a warm invocation (storage round trip excluded)."""
    origin: str


FALLBACK_MEASURE = ColdStartMeasure(
    init_ms=Decimal(300), warm_ms=Decimal(1), origin="default: no bench results"
)


def measure_from_bench(results: Path) -> ColdStartMeasure:
    """`cold.shipped_process_cpu_ms` (else the cold median) and `warm_invoke_ms` of a Lambda
    bench results file (`bench/results/lambda.json`), or FALLBACK_MEASURE when it has neither."""
    try:
        document = json.loads(results.read_text())
        cold = document["cold"]
        init = cold.get("shipped_process_cpu_ms") or cold["shipped"]["median_ms"]
        warm = document["warm_invoke_ms"]
        return ColdStartMeasure(
            init_ms=Decimal(str(init)),
            warm_ms=Decimal(str(warm)),
            origin=f"{results.as_posix()} (init CPU and warm invoke, one bench machine core)",
        )
    except (OSError, ValueError, KeyError, TypeError):
        return FALLBACK_MEASURE.model_copy(
            update={
                "origin": f"default {FALLBACK_MEASURE.init_ms} ms: no usable figures in {results}"
            }
        )


class OptionInputs(_Inputs):
    """Everything the comparison assumes besides the scenario and the deployment."""

    measure: ColdStartMeasure
    memory_sizes_mb: tuple[int, ...] = MEMORY_SIZES_MB
    idle_seconds: Decimal = Field(default=IDLE_SECONDS, gt=0)
    restore_ms: Decimal = Field(default=RESTORE_MS, gt=0)
    init_cpu: InitCpu = InitCpu.PROPORTIONAL
    cached_versions: int = Field(default=1, ge=1)
    """Published versions with SnapStart kept active (the alias's, at least)."""
    reserved_concurrency: int = Field(default=10, ge=1)
    free_tier: FreeTierMode = FreeTierMode.ALWAYS

    @model_validator(mode="after")
    def _memory_within_lambda_limits(self) -> OptionInputs:
        if not self.memory_sizes_mb or any(not 128 <= m <= 10240 for m in self.memory_sizes_mb):
            raise ValueError("memory sizes are 128 to 10,240 MB")
        return self


@dataclass(frozen=True, slots=True)
class OptionTraffic:
    """The orders function's month: how many invocations, how many of them in a burst."""

    invocations: Decimal
    burst_share: Decimal = Decimal(0)
    """Of the invocations, the share that arrives in the burst (the rest is steady)."""
    peak_per_second: Decimal | None = None

    @property
    def steady(self) -> Decimal:
        return self.invocations * (1 - self.burst_share)


def traffic_of(
    scenario: Scenario, deployment: Deployment, assumptions: Assumptions
) -> OptionTraffic:
    """The deployed design's invocations of the API function, split as the scenario says."""
    workload = scenario.workload
    invocations = route_traffic(workload, DEPLOYED, deployment, assumptions).invocations
    if not scenario.burst_requests or not workload.requests_per_month:
        return OptionTraffic(invocations)
    share = min(Decimal(1), scenario.burst_requests / workload.requests_per_month)
    return OptionTraffic(invocations, share, scenario.peak_requests_per_second)


@dataclass(frozen=True, slots=True)
class LambdaOption:
    memory_mb: int
    snapstart: bool

    @property
    def label(self) -> str:
        return f"{self.memory_mb} MB, SnapStart {'on' if self.snapstart else 'off'}"


@dataclass(frozen=True, slots=True)
class OptionEstimate:
    option: LambdaOption
    deployed: bool
    cold_start_ms: Decimal
    """What a cold start adds to its request: Init Duration, or SnapStart's Restore Duration."""
    warm_billed_ms: int
    steady_cold_starts: Decimal
    burst_environments: int
    burst_turned_away: int
    """Requests of the burst's first second(s) that find every environment of the reserved
    concurrency initialising: throttled."""
    lines: tuple[LineItem, ...]
    """Requests, warm duration, the cold starts' duration (Init, or restore), then with SnapStart
    its cache and its restores."""

    @property
    def running(self) -> Decimal:
        """Requests and warm duration: what every option pays whatever its cold starts."""
        return self.lines[0].amount + self.lines[1].amount

    @property
    def cold_start_duration(self) -> Decimal:
        return self.lines[2].amount

    @property
    def snapstart_charges(self) -> Decimal:
        return sum((line.amount for line in self.lines[3:]), Decimal(0))

    @property
    def cold_starts(self) -> Decimal:
        return self.steady_cold_starts + self.burst_environments

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))


def cpu_scale(memory_mb: int) -> Decimal:
    """How much slower CPU-bound work runs than on one full vCPU."""
    return max(Decimal(1), Decimal(FULL_VCPU_MB) / Decimal(memory_mb))


def init_ms(measure: ColdStartMeasure, memory_mb: int, init_cpu: InitCpu) -> Decimal:
    if init_cpu is InitCpu.UNTHROTTLED:
        return measure.init_ms
    return measure.init_ms * cpu_scale(memory_mb)


def steady_cold_starts(invocations: Decimal, idle_seconds: Decimal) -> Decimal:
    """Poisson arrivals at the month's average rate: a request is cold when the gap since the
    one before exceeds the idle lifetime, with probability exp(-rate x idle)."""
    if invocations <= 0:
        return Decimal(0)
    rate = invocations / SECONDS_PER_MONTH
    return invocations * (-rate * idle_seconds).exp()


def burst_environments(
    peak_per_second: Decimal | None, cold_start_ms: Decimal, reserved: int
) -> tuple[int, int]:
    """(environments started, requests turned away) when a burst starts from idle at its peak:
    the first request and every one arriving during its cold start need an environment."""
    if not peak_per_second:
        return 0, 0
    wanted = 1 + math.floor(peak_per_second * cold_start_ms / 1000)
    return min(wanted, reserved), max(0, wanted - reserved)


def _bill(
    ledger: FreeTierLedger,
    key: str,
    price: Price,
    item: str,
    quantity: Decimal,
    basis: Basis = Basis.VARIABLE,
) -> LineItem:
    free = ledger.take(key, quantity)
    amount = price.charge(quantity) - price.charge(free)
    return LineItem(Service.LAMBDA, item, key, quantity, price.unit, free, amount, basis)


def estimate_option(
    option: LambdaOption,
    traffic: OptionTraffic,
    inputs: OptionInputs,
    deployment: Deployment,
    sheet: PriceSheet,
) -> OptionEstimate:
    gb = Decimal(option.memory_mb) / 1024
    duration_key = f"lambda_duration_{deployment.architecture}"
    warm_billed_ms = max(1, math.ceil(inputs.measure.warm_ms * cpu_scale(option.memory_mb)))
    if option.snapstart:
        cold_ms = inputs.restore_ms
    else:
        cold_ms = init_ms(inputs.measure, option.memory_mb, inputs.init_cpu)
    steady = steady_cold_starts(traffic.steady, inputs.idle_seconds)
    burst, turned_away = burst_environments(
        traffic.peak_per_second, cold_ms, inputs.reserved_concurrency
    )
    cold_starts = steady + burst
    ledger = FreeTierLedger(sheet, inputs.free_tier)
    architecture = f"{deployment.architecture}, {option.memory_mb} MB"
    lines = [
        _bill(ledger, "lambda_requests", sheet["lambda_requests"], "requests", traffic.invocations),
        _bill(
            ledger,
            duration_key,
            sheet[duration_key],
            f"duration ({architecture}, {warm_billed_ms} ms billed)",
            traffic.invocations * gb * warm_billed_ms / 1000,
        ),
    ]
    cold_gb_seconds = cold_starts * gb * math.ceil(cold_ms) / 1000
    if not option.snapstart:
        lines.append(
            _bill(ledger, duration_key, sheet[duration_key], "Init duration", cold_gb_seconds)
        )
    else:
        prices = snapstart_prices(sheet.region)
        lines.append(
            _bill(ledger, duration_key, sheet[duration_key], "restore duration", cold_gb_seconds)
        )
        cached_seconds = max(SECONDS_PER_MONTH, prices.minimum_cache_seconds)
        lines.append(
            _bill(
                ledger,
                "lambda_snapstart_cache",
                prices.cache,
                f"SnapStart cache ({inputs.cached_versions} version)",
                gb * cached_seconds * inputs.cached_versions,
                Basis.FIXED,
            )
        )
        lines.append(
            _bill(
                ledger,
                "lambda_snapstart_restore",
                prices.restore,
                "SnapStart restores",
                cold_starts * gb,
            )
        )
    return OptionEstimate(
        option=option,
        deployed=option.memory_mb == deployment.function_memory_mb and not option.snapstart,
        cold_start_ms=cold_ms,
        warm_billed_ms=warm_billed_ms,
        steady_cold_starts=steady,
        burst_environments=burst,
        burst_turned_away=turned_away,
        lines=tuple(lines),
    )


def options(inputs: OptionInputs, deployment: Deployment) -> tuple[LambdaOption, ...]:
    """Every memory size with SnapStart off then on; the deployed memory is always included."""
    sizes = sorted({*inputs.memory_sizes_mb, deployment.function_memory_mb})
    return tuple(LambdaOption(size, snapstart) for size in sizes for snapstart in (False, True))


def compare_options(
    traffic: OptionTraffic, inputs: OptionInputs, deployment: Deployment, sheet: PriceSheet
) -> tuple[OptionEstimate, ...]:
    return tuple(
        estimate_option(option, traffic, inputs, deployment, sheet)
        for option in options(inputs, deployment)
    )


def notes(inputs: OptionInputs) -> tuple[str, ...]:
    return (
        "The orders function alone (the API's; the enrichment and fulfil functions are "
        "asynchronous and keep the main table's lines).",
        f"Measured: {inputs.measure.init_ms:.0f} ms Init CPU and {inputs.measure.warm_ms:.3f} ms "
        f"warm invoke, {inputs.measure.origin}.",
        CPU_SCALING,
        INIT_BILLED,
        SNAPSTART_BILLING,
        f"{COLD_START_MODEL} Idle lifetime {inputs.idle_seconds} s; SnapStart restore "
        f"{inputs.restore_ms} ms (assumed); reserved concurrency {inputs.reserved_concurrency}.",
        f"Free tier: {inputs.free_tier.value}; SnapStart's charges are outside Lambda's free "
        f"tier, which covers requests and GB-seconds ({LAMBDA_PRICING_PAGE}).",
    )


def option_json(estimate: OptionEstimate) -> dict[str, Any]:
    return {
        "memory_mb": estimate.option.memory_mb,
        "snapstart": estimate.option.snapstart,
        "deployed": estimate.deployed,
        "cold_start_ms": str(estimate.cold_start_ms),
        "warm_billed_ms": estimate.warm_billed_ms,
        "cold_starts": str(estimate.cold_starts),
        "steady_cold_starts": str(estimate.steady_cold_starts),
        "burst_environments": estimate.burst_environments,
        "burst_turned_away": estimate.burst_turned_away,
        "lines": [
            {
                "item": line.item,
                "price_key": line.price_key,
                "quantity": str(line.quantity),
                "unit": line.unit,
                "free_quantity": str(line.free_quantity),
                "amount": str(line.amount),
                "usd": str(cents(line.amount)),
            }
            for line in estimate.lines
        ],
        "total": str(estimate.total),
        "total_usd": str(cents(estimate.total)),
    }


def report_json(
    scenario_key: str,
    traffic: OptionTraffic,
    inputs: OptionInputs,
    estimates: Sequence[OptionEstimate],
    sheet: PriceSheet,
) -> dict[str, Any]:
    prices = snapstart_prices(sheet.region)
    return {
        "scenario": scenario_key,
        "invocations": str(traffic.invocations),
        "burst_share": str(traffic.burst_share),
        "peak_per_second": None
        if traffic.peak_per_second is None
        else str(traffic.peak_per_second),
        "inputs": json.loads(inputs.model_dump_json()),
        "snapstart_prices": json.loads(prices.model_dump_json()),
        "options": [option_json(estimate) for estimate in estimates],
        "notes": list(notes(inputs)),
    }

"""Monthly cost by service against monthly requests, and where WAF stops being the largest."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from orders_api.cost.deployed import Deployment
from orders_api.cost.lines import Service
from orders_api.cost.model import DEPLOYED, SECONDS_PER_MONTH, Assumptions, Design, estimate
from orders_api.cost.prices import PriceSheet
from orders_api.cost.workload import Workload

FORMATS = ("png", "svg", "pdf")
"""What the chart can be written as, named by the file's suffix."""
LOW = Decimal(1_000)
HIGH = Decimal(1_000_000_000)
POINTS = 121


def request_grid(low: Decimal = LOW, high: Decimal = HIGH, points: int = POINTS) -> list[Decimal]:
    """Monthly request counts evenly spaced on a log scale."""
    ratio = (high / low) ** (Decimal(1) / Decimal(points - 1))
    return [(low * ratio**step).to_integral_value() for step in range(points)]


def _at(workload: Workload, requests: Decimal) -> Workload:
    return replace(workload, requests_per_month=requests)


def waf_stops_being_largest(
    workload: Workload,
    deployment: Deployment,
    sheet: PriceSheet,
    assumptions: Assumptions = Assumptions(),  # noqa: B008 - frozen
    design: Design = DEPLOYED,
) -> tuple[Decimal, Service] | None:
    """The fewest monthly requests (to the request) at which another service costs more than
    WAF, with that service; None if WAF is not the largest at first or stays so up to HIGH.

    Past the stage throttle WAF can become the largest again (it evaluates what API Gateway
    turns away), so the search walks the log grid to the first overtaken point, then bisects.
    """

    def overtaker(requests: Decimal) -> Service | None:
        costs = estimate(
            _at(workload, requests), deployment, sheet, design, assumptions
        ).by_service()
        waf = costs.get(Service.WAF, Decimal(0))
        rivals = {s: c for s, c in costs.items() if s is not Service.WAF and c > waf}
        return max(rivals, key=lambda s: rivals[s]) if rivals else None

    if overtaker(Decimal(0)) is not None:
        return None
    low = Decimal(0)
    for high in request_grid():
        if overtaker(high) is None:
            low = high
            continue
        while high - low > 1:
            middle = ((low + high) / 2).to_integral_value()
            if overtaker(middle) is None:
                low = middle
            else:
                high = middle
        rival = overtaker(high)
        assert rival is not None  # the bisection keeps `high` overtaken
        return high, rival
    return None


def plot_costs(
    path: Path,
    workload: Workload,
    deployment: Deployment,
    sheet: PriceSheet,
    assumptions: Assumptions = Assumptions(),  # noqa: B008 - frozen
    title: str = "Orders API: monthly cost by service",
) -> tuple[Decimal, Service] | None:
    """Draw the chart to `path`, in the format its suffix names (one of FORMATS); return where
    WAF stops being the largest cost."""
    image_format = path.suffix.lower().lstrip(".")
    if image_format not in FORMATS:
        raise ValueError(f"a chart is written as {', '.join(FORMATS)}, not {path.suffix!r}")
    from matplotlib import pyplot

    figure, crossing = cost_figure(workload, deployment, sheet, assumptions, title)
    try:
        figure.savefig(path, format=image_format)
    finally:
        pyplot.close(figure)
    return crossing


def cost_figure(
    workload: Workload,
    deployment: Deployment,
    sheet: PriceSheet,
    assumptions: Assumptions = Assumptions(),  # noqa: B008 - frozen
    title: str = "Orders API: monthly cost by service",
) -> tuple[Any, tuple[Decimal, Service] | None]:
    """The chart (a matplotlib Figure, for the caller to save and close) and where WAF stops
    being the largest cost."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    grid = request_grid()
    series: dict[Service, list[float]] = {}
    for requests in grid:
        costs = estimate(
            _at(workload, requests), deployment, sheet, DEPLOYED, assumptions
        ).by_service()
        for service in Service:
            if service in costs:
                series.setdefault(service, []).append(float(costs[service]))
    crossing = waf_stops_being_largest(workload, deployment, sheet, assumptions)

    figure, axes = pyplot.subplots(figsize=(10, 6.5), dpi=110)
    xs = [float(r) for r in grid]
    for service, values in series.items():
        if max(values) <= 0:
            continue
        width = 3.0 if service is Service.WAF else 1.8
        axes.plot(xs, [max(v, 1e-3) for v in values], label=service.value, linewidth=width)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_ylim(bottom=0.01)
    axes.set_xlabel("Requests per month (arriving at the edge)")
    axes.set_ylabel("USD per month (log scale)")
    axes.grid(True, which="major", alpha=0.35)
    ceiling = float(deployment.throttle_rate_limit * SECONDS_PER_MONTH)
    axes.axvline(ceiling, color="grey", linestyle=":", linewidth=1.2)
    # At the top of the axes, right of its line: the crossover's box sits at the bottom.
    axes.annotate(
        f"stage throttle\n{deployment.throttle_rate_limit} req/s",
        xy=(ceiling, 0.98),
        xycoords=("data", "axes fraction"),
        xytext=(4, 0),
        textcoords="offset points",
        verticalalignment="top",
        fontsize=8,
        color="dimgrey",
    )
    if crossing is not None:
        requests, rival = crossing
        axes.axvline(float(requests), color="black", linestyle="--", linewidth=1.2)
        axes.annotate(
            f"WAF stops being the largest cost\nat {requests:,.0f} requests/month\n"
            f"({rival.value} overtakes it)",
            xy=(float(requests), 0.02),
            xytext=(12, 12),
            textcoords="offset points",
            fontsize=9,
            bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.9},
        )
    shares = (
        f"WAF-blocked {workload.waf_blocked_share:.0%}, "
        f"unauthorized {workload.unauthorized_share:.0%}, "
        f"reads {workload.read_share:.0%}; free tier: {assumptions.free_tier.value}; "
        f"prices {sheet.region}, read {sheet.read_on.isoformat()}"
    )
    axes.set_title(f"{title}\n{shares}", fontsize=11)
    axes.legend(loc="upper left", fontsize=9)
    figure.tight_layout()
    return figure, crossing

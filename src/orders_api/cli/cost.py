"""`orders-api cost`: what the deployed stack costs a month, per scenario or for given inputs."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from rich.console import Console

from orders_api.cost.deployed import Deployment, read_deployment
from orders_api.cost.lambda_options import (
    IDLE_SECONDS,
    MEMORY_SIZES_MB,
    RESTORE_MS,
    InitCpu,
    OptionInputs,
    compare_options,
    measure_from_bench,
    notes,
    traffic_of,
)
from orders_api.cost.lambda_options import report_json as options_json
from orders_api.cost.lambda_options_render import markdown_table, rich_table
from orders_api.cost.lines import FreeTierMode
from orders_api.cost.model import Assumptions, compare
from orders_api.cost.plot import FORMATS, plot_costs
from orders_api.cost.prices import PriceSheet, UnknownRegion, available_regions, load_price_sheet
from orders_api.cost.render import report_json, rich_report
from orders_api.cost.report import markdown_report
from orders_api.cost.scenarios import Scenario, scenario, scenarios
from orders_api.cost.workload import BilledDuration, billed_duration_from_bench
from orders_api.deployment.settings import DEFAULT_SETTINGS

BENCH_RESULTS = Path("bench") / "results" / "lambda.json"
"""Where `make bench` writes the Lambda benchmark, from the repository (the working directory of
`make cost`)."""

# Flags that override a field of the scenario's workload, with how to parse them.
_OVERRIDES: dict[str, tuple[str, type[int] | type[Decimal]]] = {
    "requests": ("requests_per_month", Decimal),
    "mau": ("monthly_active_users", int),
    "blocked_share": ("waf_blocked_share", Decimal),
    "unauthorized_share": ("unauthorized_share", Decimal),
    "invalid_share": ("invalid_share", Decimal),
    "read_share": ("read_share", Decimal),
    "list_share": ("list_share", Decimal),
    "orders_per_list": ("orders_per_list", int),
    "status_changes": ("status_changes_per_order", Decimal),
    "failed_share": ("failed_event_share", Decimal),
    "item_bytes": ("item_bytes", int),
    "log_bytes": ("log_bytes_per_request", int),
    "stored_orders": ("orders_already_stored", int),
    "valid_token_share": ("blocked_with_valid_token_share", Decimal),
}


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text.replace("_", "").replace(",", ""))
    except InvalidOperation as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc


def _chart_path(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower().lstrip(".") not in FORMATS:
        raise argparse.ArgumentTypeError(
            f"{text!r}: name a .png, .svg or .pdf file (the suffix says which to write)"
        )
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r}: the folder {path.parent} does not exist")
    return path


def _memory_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a list of MB: {text!r}") from exc
    if not sizes or any(not 128 <= size <= 10240 for size in sizes):
        raise argparse.ArgumentTypeError("memory sizes are 128 to 10240 MB, comma-separated")
    return sizes


def _add_lambda_option_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "memory size and SnapStart",
        "`--lambda-options` prices the orders function at each memory size with SnapStart off "
        "and on: cold starts a month, what each adds to its request, and the month's Lambda "
        "lines (Init billed since August 2025; SnapStart's cache and restores).",
    )
    group.add_argument(
        "--lambda-options",
        action="store_true",
        help="compare memory sizes and SnapStart for the scenario (with --json, as JSON; with "
        "--markdown, as a Markdown table)",
    )
    group.add_argument(
        "--memory-sizes",
        type=_memory_sizes,
        default=MEMORY_SIZES_MB,
        metavar="MB,MB",
        help=f"memory sizes to compare (default: {','.join(map(str, MEMORY_SIZES_MB))})",
    )
    group.add_argument(
        "--restore-ms",
        type=_decimal,
        default=RESTORE_MS,
        help=f"assumed SnapStart restore latency (default: {RESTORE_MS} ms)",
    )
    group.add_argument(
        "--idle-seconds",
        type=_decimal,
        default=IDLE_SECONDS,
        help=f"how long Lambda keeps an idle environment (default: {IDLE_SECONDS} s, measured "
        "from outside)",
    )
    group.add_argument(
        "--init-cpu",
        choices=[mode.value for mode in InitCpu],
        default=InitCpu.PROPORTIONAL.value,
        help="Init's CPU: the memory's share of a vCPU (AWS's rule, default) or a full core "
        "(observed in 2023)",
    )
    group.add_argument(
        "--cached-versions",
        type=int,
        default=1,
        help="published versions kept cached with SnapStart (default: 1)",
    )


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "cost",
        help="Monthly AWS cost of the deployed stack, per scenario or for your inputs",
        description=(
            "Price a month of traffic through the deployed configuration (REST API + WAF) and "
            "the alternatives the brief weighs (HTTP API, no WAF). Scenario presets come from "
            "the product brief; any flag overrides the preset's figure."
        ),
    )
    parser.add_argument(
        "--scenario",
        choices=[s.key for s in scenarios(BilledDuration(Decimal(1), ""))],
        default="small-business",
    )
    parser.add_argument("--requests", type=_decimal, help="requests per month arriving at the edge")
    parser.add_argument("--mau", type=int, help="monthly active users (Cognito)")
    parser.add_argument("--blocked-share", type=_decimal, help="share of requests WAF blocks (0-1)")
    parser.add_argument(
        "--unauthorized-share", type=_decimal, help="share refused by the Cognito authorizer (0-1)"
    )
    parser.add_argument(
        "--invalid-share", type=_decimal, help="share refused by the request validator (0-1)"
    )
    parser.add_argument(
        "--read-share", type=_decimal, help="share of admitted requests that read (0-1)"
    )
    parser.add_argument(
        "--list-share",
        type=_decimal,
        help="share of admitted requests that list the caller's orders, GET /orders (0-1)",
    )
    parser.add_argument(
        "--orders-per-list", type=int, help="orders a GET /orders page returns (default: 20)"
    )
    parser.add_argument(
        "--status-changes",
        type=_decimal,
        help="status changes (ship or cancel) per order placed (default: 1)",
    )
    parser.add_argument(
        "--failed-share",
        type=_decimal,
        help="share of events that fail delivery and land in the dead-letter queue (0-1)",
    )
    parser.add_argument("--item-bytes", type=int, help="average order item size in bytes")
    parser.add_argument("--log-bytes", type=int, help="CloudWatch Logs bytes per Lambda invocation")
    parser.add_argument("--stored-orders", type=int, help="orders already in the table")
    parser.add_argument(
        "--valid-token-share",
        type=_decimal,
        help="without WAF: share of the would-be-blocked traffic holding a valid token (0-1)",
    )
    parser.add_argument(
        "--billed-ms", type=_decimal, help="Lambda billed duration per invocation (default: bench)"
    )
    parser.add_argument(
        "--bench-results",
        type=Path,
        default=BENCH_RESULTS,
        metavar="FILE",
        help=f"the Lambda benchmark's results, for the billed duration (default: {BENCH_RESULTS})",
    )
    parser.add_argument(
        "--free-tier",
        choices=[mode.value for mode in FreeTierMode],
        default=FreeTierMode.ALWAYS.value,
        help="the account's free tier: none, always-free allowances, or all (12-month too)",
    )
    parser.add_argument(
        "--apigw-bills-waf-blocked",
        action="store_true",
        help="assume API Gateway bills requests WAF blocks (AWS does not document it)",
    )
    parser.add_argument(
        "--region", default=None, help=f"price sheet ({', '.join(available_regions())})"
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print JSON instead of a table")
    output.add_argument(
        "--markdown",
        action="store_true",
        help="print docs/cost.md (all scenarios) and exit; with --lambda-options, its table",
    )
    parser.add_argument(
        "--plot",
        type=_chart_path,
        metavar="FILE.png",
        help=f"also draw cost by service ({', '.join(FORMATS)}, by the file's suffix)",
    )
    _add_lambda_option_arguments(parser)
    parser.set_defaults(handler=run)


def run(arguments: argparse.Namespace) -> int:
    deployment = read_deployment()
    try:
        sheet = load_price_sheet(arguments.region or deployment.region)
    except UnknownRegion as exc:
        print(f"orders-api cost: {exc}", file=sys.stderr)
        return 2
    duration = billed_duration_from_bench(arguments.bench_results)
    if arguments.billed_ms is not None:
        duration = BilledDuration(arguments.billed_ms, "given with --billed-ms")
    if arguments.markdown and not arguments.lambda_options:
        sys.stdout.write(markdown_report(deployment, sheet, duration))
        return 0
    preset = scenario(arguments.scenario, duration)
    overrides: dict[str, Any] = {
        field: kind(value)
        for flag, (field, kind) in _OVERRIDES.items()
        if (value := getattr(arguments, flag)) is not None
    }
    try:
        workload = replace(preset.workload, **overrides)
    except ValueError as exc:
        print(f"orders-api cost: {exc}", file=sys.stderr)
        return 2
    assumptions = Assumptions(
        free_tier=FreeTierMode(arguments.free_tier),
        api_gateway_bills_waf_blocked=arguments.apigw_bills_waf_blocked,
    )
    key = preset.key if not overrides else f"{preset.key} (modified)"
    if arguments.lambda_options:
        with_overrides = replace(preset, workload=workload)
        return _lambda_options(arguments, key, with_overrides, deployment, sheet, assumptions)
    estimates = compare(workload, deployment, sheet, assumptions)
    if arguments.json:
        print(json.dumps(report_json(key, estimates, deployment, sheet, assumptions), indent=2))
    else:
        modified = " (modified)" if overrides else ""
        title = f"{preset.title}{modified} — {sheet.region}, prices read {sheet.read_on}"
        console = Console()
        if not console.is_terminal:
            console = Console(width=160)
        console.print(rich_report(title, estimates))
    if arguments.plot is not None:
        crossing = plot_costs(arguments.plot, workload, deployment, sheet, assumptions)
        where = (
            f"; WAF stops being the largest cost at {crossing[0]:,.0f} requests/month"
            if crossing
            else ""
        )
        print(f"plot written to {arguments.plot}{where}", file=sys.stderr)
    return 0


def _lambda_options(
    arguments: argparse.Namespace,
    key: str,
    preset: Scenario,
    deployment: Deployment,
    sheet: PriceSheet,
    assumptions: Assumptions,
) -> int:
    measure = measure_from_bench(arguments.bench_results)
    try:
        inputs = OptionInputs(
            measure=measure,
            memory_sizes_mb=arguments.memory_sizes,
            idle_seconds=arguments.idle_seconds,
            restore_ms=arguments.restore_ms,
            init_cpu=InitCpu(arguments.init_cpu),
            cached_versions=arguments.cached_versions,
            reserved_concurrency=DEFAULT_SETTINGS.function.reserved_concurrency,
            free_tier=assumptions.free_tier,
        )
        traffic = traffic_of(preset, deployment, assumptions)
        estimates = compare_options(traffic, inputs, deployment, sheet)
    except (ValueError, UnknownRegion) as exc:
        print(f"orders-api cost: {exc}", file=sys.stderr)
        return 2
    if arguments.json:
        print(json.dumps(options_json(key, traffic, inputs, estimates, sheet), indent=2))
    elif arguments.markdown:
        sys.stdout.write(markdown_table(estimates))
    else:
        title = (
            f"{preset.title}: the orders function by memory size and SnapStart — "
            f"{traffic.invocations:,.0f} invocations, {sheet.region}, free tier "
            f"{inputs.free_tier.value}"
        )
        console = Console()
        if not console.is_terminal:
            console = Console(width=200)
        console.print(rich_table(title, estimates, notes(inputs)))
    return 0

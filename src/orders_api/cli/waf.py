"""The web ACL on the command line: `orders-api waf stats`, and `serve`'s WAF options.

`orders-api serve` enforces the deployed policy (`orders_api.deployment.waf_policy`'s
DEFAULT_POLICY) by default; `--rate-limit N [--rate-window S]` overrides the rate rule for a
local run (load tests keep every rule evaluating without tripping it), `--no-waf` serves
without it (benchmark baselines only), `--waf-log PATH` appends one AWS-shaped WAF log record
per request.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import httpx
from rich.console import Console
from rich.table import Table

from orders_api.cli import waf_tuning
from orders_api.cli.api_client import ClientProblem, StackOutputs
from orders_api.deployment.waf_policy import (
    DEFAULT_POLICY,
    EVALUATION_WINDOWS_SECONDS,
    PolicyError,
    with_rate_limit,
)
from orders_api.twin.server import READY_PATH
from orders_api.twin.waf.engine import WafEngine


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The WAF options of `orders-api serve`."""
    group = parser.add_argument_group("web ACL (the deployed WAF policy, enforced locally)")
    group.add_argument(
        "--rate-limit",
        type=int,
        metavar="N",
        help="requests per window per client before the rate rule answers 429 (AWS: 10 to "
        f"2e9; deployed: {DEFAULT_POLICY.rate_rule.limit})",
    )
    group.add_argument(
        "--rate-window",
        type=int,
        metavar="S",
        choices=EVALUATION_WINDOWS_SECONDS,
        help="the rate rule's evaluation window in seconds: 60, 120, 300 or 600 (deployed: "
        f"{DEFAULT_POLICY.rate_rule.window_seconds})",
    )
    group.add_argument(
        "--no-waf",
        action="store_true",
        help="serve without the web ACL (for benchmark baselines only)",
    )
    group.add_argument(
        "--waf-log",
        metavar="PATH",
        help="append one AWS WAF log record (JSON line) per request to PATH; '-' for stderr",
    )
    # Tests only: the rate rule's clock runs this many times faster, so that a 60 s window
    # passes in seconds over real HTTP. Not a deployable setting, hence hidden.
    group.add_argument("--waf-time-scale", type=float, default=1.0, help=argparse.SUPPRESS)


def request_filter(arguments: argparse.Namespace) -> WafEngine | None:
    """The engine `serve`'s arguments ask for; None with --no-waf. Exits on a bad override."""
    if arguments.no_waf:
        if arguments.rate_limit is not None or arguments.rate_window is not None:
            arguments.parser.error("--no-waf and --rate-limit/--rate-window exclude each other")
        return None
    policy = DEFAULT_POLICY
    if arguments.rate_limit is not None or arguments.rate_window is not None:
        limit = policy.rate_rule.limit if arguments.rate_limit is None else arguments.rate_limit
        try:
            policy = with_rate_limit(policy, limit, arguments.rate_window)
        except PolicyError as exc:
            arguments.parser.error(str(exc))
    scale = float(arguments.waf_time_scale)
    if scale <= 0:
        arguments.parser.error("--waf-time-scale must be positive")
    clock = time.monotonic if scale == 1.0 else _scaled_clock(scale)
    return WafEngine(policy, clock=clock, log=_log_sink(arguments.waf_log))


def _scaled_clock(scale: float) -> Callable[[], float]:
    def clock() -> float:
        return time.monotonic() * scale

    return clock


def _log_sink(target: str | None) -> Callable[[str], None] | None:
    if target is None:
        return None
    stream: IO[str]
    if target == "-":
        stream = sys.stderr
    else:
        path = Path(target)
        # WAF logs name client addresses and request lines: readable by the owner only.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        stream = os.fdopen(descriptor, "a", encoding="utf-8", buffering=1)
    lock = threading.Lock()

    def write(line: str) -> None:
        with lock:
            stream.write(line + "\n")
            stream.flush()

    return write


def register(subparsers: Any) -> None:
    waf = subparsers.add_parser("waf", help="the web ACL in front of the API")
    commands = waf.add_subparsers(dest="waf_command", required=True, metavar="COMMAND")
    stats = commands.add_parser(
        "stats",
        help="the local twin's WAF counters: requests allowed and blocked, per rule",
        description="Read the running twin's readiness endpoint and show its web ACL counters.",
    )
    stats.add_argument(
        "--outputs",
        type=Path,
        metavar="FILE",
        help="the twin's outputs.json (default: $ORDERS_API_OUTPUTS or .orders-api/outputs.json)",
    )
    stats.add_argument("--json", action="store_true", help="print the counters as JSON")
    stats.set_defaults(handler=_stats)
    waf_tuning.register(commands)


def _stats(arguments: argparse.Namespace) -> int:
    errors = Console(stderr=True, soft_wrap=True)
    try:
        outputs = StackOutputs.load(arguments.outputs)
    except ClientProblem as exc:
        errors.print(f"orders-api waf stats: {exc}")
        return 2
    if not outputs.is_local:
        errors.print(
            "orders-api waf stats: these are the local twin's counters; for the deployed web "
            "ACL see its CloudWatch metrics (AWS/WAFV2) or its logs"
        )
        return 2
    parts = urlsplit(outputs.api_url)
    try:
        response = httpx.get(f"{parts.scheme}://{parts.netloc}{READY_PATH}", timeout=10)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        errors.print(f"orders-api waf stats: the twin does not answer ({type(exc).__name__})")
        return 1
    stats = response.json().get("requestFilter")
    if arguments.json:
        print(json.dumps(stats, indent=2))
        return 0
    if stats is None:
        print("The twin runs without a web ACL (--no-waf).")
        return 0
    _print_stats(stats)
    return 0


def _print_stats(stats: dict[str, Any]) -> None:
    console = Console(soft_wrap=True)
    rate = stats["rateLimit"]
    console.print(
        f"{stats['requests']} requests: {stats['allowed']} allowed, {stats['blocked']} blocked. "
        f"Rate rule: {rate['limit']} per {rate['windowSeconds']} s per {rate['aggregateKey']}, "
        f"{rate['limitedKeys']} client(s) limited now."
    )
    rules = Table("Web ACL rule", "Blocked", "Allowed", "Counted")
    for name, counts in stats["rules"].items():
        rules.add_row(name, str(counts["blocked"]), str(counts["allowed"]), str(counts["counted"]))
    console.print(rules)
    if stats["managedRules"]:
        managed = Table("Managed rule that matched", "Requests")
        for name, count in stats["managedRules"].items():
            managed.add_row(name, str(count))
        console.print(managed)

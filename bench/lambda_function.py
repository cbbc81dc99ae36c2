"""The Lambda function: warm invoke and cold start, each against a baseline in the same run.

Warm: the shipped handler with the in-memory repository, per request, against a bare
Powertools resolver route doing no work. Cold: importing the handler module and building its
objects (the DynamoDB client included, as in Lambda's init phase) in a fresh interpreter,
against a handler that only imports boto3 and creates a DynamoDB client.

    python -m bench.lambda_function [--requests N] [--cold-runs N]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import machine, summary, write_result

EVENT = json.loads(
    (Path(__file__).parents[1] / "tests" / "events" / "post_orders.json").read_text()
)

_COLD_SHIPPED = """
import time
started = time.perf_counter()
import orders_api.function.handler
elapsed = (time.perf_counter() - started) * 1000
import resource
usage = resource.getrusage(resource.RUSAGE_SELF)
print(usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
print(elapsed)
"""

_COLD_BASELINE = """
import time
started = time.perf_counter()
import boto3
client = boto3.client("dynamodb")
def lambda_handler(event, context):
    return {"statusCode": 200, "body": ""}
print((time.perf_counter() - started) * 1000)
"""


@dataclass
class _Context:
    function_name: str = "orders-api-create"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:orders-api-create"
    aws_request_id: str = "52fdfc07-2182-454f-963f-5f0f9a621d72"


def _time_calls(call: Any, requests: int) -> list[float]:
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def warm_invoke(requests: int) -> dict[str, Any]:
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "OrdersApiBench")
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

    from orders_api.adapters.memory import InMemoryOrderRepository
    from orders_api.function import bootstrap, handler
    from orders_api.service import OrderService

    bootstrap.install(OrderService(InMemoryOrderRepository()))
    bare = APIGatewayRestResolver()
    validating = APIGatewayRestResolver(enable_validation=True)

    @bare.post("/orders")
    def no_work() -> dict[str, str]:
        return {}

    @validating.post("/orders")
    def no_work_validated() -> dict[str, str]:
        return {}

    context = _Context()
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - EMF lines go to stdout in Lambda too
    try:
        for _ in range(200):  # warm both paths
            handler.lambda_handler(dict(EVENT), context)  # type: ignore[arg-type]
            bare.resolve(dict(EVENT), context)  # type: ignore[arg-type]
            validating.resolve(dict(EVENT), context)  # type: ignore[arg-type]
        baseline = _time_calls(lambda: bare.resolve(dict(EVENT), context), requests)
        validating_baseline = _time_calls(
            lambda: validating.resolve(dict(EVENT), context),  # type: ignore[arg-type]
            requests,
        )
        shipped = _time_calls(
            lambda: handler.lambda_handler(dict(EVENT), context),  # type: ignore[arg-type]
            requests,
        )
    finally:
        sys.stdout.close()
        sys.stdout = sys.__stdout__
    bootstrap.install(None)
    return {
        "shipped": summary(shipped),
        "baseline": summary(baseline),
        "baseline_with_validation": summary(validating_baseline),
    }


def _cold_runs(code: str, runs: int) -> list[float]:
    env = dict(os.environ)
    env.update(
        AWS_LAMBDA_FUNCTION_NAME="orders-api-create",
        ORDERS_TABLE_NAME="Orders",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        POWERTOOLS_METRICS_NAMESPACE="OrdersApiBench",
    )
    samples = []
    for _ in range(runs):
        output = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout
        samples.append(float(output.strip().splitlines()[-1]))
    return samples


def cold_start(runs: int) -> dict[str, Any]:
    baseline: list[float] = []
    shipped: list[float] = []
    for _ in range(runs):  # interleaved, so drift on a busy machine hits both alike
        baseline += _cold_runs(_COLD_BASELINE, 1)
        shipped += _cold_runs(_COLD_SHIPPED, 1)
    cpu_s, peak_mb = _cold_usage()
    return {
        "shipped": summary(shipped),
        "baseline": summary(baseline),
        "shipped_process_cpu_ms": cpu_s * 1000,
        "shipped_peak_rss_mb": peak_mb,
    }


def _cold_usage() -> tuple[float, float]:
    """CPU seconds and peak RSS (MB) of a process that imported and initialised the handler."""
    env = dict(
        os.environ,
        AWS_LAMBDA_FUNCTION_NAME="orders-api-create",
        ORDERS_TABLE_NAME="Orders",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        POWERTOOLS_METRICS_NAMESPACE="OrdersApiBench",
    )
    output = (
        subprocess.run(
            [sys.executable, "-c", _COLD_SHIPPED],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()
    )
    cpu_s, peak_mb = (float(value) for value in output[-2].split())
    return cpu_s, peak_mb


LAMBDA_GB_SECOND_USD_ARM64 = 0.0000133334
LAMBDA_REQUEST_USD = 0.20 / 1_000_000
FULL_VCPU_MB = 1769
"""Lambda gives a function one full vCPU at 1769 MB, and CPU in proportion below that."""
STORAGE_WAIT_MS = 5.0
"""Assumed DynamoDB PutItem round trip inside Lambda (not measured here): waits, not CPU."""
MEMORY_CHOICES = (128, 256, 512)
RSS_HEADROOM = 1.5
"""Peak memory must fit this many times over in the function's memory to be recommended."""


def memory_recommendation(cpu_ms: float, init_cpu_ms: float, peak_rss_mb: float) -> dict[str, Any]:
    """Cost per million orders at each memory size, arm64, from the measured CPU per invoke.

    duration ~ cpu * (1769 MB / memory) + storage wait, billed in whole milliseconds.
    """
    options = {}
    for memory in MEMORY_CHOICES:
        scale = max(1.0, FULL_VCPU_MB / memory)
        duration_ms = cpu_ms * scale + STORAGE_WAIT_MS
        billed_ms = math.ceil(duration_ms)
        usd = 1_000_000 * (
            LAMBDA_REQUEST_USD + LAMBDA_GB_SECOND_USD_ARM64 * memory / 1024 * billed_ms / 1000
        )
        options[memory] = {
            "modelled_duration_ms": duration_ms,
            "billed_ms": billed_ms,
            "usd_per_million_orders": usd,
            "modelled_init_ms": init_cpu_ms * scale,
            "fits": peak_rss_mb * RSS_HEADROOM <= memory,
        }
    fitting = [memory for memory in MEMORY_CHOICES if options[memory]["fits"]] or [
        MEMORY_CHOICES[-1]
    ]
    recommended = min(fitting, key=lambda memory: options[memory]["usd_per_million_orders"])
    return {"options": options, "recommended_mb": recommended}


def run(requests: int = 3000, cold_runs: int = 10) -> dict[str, Any]:
    warm = warm_invoke(requests)
    cold = cold_start(cold_runs)
    result = {
        "machine": machine(),
        "warm": warm,
        "warm_ratio": warm["shipped"]["median_ms"] / warm["baseline"]["median_ms"],
        "warm_ratio_to_validating_resolver": warm["shipped"]["median_ms"]
        / warm["baseline_with_validation"]["median_ms"],
        "warm_invoke_ms": warm["shipped"]["median_ms"],
        "cold": cold,
        "cold_ratio": cold["shipped"]["median_ms"] / cold["baseline"]["median_ms"],
        "targets": {"warm_ratio_max": 1.5, "cold_ratio_max": 1.5},
        "memory": memory_recommendation(
            warm["shipped"]["median_ms"],
            cold["shipped_process_cpu_ms"],
            cold["shipped_peak_rss_mb"],
        ),
    }
    write_result("lambda", result)
    return result


def rows(result: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(figure, this, baseline, ratio, target) for `make bench`'s table."""
    warm, cold, memory = result["warm"], result["cold"], result["memory"]
    table = [
        (
            "Lambda warm invoke (median)",
            f"{warm['shipped']['median_ms']:.3f} ms",
            f"{warm['baseline']['median_ms']:.3f} ms bare resolver",
            f"{result['warm_ratio']:.2f}x",
            "<= 1.5x",
        ),
        (
            "Lambda warm invoke vs validating no-op",
            f"{warm['shipped']['median_ms']:.3f} ms",
            f"{warm['baseline_with_validation']['median_ms']:.3f} ms",
            f"{result['warm_ratio_to_validating_resolver']:.2f}x",
            "",
        ),
        (
            "Lambda cold start (import + init)",
            f"{cold['shipped']['median_ms']:.0f} ms",
            f"{cold['baseline']['median_ms']:.0f} ms boto3 only",
            f"{result['cold_ratio']:.2f}x",
            "<= 1.5x",
        ),
        (
            "Lambda init CPU / peak RSS",
            f"{cold['shipped_process_cpu_ms']:.0f} ms / {cold['shipped_peak_rss_mb']:.0f} MB",
            "",
            "",
            "",
        ),
    ]
    for size, option in memory["options"].items():
        mark = " (recommended)" if int(size) == memory["recommended_mb"] else ""
        table.append(
            (
                f"Lambda {size} MB arm64{mark}",
                f"${option['usd_per_million_orders']:.2f}/M orders",
                f"{option['billed_ms']} ms billed, init ~{option['modelled_init_ms']:.0f} ms",
                "",
                "fits" if option["fits"] else "peak RSS x1.5 > memory",
            )
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--cold-runs", type=int, default=10)
    arguments = parser.parse_args()
    result = run(arguments.requests, arguments.cold_runs)
    warm, cold = result["warm"], result["cold"]
    print(
        f"warm invoke: {warm['shipped']['median_ms']:.3f} ms vs bare resolver "
        f"{warm['baseline']['median_ms']:.3f} ms -> {result['warm_ratio']:.2f}x (target <= 1.5x)"
    )
    print(
        f"             vs a no-op route with Powertools validation on "
        f"{warm['baseline_with_validation']['median_ms']:.3f} ms -> "
        f"{result['warm_ratio_to_validating_resolver']:.2f}x"
    )
    print(
        f"cold start:  {cold['shipped']['median_ms']:.1f} ms vs boto3-only "
        f"{cold['baseline']['median_ms']:.1f} ms -> {result['cold_ratio']:.2f}x (target <= 1.5x)"
    )


if __name__ == "__main__":
    main()

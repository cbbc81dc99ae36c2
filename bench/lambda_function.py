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
import orders_api.handler
print((time.perf_counter() - started) * 1000)
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

    from orders_api import bootstrap, handler
    from orders_api.adapters.memory import InMemoryOrderRepository
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
    return {"shipped": summary(shipped), "baseline": summary(baseline)}


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
    }
    write_result("lambda", result)
    return result


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

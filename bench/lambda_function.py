"""The Lambda function: warm invoke and cold start, each against a baseline in the same run.

Warm: the shipped handler with the in-memory repository, per request, against a Powertools
resolver route that validates and does no work (and, for reference, one that does not
validate). Cold: importing the handler module and building its objects (the DynamoDB client
included, as in Lambda's init phase) in a fresh interpreter of the Lambda-only virtualenv
(tests/infra/lambda_runtime.py: the Powertools layer's packages and boto3, nothing else), with
the code asset staged as the stack ships it (infra/asset.py) on the path, against a handler
that only imports boto3 and creates a DynamoDB client, in the same interpreter. A validating
no-op route (boto3 client included) is measured too: the floor of any function built on the
Powertools resolver with validation.

    python -m bench.lambda_function [--requests N] [--cold-runs N]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import machine, summary, write_result

ROOT = Path(__file__).resolve().parents[1]
EVENT = json.loads((ROOT / "tests" / "events" / "post_orders.json").read_text())
LAMBDA_VENV_CACHE = ROOT / ".venv-lambda"

TARGETS = {"cold_ratio_max": 1.3, "warm_ratio_to_validating_resolver_max": 3.0}
"""Issue 17: cold start <= 1.3x the boto3-only handler; warm invoke <= 3x the validating no-op
route."""

# Each cold program prints, last, its init wall time and its process CPU time (ms).
_MEASURED = """
import time
wall, cpu = time.perf_counter(), time.process_time()
{init}
wall, cpu = (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000
import resource
usage = resource.getrusage(resource.RUSAGE_SELF)
print((usage.ru_utime + usage.ru_stime) * 1000, usage.ru_maxrss / 1024)
print(wall, cpu)
"""

COLD_PROGRAMS = {
    "shipped": _MEASURED.format(init="import orders_api.function.handler"),
    "baseline": _MEASURED.format(
        init="""import boto3
client = boto3.client("dynamodb")
def lambda_handler(event, context):
    return {"statusCode": 200, "body": ""}"""
    ),
    "validating_no_op": _MEASURED.format(
        init="""import boto3
client = boto3.client("dynamodb")
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
app = APIGatewayRestResolver(enable_validation=True)
@app.post("/orders")
def no_work() -> dict[str, str]:
    return {}
def lambda_handler(event, context):
    return app.resolve(event, context)"""
    ),
}


@dataclass
class _Context:
    function_name: str = "orders-api-create"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:orders-api-create"
    aws_request_id: str = "52fdfc07-2182-454f-963f-5f0f9a621d72"


def _time_interleaved(
    calls: dict[str, Callable[[], object]], requests: int, rounds: int = 10
) -> dict[str, list[float]]:
    """Per-call times (ms), `requests` for each call, taken in rounds that alternate between
    the calls, so that drift on a busy machine hits every one alike."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            for _ in range(max(1, requests // rounds)):
                started = time.perf_counter()
                call()
                samples[name].append((time.perf_counter() - started) * 1000)
    return samples


def _resolve(app: Any, context: Any) -> object:
    return app.resolve(dict(EVENT), context)


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
            placed = handler.lambda_handler(dict(EVENT), context)  # type: ignore[arg-type]
            bare.resolve(dict(EVENT), context)  # type: ignore[arg-type]
            validating.resolve(dict(EVENT), context)  # type: ignore[arg-type]
        assert placed["statusCode"] == 201, placed  # the path measured is the success path
        samples = _time_interleaved(
            {
                "baseline": lambda: bare.resolve(dict(EVENT), context),  # type: ignore[arg-type]
                "baseline_with_validation": lambda: _resolve(validating, context),
                "shipped": lambda: handler.lambda_handler(dict(EVENT), context),  # type: ignore[arg-type]
            },
            requests,
        )
    finally:
        sys.stdout.close()
        sys.stdout = sys.__stdout__
    bootstrap.install(None)
    return {name: summary(times) for name, times in samples.items()}


def warm_breakdown(requests: int) -> dict[str, float]:
    """Median warm invoke (ms) of the shipped handler built up layer by layer, from the
    validating no-op route to the whole handler, each layer measured in the same rounds.

    The layers are peeled off the shipped handler itself (each wrapper keeps `__wrapped__`):
    cors(wire(metrics(logger(resolve)))).
    """
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "OrdersApiBench")
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    from datetime import UTC, datetime
    from typing import Annotated

    from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
    from aws_lambda_powertools.event_handler.openapi.params import Body, Header

    from orders_api.adapters.memory import InMemoryOrderRepository
    from orders_api.domain import NewOrder, Order
    from orders_api.function import bootstrap, handler
    from orders_api.service import OrderService, Placement

    order = Order.place(
        "019597e1-2f4d-7c3a-8e21-5b9d0c4f7a62",
        "customer",
        NewOrder.model_validate_json(EVENT["body"]),
        datetime.now(UTC),
    )
    validating = APIGatewayRestResolver(enable_validation=True)
    signature_only = APIGatewayRestResolver(enable_validation=True)

    @validating.post("/orders")
    def no_work() -> dict[str, str]:
        return {}

    def constant_order(new_order: Any, idempotency_key: Any = None) -> Any:
        return Response(status_code=201, content_type="application/json", body=order)

    # Real objects, not this module's postponed (string) annotations, which name local imports
    # that Powertools could not resolve.
    constant_order.__annotations__ = {
        "new_order": Annotated[NewOrder, Body()],
        "idempotency_key": Annotated[str | None, Header(alias="idempotency-key")],
        "return": Response[Order],
    }
    signature_only.post("/orders")(constant_order)

    class ConstantService:
        def place_order(self, *_: object) -> Placement:
            return Placement(order, created=True)

    real_service = OrderService(InMemoryOrderRepository())
    constant_service = ConstantService()
    with_logger = handler.lambda_handler.__wrapped__.__wrapped__.__wrapped__  # type: ignore[attr-defined]
    with_metrics = handler.lambda_handler.__wrapped__.__wrapped__  # type: ignore[attr-defined]
    context = _Context()

    def our_route_constant_service() -> object:
        bootstrap.install(constant_service)  # type: ignore[arg-type]
        return handler.app.resolve(dict(EVENT), context)  # type: ignore[arg-type]

    def installed(call: Callable[[], object]) -> Callable[[], object]:
        def with_real_service() -> object:
            bootstrap.install(real_service)
            return call()

        return with_real_service

    layers: dict[str, Callable[[], object]] = {
        "validating no-op route": lambda: _resolve(validating, context),
        "+ this route's parameters and typed response (Powertools)": lambda: _resolve(
            signature_only, context
        ),
        "+ the route's own work, constant service": our_route_constant_service,
        "+ the service on in-memory storage": installed(
            lambda: handler.app.resolve(dict(EVENT), context)  # type: ignore[arg-type]
        ),
        "+ logger injection and correlation id": installed(
            lambda: with_logger(dict(EVENT), context)
        ),
        "+ metrics flush (EMF)": installed(lambda: with_metrics(dict(EVENT), context)),
        "+ wire normalisation and CORS (shipped handler)": installed(
            lambda: handler.lambda_handler(dict(EVENT), context)  # type: ignore[arg-type]
        ),
    }
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - EMF lines go to stdout in Lambda too
    try:
        for name, call in layers.items():
            for _ in range(200):
                response = call()
            assert isinstance(response, dict), name
            assert response["statusCode"] in (200, 201), (name, response)
        samples = _time_interleaved(layers, requests)
    finally:
        sys.stdout.close()
        sys.stdout = sys.__stdout__
        bootstrap.install(None)
    return {name: summary(times)["median_ms"] for name, times in samples.items()}


def lambda_like_python() -> Path:
    """The interpreter of the Lambda-only virtualenv the asset test uses (built on first use)."""
    spec = importlib.util.spec_from_file_location(
        "lambda_runtime", ROOT / "tests" / "infra" / "lambda_runtime.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    python: Path = module.lambda_like_python(LAMBDA_VENV_CACHE)
    return python


def lambda_environment(asset: Path) -> dict[str, str]:
    """What the deployed API function's process sees: its variables (infra/functions.py), the
    runtime's region and credentials, and the code asset on the path as /var/task is.

    Lambda's /var/task is read-only, so the asset's modules are compiled from source on every
    cold start; PYTHONDONTWRITEBYTECODE keeps it that way here, run after run.
    """
    from orders_api.deployment.cors_policy import API_CORS
    from orders_api.function.bootstrap import TABLE_NAME

    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(asset),
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_LAMBDA_FUNCTION_NAME": "OrdersApi-create",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "POWERTOOLS_SERVICE_NAME": "orders-api",
        "POWERTOOLS_METRICS_NAMESPACE": "OrdersApiBench",
        TABLE_NAME: "Orders",
        **API_CORS.function_environment(),
    }


def _cold_run(python: Path, program: str, env: dict[str, str], cwd: Path) -> list[float]:
    """[init wall ms, init CPU ms, process CPU ms, peak RSS MB] of one fresh interpreter."""
    output = subprocess.run(
        [str(python), "-c", program], env=env, cwd=cwd, capture_output=True, text=True, check=True
    ).stdout
    *_, usage, init = output.strip().splitlines()
    wall_ms, cpu_ms = (float(value) for value in init.split())
    process_cpu_ms, peak_mb = (float(value) for value in usage.split())
    return [wall_ms, cpu_ms, process_cpu_ms, peak_mb]


_UNCHECKED_HASH = ("--invalidation-mode", "unchecked-hash")
"""Bytecode that does not depend on file times, so that a build is reproducible."""


def cold_start(runs: int) -> dict[str, Any]:
    from infra.asset import stage_runtime_package

    python = lambda_like_python()
    with tempfile.TemporaryDirectory(prefix="bench-lambda-") as scratch:
        workdir = Path(scratch)
        asset = stage_runtime_package(workdir / "asset")
        env = lambda_environment(asset)
        # Once with bytecode written: the layer's and the runtime's caches exist on Lambda.
        for program in COLD_PROGRAMS.values():
            _cold_run(python, program, {**env, "PYTHONDONTWRITEBYTECODE": ""}, workdir)
        stage_runtime_package(asset)  # the asset ships without bytecode
        # What shipping the asset's bytecode would save (infra/asset.py leaves it out today).
        compiled = stage_runtime_package(workdir / "asset-with-bytecode")
        subprocess.run(
            [str(python), "-m", "compileall", "-q", *_UNCHECKED_HASH, str(compiled)],
            check=True,
            capture_output=True,
        )
        variants = {
            **{name: (program, env) for name, program in COLD_PROGRAMS.items()},
            "shipped_with_bytecode": (
                COLD_PROGRAMS["shipped"],
                {**env, "PYTHONPATH": str(compiled)},
            ),
        }
        samples: dict[str, list[list[float]]] = {name: [] for name in variants}
        for _ in range(runs):  # interleaved, so drift on a busy machine hits all alike
            for name, (program, variant_env) in variants.items():
                samples[name].append(_cold_run(python, program, variant_env, workdir))
    result: dict[str, Any] = {"python": str(python)}
    for name, runs_of_program in samples.items():
        result[name] = summary([run[0] for run in runs_of_program])
        result[f"{name}_cpu"] = summary([run[1] for run in runs_of_program])
    shipped = samples["shipped"]
    result["shipped_process_cpu_ms"] = sorted(run[2] for run in shipped)[len(shipped) // 2]
    result["shipped_peak_rss_mb"] = max(run[3] for run in shipped)
    return result


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
        "cold_cpu_ratio": cold["shipped_cpu"]["median_ms"] / cold["baseline_cpu"]["median_ms"],
        "cold_ratio_with_bytecode": cold["shipped_with_bytecode"]["median_ms"]
        / cold["baseline"]["median_ms"],
        "cold_floor_ratio": cold["validating_no_op"]["median_ms"] / cold["baseline"]["median_ms"],
        "targets": TARGETS,
    }
    write_result("lambda", result)
    return result


def _verdict(ratio: float, target: float) -> str:
    return f"<= {target:g}x: {'met' if ratio <= target else 'NOT met'}"


def rows(result: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(figure, this, baseline, ratio, target) for `make bench`'s table."""
    warm, cold = result["warm"], result["cold"]
    targets = result["targets"]
    return [
        (
            "Lambda warm invoke vs validating no-op route",
            f"{warm['shipped']['median_ms']:.3f} ms",
            f"{warm['baseline_with_validation']['median_ms']:.3f} ms",
            f"{result['warm_ratio_to_validating_resolver']:.2f}x",
            _verdict(
                result["warm_ratio_to_validating_resolver"],
                targets["warm_ratio_to_validating_resolver_max"],
            ),
        ),
        (
            "Lambda warm invoke vs bare resolver (reference)",
            f"{warm['shipped']['median_ms']:.3f} ms",
            f"{warm['baseline']['median_ms']:.3f} ms",
            f"{result['warm_ratio']:.2f}x",
            "",
        ),
        (
            "Lambda cold start, Lambda-only venv (import + init)",
            f"{cold['shipped']['median_ms']:.0f} ms",
            f"{cold['baseline']['median_ms']:.0f} ms boto3 only",
            f"{result['cold_ratio']:.2f}x (CPU {result['cold_cpu_ratio']:.2f}x)",
            _verdict(result["cold_ratio"], targets["cold_ratio_max"]),
        ),
        (
            "Lambda cold start of a validating no-op route (floor)",
            f"{cold['validating_no_op']['median_ms']:.0f} ms",
            f"{cold['baseline']['median_ms']:.0f} ms boto3 only",
            f"{result['cold_floor_ratio']:.2f}x",
            "",
        ),
        (
            "Lambda cold start if the asset shipped its bytecode",
            f"{cold['shipped_with_bytecode']['median_ms']:.0f} ms",
            f"{cold['baseline']['median_ms']:.0f} ms boto3 only",
            f"{result['cold_ratio_with_bytecode']:.2f}x",
            "",
        ),
        (
            "Lambda init CPU / peak RSS",
            f"{cold['shipped_process_cpu_ms']:.0f} ms / {cold['shipped_peak_rss_mb']:.0f} MB",
            "",
            "",
            "memory sizes, SnapStart: orders-api cost --lambda-options",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--cold-runs", type=int, default=10)
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="only the warm invoke, layer by layer (what each part of the handler costs)",
    )
    arguments = parser.parse_args()
    if arguments.breakdown:
        layers = warm_breakdown(arguments.requests)
        floor = next(iter(layers.values()))
        previous = 0.0
        for name, median_ms in layers.items():
            print(
                f"{name:58s} {median_ms * 1000:7.1f} us  +{(median_ms - previous) * 1000:6.1f}"
                f"  {median_ms / floor:5.2f}x"
            )
            previous = median_ms
        return
    result = run(arguments.requests, arguments.cold_runs)
    for figure, measured, baseline, ratio, target in rows(result):
        print(f"{figure}: {measured} vs {baseline or '-'} -> {ratio or '-'} {target}")


if __name__ == "__main__":
    main()

"""The Lambda code asset: the folders of the `orders_api` package that Lambda runs, nothing else.

What Lambda runs is named by the layout: `domain/` (the order and its rules), `service.py`
(the use cases), `adapters/` (storage) and `function/` (the handler and its wiring). The twin,
the CLI, the cost model and the data about AWS (`deployment/`) are never imported on Lambda and
are left out. Powertools and pydantic come from the Powertools layer, boto3 from the Lambda
runtime. A test runs this asset in a virtualenv holding only those.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import orders_api

PACKAGE = "orders_api"
HANDLER = "orders_api.function.handler.lambda_handler"
"""The API's handler: API Gateway proxy events, for the create and read functions."""
FULFIL_HANDLER = "orders_api.function.fulfil.lambda_handler"
"""Operators' status changes (`{"orderId": ..., "status": ...}`), invoked directly."""
EVENTS_HANDLER = "orders_api.function.order_events.lambda_handler"
"""The event pipes' enrichment: a batch of DynamoDB stream records in, the orders out."""

RUNTIME_PARTS: tuple[str, ...] = (
    "__init__.py",
    "py.typed",
    "domain",
    "service.py",
    "adapters",
    "function",
)
"""Paths inside the package that Lambda runs; directories are copied whole, minus caches."""

PACKAGE_SOURCE = Path(orders_api.__file__).parent


def stage_runtime_package(destination: Path, source: Path = PACKAGE_SOURCE) -> Path:
    """Copy the runtime parts into `destination/orders_api` (emptied first); return `destination`.

    The copy is deterministic (no bytecode caches), so the asset hash changes only when the
    shipped code does.
    """
    if destination.exists():
        shutil.rmtree(destination)
    package = destination / PACKAGE
    package.mkdir(parents=True)
    for part in RUNTIME_PARTS:
        origin = source / part
        if origin.is_dir():
            shutil.copytree(
                origin, package / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copy2(origin, package / part)
    return destination

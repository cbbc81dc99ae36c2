"""The Lambda code asset: the runtime parts of the `orders_api` package, and nothing else.

The handler imports the domain, the service, the repositories, the wiring and the response
mapping; the local twin (`edge`), the CLI, the cost model and the deployment data are never
imported on Lambda and are left out. Powertools and pydantic come from the Powertools layer,
boto3 from the Lambda runtime. A test runs this asset in a virtualenv holding only those.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import orders_api

PACKAGE = "orders_api"
HANDLER = "orders_api.handler.lambda_handler"

RUNTIME_PARTS: tuple[str, ...] = (
    "__init__.py",
    "py.typed",
    "domain",
    "adapters",
    "ids.py",
    "service.py",
    "bootstrap.py",
    "identity.py",
    "responses.py",
    "cors_headers.py",
    "handler.py",
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

"""Shared test setup: markers follow the folder a test lives in; AWS never gets real credentials."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.paths import TESTS

_FOLDER_MARKERS = {"unit", "contract", "e2e", "infra", "security"}

# No test may reach real AWS: fake credentials and a fixed region for boto3 everywhere.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_SESSION_TOKEN", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "OrdersApiTests")
for _variable in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
    os.environ.pop(_variable, None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        relative = Path(str(item.fspath)).relative_to(TESTS)
        if relative.parts and relative.parts[0] in _FOLDER_MARKERS:
            item.add_marker(getattr(pytest.mark, relative.parts[0]))

"""The reliability suite: the log-hygiene scan runs after every other test of the session."""

from __future__ import annotations

import pytest

HYGIENE_MODULE = "test_log_hygiene.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the log-hygiene scan to the end: it reads what the rest of the session logged."""
    last = [item for item in items if item.path.name == HYGIENE_MODULE]
    if last:
        moved = {id(item) for item in last}
        items[:] = [item for item in items if id(item) not in moved] + last

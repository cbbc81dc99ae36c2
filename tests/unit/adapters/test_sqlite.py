"""The SQLite file holds customers' addresses: only its owner may read it, however it came to be."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

from orders_api.adapters.sqlite import SQLiteOrderRepository
from orders_api.domain import Order
from tests.fakes import TWO_MUGS

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_in_an_existing_folder_is_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "existing"
    folder.mkdir(mode=0o755)
    repository = SQLiteOrderRepository(folder / "orders.sqlite3")
    try:
        repository.insert(Order.place("o-1", "c-1", TWO_MUGS, NOW))
    finally:
        repository.close()
    assert mode(folder / "orders.sqlite3") == 0o600
    for companion in folder.glob("orders.sqlite3-*"):
        assert mode(companion) == 0o600, companion.name


def test_a_database_left_readable_by_others_is_made_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "orders.sqlite3"
    SQLiteOrderRepository(path).close()
    path.chmod(0o644)
    SQLiteOrderRepository(path).close()
    assert mode(path) == 0o600

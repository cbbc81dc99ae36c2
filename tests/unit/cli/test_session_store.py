"""The client's cached sessions: files only their owner can read."""

from __future__ import annotations

import stat
from pathlib import Path

from orders_api.cli.api_client import Session, SessionStore, StackOutputs

OUTPUTS = StackOutputs(
    api_url="http://127.0.0.1:3000/v1/",
    user_pool_id="us-east-1_AbC123xYz",
    client_id="abcdefghijklmnopqrstuvwxyz",
    region="us-east-1",
)
SESSION = Session("ada@example.com", "id.token.sig", "access.token.sig", "refresh", 2e9)


def test_a_saved_session_is_private_even_over_a_leftover_readable_temporary_file(
    tmp_path: Path,
) -> None:
    store = SessionStore(OUTPUTS, tmp_path)
    leftover = store.path.with_suffix(".tmp")
    leftover.write_text("{}")
    leftover.chmod(0o644)

    store.save(SESSION)

    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.load() == SESSION
    assert {p.name for p in tmp_path.iterdir()} == {store.path.name, leftover.name}

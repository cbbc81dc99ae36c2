"""One twin per data folder: the second is refused with who holds the folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orders_api.twin.lock import LOCK_FILE, DataFolderLock
from orders_api.twin.options import TwinStartupError


def test_a_second_holder_is_refused_naming_the_first(tmp_path: Path) -> None:
    with DataFolderLock(tmp_path) as first:
        first.describe_holder("http://127.0.0.1:3000/prod/")
        with pytest.raises(TwinStartupError) as refused:
            DataFolderLock(tmp_path).acquire()
    message = str(refused.value)
    assert f"already running on the data folder {tmp_path}" in message
    assert f"pid {os.getpid()}" in message
    assert "API http://127.0.0.1:3000/prod/" in message
    assert "--data-dir OTHER --port 3001 --idp-port 9230" in message


def test_the_folder_is_free_again_once_released(tmp_path: Path) -> None:
    DataFolderLock(tmp_path).acquire().release()
    again = DataFolderLock(tmp_path).acquire()
    again.release()
    assert oct((tmp_path / LOCK_FILE).stat().st_mode & 0o777) == oct(0o600)


def test_the_file_limit_is_raised_for_both_servers_and_never_lowered() -> None:
    import resource

    from orders_api.twin.run import API_CONNECTIONS, IDP_CONNECTIONS, raise_file_limit

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        in_force = raise_file_limit()
        assert in_force >= min(API_CONNECTIONS + IDP_CONNECTIONS, hard)
        assert in_force >= soft
        assert raise_file_limit(needed=16) == in_force, "never lowered"
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

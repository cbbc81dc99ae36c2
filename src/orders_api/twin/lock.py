"""One twin per data folder: an advisory lock on `<data-dir>/twin.lock`, held while it runs.

Two twins on one folder would share the SQLite file and the identity provider's store and
overwrite each other's outputs.json, leaving the CLI to talk to whichever stopped last. The
lock is the kernel's (flock), so it goes with the process however that ends: a SIGKILL leaves
no stale lock behind. The file says who holds it, for the second twin's error message.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from orders_api.twin.options import TwinStartupError

LOCK_FILE = "twin.lock"


class DataFolderLock:
    """Held from `acquire` until `release` (or the process's end)."""

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / LOCK_FILE
        self._descriptor: int | None = None

    def acquire(self) -> DataFolderLock:
        """Take the lock; TwinStartupError naming the running twin when another holds it."""
        descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _describe(descriptor)
            os.close(descriptor)
            raise TwinStartupError(
                f"another twin is already running on the data folder {self._path.parent}"
                f"{holder}. Stop it first (Ctrl-C in its terminal), or give this one a folder "
                "and ports of its own: --data-dir OTHER --port 3001 --idp-port 9230"
            ) from None
        self._descriptor = descriptor
        self.describe_holder(None)
        return self

    def describe_holder(self, api_url: str | None) -> None:
        """Record who holds the lock, for a twin that finds the folder taken."""
        if self._descriptor is None:
            return
        record = json.dumps({"pid": os.getpid(), "apiUrl": api_url}).encode()
        os.ftruncate(self._descriptor, 0)
        os.pwrite(self._descriptor, record, 0)

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)  # closing the descriptor releases the flock
            self._descriptor = None

    def __enter__(self) -> DataFolderLock:
        return self.acquire()

    def __exit__(self, *_: object) -> None:
        self.release()


def _describe(descriptor: int) -> str:
    try:
        holder = json.loads(os.pread(descriptor, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return ""
    if not isinstance(holder, dict):
        return ""
    parts = [f"pid {holder['pid']}" if holder.get("pid") else ""]
    parts.append(f"API {holder['apiUrl']}" if holder.get("apiUrl") else "")
    described = ", ".join(part for part in parts if part)
    return f" ({described})" if described else ""

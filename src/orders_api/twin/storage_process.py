"""The twin's storage service (`storage_service.py`) in a process of its own, as DynamoDB is a
service of its own: `python -m orders_api.twin.storage_process`.

The process holds the twin's SQLite repository (its group commits shared by every execution
environment) and serves one socket per environment. The twin hands it each environment's socket
over a control socket (SCM_RIGHTS, no path on disk: nothing else on the machine can connect),
so the storage calls never cross the twin's own process: its interpreter lock is the front's.

Lifecycle: the process answers on the control socket once the file is open (or says why not,
and the twin refuses to start); it ends when the control socket closes, which happens when the
twin closes it after its environments stopped, or when the twin dies (SIGKILL included), after
its open channels close. If the process dies, the twin starts another (`generation` counts
them) and its environments, which held channels to the dead one, are replaced by fresh ones.
An acknowledged write was committed before its answer, whichever process is killed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from orders_api.twin.awslambda.wire import ChannelClosed, read_message, write_message

CONTROL_FD = "ORDERS_TWIN_STORAGE_CONTROL_FD"
DATABASE = "ORDERS_TWIN_STORAGE_DATABASE"
START_SECONDS = 30.0
"""How long the twin waits for the process to open the database (a migration included)."""
DRAIN_SECONDS = 10.0
"""How long the process, its control socket closed, waits for open channels to close."""

logger = logging.getLogger(__name__)


class StorageStartError(Exception):
    """The storage process could not open the database; the message says why."""


class StorageProcess:
    """The twin's handle on its storage process: `open_channel` for each new environment."""

    def __init__(self, database: Path, python: str = sys.executable) -> None:
        self._database = database
        self._python = python
        self._lock = threading.Lock()
        self._closing = False
        self.generation = 0
        self._process, self._control = self._start()
        self._watcher = threading.Thread(target=self._watch, name="storage-watch", daemon=True)
        self._watcher.start()

    def open_channel(self) -> int:
        """A socket to the storage process for a new environment (the caller owns it)."""
        ours, theirs = socket.socketpair()
        try:
            with self._lock:
                socket.send_fds(self._control, [b"c"], [ours.fileno()])
        except OSError as exc:
            theirs.close()
            raise ChannelClosed(f"the storage process is gone: {exc}") from exc
        finally:
            ours.close()
        return theirs.detach()

    @property
    def pid(self) -> int:
        return self._process.pid

    def close(self) -> None:
        """Stop the process once its channels are closed; call after the environments stop."""
        with self._lock:
            self._closing = True
            self._control.close()
        try:
            self._process.wait(timeout=DRAIN_SECONDS + 5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)

    def _start(self) -> tuple[subprocess.Popen[bytes], socket.socket]:
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [self._python, "-m", "orders_api.twin.storage_process"],
                stdin=subprocess.DEVNULL,
                env={
                    **os.environ,
                    CONTROL_FD: str(theirs.fileno()),
                    DATABASE: str(self._database),
                },
                pass_fds=(theirs.fileno(),),
            )
        finally:
            theirs.close()
        try:
            answer = read_message(ours.fileno(), time.monotonic() + START_SECONDS)
        except Exception as exc:
            process.kill()
            process.wait(timeout=10)
            ours.close()
            raise StorageStartError(f"the storage process did not start: {exc}") from exc
        if answer.get("error"):
            process.wait(timeout=10)
            ours.close()
            raise StorageStartError(str(answer["error"]))
        return process, ours

    def _watch(self) -> None:
        while True:
            code = self._process.wait()
            with self._lock:
                if self._closing:
                    return
                logger.error("the storage process exited (%s); starting another", code)
                self._control.close()
                try:
                    self._process, self._control = self._start()
                except StorageStartError:
                    logger.exception("the storage process could not be restarted")
                    return
                self.generation += 1


def main() -> int:
    """The process: open the database, answer ready, serve each socket the twin sends."""
    from orders_api.adapters.sqlite import SQLiteOrderRepository
    from orders_api.twin.storage_service import StorageService

    # Ctrl-C reaches the terminal's whole process group; the twin stops this process itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    control = socket.socket(fileno=int(os.environ[CONTROL_FD]))
    try:
        repository = SQLiteOrderRepository(os.environ[DATABASE])
    except Exception as exc:  # whatever it is, the twin must say it and not start
        write_message(control.fileno(), {"error": f"cannot open the orders database: {exc}"})
        return 1
    service = StorageService(repository)
    serving: list[threading.Thread] = []
    write_message(control.fileno(), {"ready": True})
    try:
        while True:
            message, descriptors, _flags, _address = socket.recv_fds(control, 1, 1)
            if not message:
                break
            for descriptor in descriptors:
                serving.append(service.serve(descriptor, descriptor))
            serving = [thread for thread in serving if thread.is_alive()]
    finally:
        deadline = time.monotonic() + DRAIN_SECONDS
        for thread in serving:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        with contextlib.suppress(Exception):
            repository.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

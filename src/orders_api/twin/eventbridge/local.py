"""The twin's order events, assembled: change log -> pipe (with the enrichment) -> bus, in a
process of its own (`worker.py`)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from orders_api.twin.eventbridge.bus import EVENTS_FILE
from orders_api.twin.options import TwinOptions

STOP_SECONDS = 15.0
"""How long the pipe may take to publish what is left when the twin stops."""


@contextlib.contextmanager
def order_events_pipe(
    options: TwinOptions,
    database: Path,
    *,
    account: str,
) -> Iterator[Path]:
    """The pipe from the SQLite database's change log, running in its own process
    (`worker.py`) until the block ends; then it publishes what is logged and stops. Yields the
    path of the events log."""
    region = options.settings.region
    command = [
        sys.executable,
        "-m",
        "orders_api.twin.eventbridge.worker",
        "--database",
        str(database),
        "--data-dir",
        str(options.data_dir),
        "--region",
        region,
        "--account",
        account,
        "--stream-arn",
        f"arn:aws:dynamodb:{region}:{account}:table/{options.settings.stack_name}"
        "-orders/stream/local",
    ]
    if options.orders_email:
        command += ["--orders-email", options.orders_email]
    if options.events_webhook:
        command += ["--webhook", options.events_webhook]
    worker = subprocess.Popen(command, stdin=subprocess.PIPE)  # noqa: S603 - our own module
    try:
        yield options.data_dir / EVENTS_FILE
    finally:
        if worker.stdin is not None:
            worker.stdin.close()
        try:
            worker.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=STOP_SECONDS)

"""The order events pipe in a process of its own: `python -m orders_api.twin.eventbridge.worker`.

Reading the change log, enriching and logging events is work the twin's front need not share
its interpreter lock with; this process does it beside the twin, as Pipes runs beside the API.
It publishes until its standard input closes (the twin is stopping), then publishes what is
left and exits. Its event lines go to standard output, which it shares with the twin.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from orders_api.adapters.sqlite_changes import ChangeLog
from orders_api.twin.eventbridge.bus import EventBus
from orders_api.twin.eventbridge.pipe import PIPE_NAME, OrderEventsPipe


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="orders-api-events")
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--account", required=True)
    parser.add_argument("--stream-arn", required=True)
    parser.add_argument("--orders-email")
    parser.add_argument("--webhook")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    # Ctrl-C reaches the terminal's whole process group; the twin decides when this one ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from orders_api.function import order_events

    arguments = _arguments(argv)

    def log(line: str) -> None:
        print(f"[events] {line}", flush=True)

    change_log = ChangeLog(arguments.database, PIPE_NAME)
    bus = EventBus(
        arguments.data_dir,
        region=arguments.region,
        account=arguments.account,
        log=log,
        orders_email=arguments.orders_email,
        webhook=arguments.webhook,
    )
    pipe = OrderEventsPipe(
        change_log,
        bus,
        order_events.enrich,
        region=arguments.region,
        stream_arn=arguments.stream_arn,
    )
    pipe.start()
    stopping = threading.Event()

    def wait_for_the_end_of_input() -> None:
        sys.stdin.buffer.read()
        stopping.set()

    threading.Thread(target=wait_for_the_end_of_input, daemon=True).start()
    try:
        stopping.wait()
    finally:
        pipe.close()
        bus.close()
        change_log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

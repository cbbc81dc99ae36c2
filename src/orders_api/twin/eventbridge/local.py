"""The twin's order events, assembled: change log -> pipe (with the enrichment) -> bus."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

from orders_api.adapters.sqlite_changes import ChangeLog
from orders_api.twin.eventbridge.bus import EventBus
from orders_api.twin.eventbridge.pipe import PIPE_NAME, OrderEventsPipe
from orders_api.twin.options import TwinOptions


@contextlib.contextmanager
def order_events_pipe(
    options: TwinOptions,
    database: Path,
    *,
    account: str,
    log: Callable[[str], None],
) -> Iterator[OrderEventsPipe]:
    """The running pipe from the SQLite database's change log; on exit it publishes what is
    logged and stops."""
    # Imported here, as the handler is: after the twin has set the function's log level.
    from orders_api.function import order_events

    region = options.settings.region
    change_log = ChangeLog(database, PIPE_NAME)
    bus = EventBus(
        options.data_dir,
        region=region,
        account=account,
        log=log,
        orders_email=options.orders_email,
        webhook=options.events_webhook,
    )
    pipe = OrderEventsPipe(
        change_log,
        bus,
        order_events.enrich,
        region=region,
        stream_arn=(
            f"arn:aws:dynamodb:{region}:{account}:table/{options.settings.stack_name}"
            f"-orders/stream/local"
        ),
    )
    pipe.start()
    try:
        yield pipe
    finally:
        pipe.close()
        bus.close()
        change_log.close()

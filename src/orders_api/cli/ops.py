"""`orders-api ops`: the business's commands. List every customer's orders, ship or cancel
one, and follow the events that tell of them.

They work against the twin (its data folder, found through its outputs.json as every command
finds it) and against a deployed stack (`--outputs` naming its outputs; the operator's own AWS
credentials, which the stack's operators group entitles to exactly this). See `fulfilment.py`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console

from orders_api.cli.api_client import ClientProblem, StackOutputs
from orders_api.cli.customer import common_arguments, orders_table, shown
from orders_api.cli.fulfilment import fulfilment_for
from orders_api.domain import OrderStatus

_console = Console(soft_wrap=True)
_errors = Console(stderr=True, soft_wrap=True)
FOLLOW_POLL_SECONDS = 0.5

AWS_EVENTS_ADVICE = (
    "on AWS the bus keeps no events to tail: add a rule on the bus {bus} that sends them "
    "where you can read them (a CloudWatch Logs group, an SQS queue), or start an archive; "
    "docs/deploy.md shows how a fulfilment system subscribes"
)


def register(subparsers: Any) -> None:
    common = common_arguments()  # a deployed stack's outputs: your AWS credentials are used
    ops = subparsers.add_parser("ops", help="the business's commands: orders and events")
    groups = ops.add_subparsers(dest="ops_group", required=True, metavar="GROUP")

    orders = groups.add_parser("orders", help="every customer's orders")
    commands = orders.add_subparsers(dest="ops_command", required=True, metavar="COMMAND")
    listing = commands.add_parser(
        "list", parents=[common], help="list orders, newest first, by status and date"
    )
    listing.add_argument(
        "--status",
        action="append",
        type=_status,
        metavar="STATUS",
        help="PLACED, SHIPPED or CANCELLED; repeat for more (default: all)",
    )
    listing.add_argument(
        "--since", type=_moment, metavar="DATE", help="created on or after (YYYY-MM-DD or ISO)"
    )
    listing.add_argument(
        "--limit", type=_count, default=50, metavar="N", help="at most N (default: %(default)s)"
    )
    listing.set_defaults(handler=_guarded(_list))
    for name, status, summary in (
        ("ship", OrderStatus.SHIPPED, "mark a placed order shipped"),
        ("cancel", OrderStatus.CANCELLED, "cancel a placed order"),
    ):
        command = commands.add_parser(name, parents=[common], help=summary)
        command.add_argument("order_id", metavar="ORDER_ID")
        command.set_defaults(handler=_guarded(_change_status), status=status)

    events = groups.add_parser("events", help="the order events")
    event_commands = events.add_subparsers(dest="ops_command", required=True, metavar="COMMAND")
    tail = event_commands.add_parser(
        "tail", parents=[common], help="print the twin's order events (events.jsonl)"
    )
    tail.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    tail.add_argument(
        "--lines", "-n", type=_count, default=20, metavar="N", help="the last N (default: 20)"
    )
    tail.set_defaults(handler=_guarded(_tail))


def _status(text: str) -> OrderStatus:
    try:
        return OrderStatus(text.upper())
    except ValueError:
        choices = ", ".join(OrderStatus)
        raise argparse.ArgumentTypeError(f"expected one of {choices}, not {text!r}") from None


def _moment(text: str) -> datetime:
    try:
        moment = (
            datetime.combine(date.fromisoformat(text), datetime.min.time())
            if len(text) == 10
            else datetime.fromisoformat(text)
        )
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected YYYY-MM-DD or an ISO time, not {text!r}"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _count(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError("expected a whole number from 1 to 1000")
    return int(text)


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(arguments: argparse.Namespace) -> int:
        try:
            return command(arguments)
        except ClientProblem as problem:
            _errors.print(f"[red]error:[/red] {shown(problem)}", highlight=False)
            return 1

    return run


def _list(arguments: argparse.Namespace) -> int:
    statuses = arguments.status or list(OrderStatus)
    with fulfilment_for(StackOutputs.load(arguments.outputs)) as fulfilment:
        orders = fulfilment.list_orders(statuses, arguments.since, arguments.limit)
    listed = [order.to_api() for order in orders]
    if arguments.json:
        print(json.dumps(listed))
        return 0
    _console.print(orders_table(listed, "Orders, newest first", customers=True))
    return 0


def _change_status(arguments: argparse.Namespace) -> int:
    status: OrderStatus = arguments.status
    with fulfilment_for(StackOutputs.load(arguments.outputs)) as fulfilment:
        answer = fulfilment.change_status(arguments.order_id, status)
    if arguments.json:
        print(json.dumps(answer))
    if answer.get("statusCode") != 200:
        if not arguments.json:
            _errors.print(f"[red]error:[/red] {shown(answer.get('message'))}", highlight=False)
        return 1
    if not arguments.json:
        verb = "is now" if answer.get("changed") else "was already"
        _console.print(
            shown(
                f"Order {answer.get('orderId')} {verb} {answer.get('status')} "
                f"(since {answer.get('statusChangedAt')})."
            )
        )
    return 0


def _tail(arguments: argparse.Namespace) -> int:
    outputs = StackOutputs.load(arguments.outputs)
    if not outputs.is_local:
        raise ClientProblem(AWS_EVENTS_ADVICE.format(bus=outputs.event_bus_name))
    if not outputs.event_bus_name:
        raise ClientProblem(
            "this twin writes no events (it stores orders with --dynamodb-endpoint, whose "
            "local server has no streams)"
        )
    path = Path(outputs.event_bus_name)
    if not path.is_file() and outputs.source is not None:
        path = outputs.source.parent / path.name
    for line in _lines(path, arguments.lines, arguments.follow):
        _print_event(line, arguments.json, sys.stdout)
    return 0


def _lines(path: Path, last: int, follow: bool) -> Iterator[str]:
    """The last `last` lines of the file, then (following) each new one as it is written."""
    if not path.exists():
        if not follow:
            return
        _errors.print(f"no events yet; waiting for {path}", highlight=False)
        while not path.exists():
            time.sleep(FOLLOW_POLL_SECONDS)
    with path.open(encoding="utf-8") as events:
        yield from events.read().splitlines()[-last:]
        while follow:
            line = events.readline()
            if line.endswith("\n"):
                yield line.rstrip("\n")
            else:
                time.sleep(FOLLOW_POLL_SECONDS)


def _print_event(line: str, as_json: bool, out: TextIO) -> None:
    if as_json:
        print(line, file=out, flush=True)
        return
    try:
        event = json.loads(line)
        detail = event["detail"]
        text = (
            f"{event['time']}  {event['detail-type']:<18}  {detail.get('orderId')}  "
            f"{detail.get('status')}"
        )
    except (ValueError, KeyError, TypeError):
        text = f"(unreadable line) {line[:80]}"
    _console.print(shown(text), highlight=False)

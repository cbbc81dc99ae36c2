"""`orders-api users create`, `login`, `logout`, `orders place|get|list`: the API's client.

The same commands work against the local twin (its `.orders-api/outputs.json`, the default)
and a deployed stack (`--outputs cdk-outputs.json`, or ORDERS_API_OUTPUTS). People get tables;
`--json` prints the API's JSON for scripts. Passwords are never taken from the command line,
where other local users can read them: a prompt, or `--password-stdin`.
"""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from orders_api.cli.api_client import (
    ApiError,
    ApiResponse,
    ClientProblem,
    IdentityClient,
    OrdersClient,
    SessionStore,
    StackOutputs,
)

_console = Console(soft_wrap=True)
_errors = Console(stderr=True, soft_wrap=True)


def common_arguments() -> argparse.ArgumentParser:
    """`--outputs` and `--json`, as every command that talks to a stack takes them."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--outputs",
        type=Path,
        metavar="FILE",
        help="stack outputs: the twin's outputs.json (default: $ORDERS_API_OUTPUTS or "
        ".orders-api/outputs.json), a `cdk deploy --outputs-file` file or describe-stacks JSON",
    )
    common.add_argument("--json", action="store_true", help="print JSON instead of tables")
    return common


def register(subparsers: Any) -> None:
    common = common_arguments()

    users = subparsers.add_parser("users", help="manage the user pool's users")
    users_commands = users.add_subparsers(dest="users_command", required=True, metavar="COMMAND")
    create = users_commands.add_parser(
        "create",
        parents=[common],
        help="create a confirmed user (AdminCreateUser; on AWS needs the operators' rights)",
    )
    create.add_argument("email")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    create.set_defaults(handler=_guarded(_create_user))

    login = subparsers.add_parser(
        "login",
        parents=[common],
        help="sign in (SRP: the password is never sent) and cache the tokens",
    )
    login.add_argument("email")
    login.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    login.add_argument(
        "--password-auth",
        action="store_true",
        help="sign in with USER_PASSWORD_AUTH (the password sent over TLS) instead of SRP",
    )
    login.set_defaults(handler=_guarded(_login))

    logout = subparsers.add_parser("logout", parents=[common], help="forget the cached tokens")
    logout.set_defaults(handler=_guarded(_logout))

    orders = subparsers.add_parser("orders", help="place and read orders")
    orders_commands = orders.add_subparsers(dest="orders_command", required=True, metavar="COMMAND")
    place = orders_commands.add_parser("place", parents=[common], help="place an order")
    place.add_argument(
        "--item",
        dest="items",
        action="append",
        required=True,
        type=_item,
        metavar="SKU=QTY",
        help="a line item; repeat for more",
    )
    place.add_argument("--note", help="a note for the order")
    place.add_argument(
        "--idempotency-key",
        metavar="KEY",
        help="retrying with the same key returns the first order instead of a new one",
    )
    place.set_defaults(handler=_guarded(_place))
    get = orders_commands.add_parser("get", parents=[common], help="show one of your orders")
    get.add_argument("order_id", metavar="ORDER_ID")
    get.set_defaults(handler=_guarded(_get))
    listing = orders_commands.add_parser(
        "list", parents=[common], help="list your orders, newest first"
    )
    listing.add_argument(
        "--limit",
        type=_count,
        default=20,
        metavar="N",
        help="how many of the newest to show, 1-1000 (default: %(default)s)",
    )
    listing.set_defaults(handler=_guarded(_list))


def _item(text: str) -> tuple[str, int]:
    sku, separator, quantity = text.partition("=")
    if not separator or not sku or not quantity.isdigit():
        raise argparse.ArgumentTypeError(f"expected SKU=QUANTITY, like MUG-01=2, not {text!r}")
    return sku, int(quantity)


def _count(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_LISTED:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to {MAX_LISTED}")
    return int(text)


MAX_LISTED = 1000
API_PAGE_SIZE = 100


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Problems the user can fix become one clear line on stderr and exit status 1."""

    def run(arguments: argparse.Namespace) -> int:
        try:
            return command(arguments)
        except ApiError as error:
            if arguments.json:
                print(json.dumps({"status": error.status, "body": error.body}), file=sys.stderr)
            else:
                _errors.print(f"[red]error:[/red] {error}{_advice(error)}", highlight=False)
            return 1
        except ClientProblem as problem:
            _errors.print(f"[red]error:[/red] {problem}", highlight=False)
            return 1

    return run


WAF_BLOCK_ADVICE = (
    " (the web ACL blocked the request: on the local twin, `orders-api waf stats` names the "
    "rule; on AWS, the web ACL's sampled requests in the WAF console do)"
)


def _advice(error: ApiError) -> str:
    if error.status == 401:
        return " (log in again with `orders-api login EMAIL`)"
    if error.status == 403 and error.message == "Forbidden":
        return WAF_BLOCK_ADVICE
    if error.status == 400 and error.message == "Invalid request body":
        return (
            " (API Gateway's request model refused the order: SKUs are upper-case letters, "
            "digits and dashes, quantities 1-999, a note at most 500 characters)"
        )
    if error.status == 429:
        wait = error.retry_after_seconds
        return f" (rate limited: retry in {wait} s)" if wait is not None else " (rate limited)"
    if error.status == 422 and isinstance(error.body, dict):
        fields = "; ".join(
            f"{e.get('field')}: {e.get('message')}" for e in error.body.get("errors", [])
        )
        return f" ({fields})" if fields else ""
    return ""


def _password(arguments: argparse.Namespace, confirm: bool) -> str:
    if arguments.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise ClientProblem("no password on standard input (--password-stdin reads one line)")
        return password
    if not sys.stdin.isatty():
        raise ClientProblem(
            "the password is asked at a prompt, and standard input is not a terminal "
            "(to pipe it in, add --password-stdin)"
        )
    try:
        password = getpass.getpass("Password: ")
        if confirm and getpass.getpass("Password (again): ") != password:
            raise ClientProblem("the passwords differ")
    except EOFError:
        raise ClientProblem("no password: the input ended (Ctrl-D) before one was typed") from None
    if not password:
        raise ClientProblem("empty password")
    return password


def expiry_text(timestamp: float) -> str:
    """A moment a person can place: date, time and time zone, in the local zone."""
    return time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(timestamp))


def _create_user(arguments: argparse.Namespace) -> int:
    outputs = StackOutputs.load(arguments.outputs)
    password = _password(arguments, confirm=True)
    sub = IdentityClient(outputs).create_user(arguments.email, password)
    if arguments.json:
        print(json.dumps({"username": arguments.email, "sub": sub}))
    else:
        _console.print(
            f"Created user [bold]{arguments.email}[/bold] (sub {sub}). "
            f"Next: orders-api login {arguments.email}",
            highlight=False,
        )
    return 0


def _login(arguments: argparse.Namespace) -> int:
    outputs = StackOutputs.load(arguments.outputs)
    password = _password(arguments, confirm=False)
    session = IdentityClient(outputs).sign_in(
        arguments.email, password, srp=not arguments.password_auth
    )
    store = SessionStore(outputs)
    replaced = store.load()
    store.save(session)
    if replaced is not None and replaced.username.lower() != session.username.lower():
        _errors.print(
            f"note: this replaces {replaced.username}'s session (one session per user pool; "
            "`orders-api whoami` tells whose it is)",
            highlight=False,
        )
    until = expiry_text(session.expires_at)
    if arguments.json:
        print(json.dumps({"username": session.username, "expiresAt": int(session.expires_at)}))
    else:
        _console.print(
            f"Logged in as [bold]{session.username}[/bold]; ID token valid until {until} "
            "and refreshed automatically.",
            highlight=False,
        )
    return 0


def _logout(arguments: argparse.Namespace) -> int:
    outputs = StackOutputs.load(arguments.outputs)
    forgotten = SessionStore(outputs).clear()
    if not arguments.json:
        _console.print("Logged out." if forgotten else "Not logged in.")
    return 0


def _place(arguments: argparse.Namespace) -> int:
    client = OrdersClient(StackOutputs.load(arguments.outputs))
    response = client.place(
        arguments.items, note=arguments.note, idempotency_key=arguments.idempotency_key
    )
    title = "Order placed" if response.status == 201 else "Order already placed with this key"
    return _show(response, arguments.json, title)


def _get(arguments: argparse.Namespace) -> int:
    if not arguments.order_id.strip():
        raise ClientProblem("ORDER_ID is empty: give the id that `orders-api orders place` printed")
    client = OrdersClient(StackOutputs.load(arguments.outputs))
    return _show(client.get(arguments.order_id), arguments.json, "Order")


def _list(arguments: argparse.Namespace) -> int:
    client = OrdersClient(StackOutputs.load(arguments.outputs))
    orders: list[dict[str, Any]] = []
    token: str | None = None
    while len(orders) < arguments.limit:
        page = client.list(min(API_PAGE_SIZE, arguments.limit - len(orders)), token).body
        orders += page.get("orders", [])
        token = page.get("nextToken")
        if not token:
            break
    if arguments.json:
        print(json.dumps(orders))
        return 0
    _console.print(orders_table(orders, "Your orders, newest first"))
    if token:
        _console.print(f"(the newest {len(orders)}; --limit N shows more)", highlight=False)
    return 0


def orders_table(orders: list[dict[str, Any]], title: str, *, customers: bool = False) -> Table:
    """Orders as rows a person reads: id, status, when, what (and whose, for the business)."""
    table = Table(title=title, title_justify="left")
    for column in ("Order id", "Status", "Created", "Items", *(["Customer"] if customers else [])):
        table.add_column(column)
    for order in orders:
        items = ", ".join(f"{i.get('quantity')} x {i.get('sku')}" for i in order.get("items", []))
        row = [order.get("orderId"), order.get("status"), order.get("createdAt"), items]
        if customers:
            row.append(order.get("customerId"))
        table.add_row(*(shown(value) for value in row))
    if not orders:
        table.caption = "no orders"
    return table


def _show(response: ApiResponse, as_json: bool, title: str) -> int:
    order = response.body
    if as_json:
        print(json.dumps(order))
        return 0
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Order id", shown(order.get("orderId")))
    table.add_row("Status", shown(order.get("status")))
    table.add_row("Created", shown(order.get("createdAt")))
    for index, item in enumerate(order.get("items", [])):
        line = shown(f"{item.get('quantity')} x {item.get('sku')}")
        table.add_row("Items" if index == 0 else "", line)
    if order.get("note"):
        table.add_row("Note", shown(order["note"]))
    _console.print(table)
    return 0


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def shown(value: object) -> Text:
    """A value from the API as inert terminal text: control characters (a terminal escape
    sequence starts with one) written as \\xNN, and no rich markup read into it."""
    text = _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", str(value))
    return Text(text)

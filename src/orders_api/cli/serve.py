"""`orders-api serve`: run the local twin (API, authorizer, identity provider, storage)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from orders_api.cli import waf
from orders_api.twin.options import DEFAULT_DATA_DIR, TwinOptions, TwinStartupError
from orders_api.twin.run import run


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="run the local twin of the whole request path",
        description=(
            "Run the API (API Gateway semantics, Cognito authorizer, the Lambda handler) and a "
            "Cognito-compatible identity provider on this machine. Writes DATA_DIR/outputs.json "
            "with the same keys the deployed stack outputs."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=3000, help="API port, 0 for any free one (default: %(default)s)"
    )
    parser.add_argument(
        "--idp-port",
        type=int,
        default=9229,
        help="identity provider port, 0 for any free one (default: %(default)s)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="users, signing key, orders and outputs.json (default: %(default)s)",
    )
    parser.add_argument(
        "--dynamodb-endpoint",
        metavar="URL",
        help="store orders in this DynamoDB endpoint instead of SQLite (needs --table)",
    )
    parser.add_argument("--table", metavar="NAME", help="DynamoDB table, created if missing")
    parser.add_argument(
        "--access-log", action="store_true", help="log every request line (never headers)"
    )
    parser.add_argument(
        "--function-logs",
        action="store_true",
        help="let the handler's Powertools logs and metrics print as in Lambda",
    )
    parser.add_argument(
        "--orders-email",
        metavar="ADDRESS",
        type=_email_address,
        help="show the e-mail each new order would send to ADDRESS (in the log, masked), as "
        "the deployed stack sends it with -c ordersEmail=ADDRESS",
    )
    parser.add_argument(
        "--events-webhook",
        metavar="URL",
        type=_loopback_url,
        help="POST every order event (EventBridge's envelope) to this http://127.0.0.1 URL",
    )
    waf.add_serve_arguments(parser)
    parser.set_defaults(handler=_serve, parser=parser)


_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def _loopback_url(text: str) -> str:
    """An http(s) URL on this machine: the twin sends order data nowhere else."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"not an http:// URL: {text!r}")
    if parts.hostname not in _LOOPBACK_HOSTS:
        raise argparse.ArgumentTypeError(
            f"the webhook must be on this machine (127.0.0.1, ::1 or localhost), not "
            f"{parts.hostname}: events carry customers' addresses"
        )
    return text


def _email_address(text: str) -> str:
    local, at, domain = text.partition("@")
    if not (local and at and "." in domain) or any(c.isspace() for c in text) or len(text) > 254:
        raise argparse.ArgumentTypeError(f"not an e-mail address: {text!r}")
    return text


def _serve(arguments: argparse.Namespace) -> int:
    if bool(arguments.dynamodb_endpoint) != bool(arguments.table):
        arguments.parser.error("--dynamodb-endpoint and --table go together")
    options = TwinOptions(
        host=arguments.host,
        port=arguments.port,
        idp_port=arguments.idp_port,
        data_dir=arguments.data_dir,
        dynamodb_endpoint=arguments.dynamodb_endpoint,
        table_name=arguments.table,
        access_log=arguments.access_log,
        function_logs=arguments.function_logs,
        request_filter=waf.request_filter(arguments),
        orders_email=arguments.orders_email,
        events_webhook=arguments.events_webhook,
    )
    try:
        return run(options)
    except TwinStartupError as exc:
        print(f"orders-api serve: {exc}", file=sys.stderr)
        return 2

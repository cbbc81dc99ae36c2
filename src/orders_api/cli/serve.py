"""`orders-api serve`: run the local twin (API, authorizer, identity provider, storage)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

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
    waf.add_serve_arguments(parser)
    parser.set_defaults(handler=_serve, parser=parser)


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
    )
    try:
        return run(options)
    except TwinStartupError as exc:
        print(f"orders-api serve: {exc}", file=sys.stderr)
        return 2

"""`orders-api openapi [--write FILE]`: print, or write, the API's OpenAPI 3.1 document."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "openapi",
        help="print the OpenAPI 3.1 document (or --write it to a file, e.g. openapi.json)",
    )
    parser.add_argument(
        "--write", type=Path, metavar="FILE", help="write the document to FILE instead"
    )
    parser.set_defaults(handler=_openapi)


def _openapi(arguments: argparse.Namespace) -> int:
    # Imported here: the document imports the Lambda handler, which other commands never need.
    from orders_api.openapi import render

    text = render()
    if arguments.write is None:
        sys.stdout.write(text)
        return 0
    arguments.write.write_text(text, encoding="utf-8")
    print(f"wrote {arguments.write}", file=sys.stderr)
    return 0

"""The `orders-api` command. Each command group lives in its own module and registers here."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

# Modules that define `register(subparsers)`; each adds its commands with a `handler` default
# that takes the parsed arguments and returns the exit status.
COMMAND_MODULES: tuple[str, ...] = ("serve", "customer", "ops", "session", "cost", "waf", "openapi")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orders-api",
        description="The Orders API: its local twin, a client for it (local or on AWS), and tools.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(f"orders_api.cli.{module_name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        return int(arguments.handler(arguments))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader left (`orders-api ... | head`): as other command-line tools, stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())

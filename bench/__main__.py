"""`make bench`: every benchmark, each against its baseline in the same run, in ONE table.

python -m bench [NAME ...]     (default: all of BENCHMARKS, in order)

A benchmark module under bench/ has `run() -> dict` (it writes bench/results/<name>.json) and
`rows(result)` giving (figure, measured, baseline, ratio, target) rows; a module with only a
`main()` runs that and prints its own figures.
"""

from __future__ import annotations

import importlib
import sys

from rich.console import Console
from rich.table import Table

from bench.common import machine

BENCHMARKS: tuple[str, ...] = ("lambda_function", "twin_load", "waf")


def main(names: list[str]) -> int:
    console = Console(width=None if sys.stdout.isatty() else 140)
    table = Table(title="Orders API benchmarks (each against a baseline measured in this run)")
    for column in ("figure", "measured", "baseline", "ratio", "target"):
        table.add_column(column)
    for name in names or BENCHMARKS:
        console.print(f"== {name}")
        module = importlib.import_module(f"bench.{name}")
        if hasattr(module, "rows") and hasattr(module, "run"):
            for row in module.rows(module.run()):
                table.add_row(*row)
            table.add_section()
            continue
        saved_argv = sys.argv
        sys.argv = [f"bench.{name}"]
        try:
            module.main()
        finally:
            sys.argv = saved_argv
    info = machine()
    table.caption = (
        f"{info['cpus']} CPUs, {info['machine']}, {info['system']}, "
        f"{info['implementation']} {info['python']}"
    )
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""`make bench`: every benchmark, each against its baseline in the same run.

python -m bench [NAME ...]     (default: all of BENCHMARKS, in order)
"""

from __future__ import annotations

import importlib
import sys

# Modules under bench/ with a main(); each prints its figures and ratios and writes
# bench/results/<name>.json.
BENCHMARKS: tuple[str, ...] = ("lambda_function",)


def main(names: list[str]) -> int:
    for name in names or BENCHMARKS:
        print(f"== {name}", flush=True)
        saved_argv = sys.argv
        sys.argv = [f"bench.{name}"]
        try:
            importlib.import_module(f"bench.{name}").main()
        finally:
            sys.argv = saved_argv
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

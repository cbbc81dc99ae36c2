"""Top items of a py-spy raw (collapsed) profile: where the twin's time goes.

    python -m bench.profile_top PROFILE [--top N]

Prints the functions with the most samples on the stack (inclusive) and at its top (self), per
thread, as shares of all samples; idle waits (select, epoll, lock waits) included, named as such.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path


def load(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text().splitlines():
        frames, _, count = line.rpartition(" ")
        if frames and count.isdigit():
            stacks.append((frames.split(";"), int(count)))
    return stacks


def _name(frame: str) -> str:
    # "function (path/to/module.py:123)" -> "function (module.py)"
    function, _, where = frame.partition(" (")
    module = where.rsplit("/", 1)[-1].split(":", 1)[0]
    return f"{function} ({module})" if module else function


def top(path: Path, count: int = 15) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    stacks = load(path)
    total = sum(samples for _, samples in stacks)
    inclusive: Counter[str] = Counter()
    exclusive: Counter[str] = Counter()
    for frames, samples in stacks:
        names = [_name(frame) for frame in frames]
        for name in set(names):
            inclusive[name] += samples
        exclusive[names[-1]] += samples
    return total, inclusive.most_common(count), exclusive.most_common(count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=15)
    arguments = parser.parse_args()
    total, inclusive, exclusive = top(arguments.profile, arguments.top)
    print(f"{total} samples")
    print("inclusive:")
    for name, samples in inclusive:
        print(f"  {samples / total:6.1%}  {name}")
    print("self:")
    for name, samples in exclusive:
        print(f"  {samples / total:6.1%}  {name}")


if __name__ == "__main__":
    main()

"""CPU time of a server's process tree by role, read from /proc (Linux only): what each of the
twin's processes spends per request while it is loaded.

A role is named by the first of `ROLES` found in a process's command line; the server's own
process is "front". A process that exits between two readings loses its time (environments do
not, under load: the bench runs past their cold starts).
"""

from __future__ import annotations

import os
from pathlib import Path

ROLES = (
    ("orders_api.twin.awslambda.runtime", "execution environments"),
    ("orders_api.twin.storage_process", "storage process"),
    ("orders_api.twin.eventbridge", "order events pipe"),
)
_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds), or None when the process is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS_PER_SECOND


def _role(pid: int, root: int) -> str:
    if pid == root:
        return "front"
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "other"
    return next((role for marker, role in ROLES if marker in command), "other")


def reading(root: int) -> dict[int, tuple[str, float]]:
    """Every process under `root` (itself included): pid -> (role, CPU seconds so far)."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            stats[int(entry.name)] = stat
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, (parent, _) in stats.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return {pid: (_role(pid, root), stats[pid][1]) for pid in tree if pid in stats}


def spent_by_role(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
) -> dict[str, float]:
    """CPU seconds each role spent between two readings of the same tree."""
    spent: dict[str, float] = {}
    for pid, (role, seconds) in after.items():
        earlier = before.get(pid, (role, 0.0))[1]
        spent[role] = spent.get(role, 0.0) + seconds - earlier
    return spent

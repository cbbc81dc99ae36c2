"""What must never appear in a log, and which logs the end-to-end suite produced.

The e2e fixtures register every password and token they create and every server log they
capture; tests register whatever else they send that is secret or personal (Authorization
header values, shipping addresses). `tests/e2e/reliability/test_log_hygiene.py` scans every
registered log for every registered secret once the rest of the suite has run.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

MIN_SECRET_LENGTH = 8
"""Shorter values (a country code, "0") would match innocent text; they are not registered."""

JWT_PATTERN = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
"""Any JWT at all, registered or not: a log has no business holding one."""

_lock = threading.Lock()
_secrets: dict[str, str] = {}
_logs: list[Path] = []


def register(kind: str, *values: str | None) -> None:
    """Remember values of this kind ("password", "id token", "address"...) as secret."""
    with _lock:
        for value in values:
            if value and len(value) >= MIN_SECRET_LENGTH:
                _secrets.setdefault(value, kind)


def register_log(path: Path) -> None:
    with _lock:
        if path not in _logs:
            _logs.append(path)


def registered_secrets() -> dict[str, str]:
    with _lock:
        return dict(_secrets)


def registered_logs() -> list[Path]:
    with _lock:
        return list(_logs)


@dataclass(frozen=True)
class Leak:
    """A secret found in a log: where, and what kind (never the secret itself)."""

    log: Path
    line_number: int
    kind: str

    def __str__(self) -> str:
        return f"{self.log.name}:{self.line_number}: a {self.kind}"


def leaks_in(lines: Iterable[str], log: Path, secrets: dict[str, str]) -> Iterator[Leak]:
    """Every (line, kind) where a registered secret or any JWT appears.

    Thousands of secrets over megabytes of logs: each secret is indexed by its first
    MIN_SECRET_LENGTH characters, and each line is looked up at every offset, once.
    """
    index: dict[str, list[tuple[str, str]]] = {}
    for secret, kind in secrets.items():
        index.setdefault(secret[:MIN_SECRET_LENGTH], []).append((secret, kind))
    for number, line in enumerate(lines, start=1):
        if JWT_PATTERN.search(line):
            yield Leak(log, number, "JWT")
        found: set[str] = set()
        for offset in range(len(line) - MIN_SECRET_LENGTH + 1):
            for secret, kind in index.get(line[offset : offset + MIN_SECRET_LENGTH], ()):
                if secret not in found and line.startswith(secret, offset):
                    found.add(secret)
                    yield Leak(log, number, kind)

"""The figures the reliability tests measure, and how big a run is.

`make test` runs the bounded sizes; `make soak` sets ORDERS_SOAK=1 for the heavier ones. Every
test records what it checked under its own section of test-artifacts/reliability.json
(gitignored), from which docs/reliability.md takes its figures.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

from tests.paths import ROOT

ARTIFACT = ROOT / "test-artifacts" / "reliability.json"
SOAK = os.environ.get("ORDERS_SOAK") == "1"

_lock = threading.Lock()


def scaled(normal: int, soak: int) -> int:
    """`normal` under `make test`, `soak` under `make soak`."""
    return soak if SOAK else normal


def record(section: str, **figures: Any) -> None:
    """Replace this section of the artifact with these figures (other sections are kept)."""
    with _lock:
        ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
        try:
            recorded: dict[str, Any] = json.loads(ARTIFACT.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            recorded = {}
        recorded[section] = {
            "mode": "soak" if SOAK else "test",
            "recordedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **figures,
        }
        temporary = ARTIFACT.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n", "utf-8")
        os.replace(temporary, ARTIFACT)
    print(f"\nreliability[{section}]: {json.dumps(figures, sort_keys=True)}")

"""Lambda handlers that misbehave, for the execution-environment tests: each does one thing a
real function can do to its environment."""

from __future__ import annotations

import ctypes
import os
import time
from typing import Any

_held: list[bytearray] = []


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {
        "event": event,
        "pid": os.getpid(),
        "remainingMs": context.get_remaining_time_in_millis(),
    }


def sleep(event: dict[str, Any], context: Any) -> dict[str, Any]:
    time.sleep(float(event.get("seconds", 60)))
    return {"slept": True}


def grow(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Hold `mb` more megabytes, touched, for as long as the environment lives."""
    for _ in range(int(event["mb"])):
        _held.append(bytearray(b"x" * (1024 * 1024)))
        time.sleep(0.001)
    return {"held": len(_held)}


def exit_now(event: dict[str, Any], context: Any) -> dict[str, Any]:
    os._exit(3)


def segfault(event: dict[str, Any], context: Any) -> dict[str, Any]:
    ctypes.string_at(0)
    return {}


def raise_error(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("the function's own error")


def unserialisable(event: dict[str, Any], context: Any) -> object:
    return {"when": object()}

"""The messages between the twin and an execution environment's process: each a 4-byte
big-endian length, then that many bytes of JSON. Both ends block; the twin bounds each read by
the invocation's deadline (see `read_message`'s `deadline`)."""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any

STORAGE_FDS = "ORDERS_TWIN_STORAGE_FDS"
"""`<read fd>,<write fd>` of an environment's storage channel (`twin/storage_service.py`), in
the environment's variables when the twin serves its storage."""
_HEADER = struct.Struct(">I")
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
"""Far above anything API Gateway passes (10 MB events) or Lambda returns (6 MB responses)."""


class ChannelClosed(Exception):
    """The other end is gone (its process exited, or closed the pipe)."""


class ChannelTimeout(Exception):
    """No whole message before the deadline."""


def write_message(descriptor: int, message: Any) -> None:
    payload = json.dumps(message, separators=(",", ":")).encode()
    data = _HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    try:
        while view:
            written = os.write(descriptor, view)
            view = view[written:]
    except (BrokenPipeError, OSError) as exc:
        raise ChannelClosed(str(exc)) from exc


def read_message(descriptor: int, deadline: float | None = None) -> Any:
    """The next message; ChannelTimeout past `deadline` (time.monotonic()), ChannelClosed at
    end of file."""
    (length,) = _HEADER.unpack(_read_exactly(descriptor, _HEADER.size, deadline))
    if length > MAX_MESSAGE_BYTES:
        raise ChannelClosed(f"a message of {length} bytes")
    return json.loads(_read_exactly(descriptor, length, deadline))


def _read_exactly(descriptor: int, size: int, deadline: float | None) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([descriptor], [], [], wait)[0]:
                raise ChannelTimeout
        chunk = os.read(descriptor, min(remaining, 1 << 20))
        if not chunk:
            raise ChannelClosed("end of file")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)

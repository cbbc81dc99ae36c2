"""The messages between the twin and an execution environment's process: each a 4-byte
big-endian length, then that many bytes of JSON. The environment's end blocks; the twin's end
reads and writes on its event loop (`read_message_async`, `write_message_async`), bounded by the
invocation's deadline, or blocks with a deadline (`read_message`) where no loop runs.

JSON is written by orjson (an order of magnitude cheaper than the standard library's, and these
messages are on every request's path), except where orjson would differ from `json.dumps`, which
Lambda's runtime uses: a message holding an integer past 64 bits (orjson refuses it, and would
read it back as a float), a datetime or a dataclass (orjson writes them, `json.dumps` refuses
them) or a subclass of a JSON type goes to `json.dumps`, flagged in the length's top bit so that
the reader decodes it with `json.loads`. One difference is left: a NaN or infinite float travels
as null (no message field holds one: events carry strings, and a result's are checked as API
Gateway checks them)."""

from __future__ import annotations

import asyncio
import json
import os
import select
import struct
import time
from typing import Any

import orjson

STORAGE_FDS = "ORDERS_TWIN_STORAGE_FDS"
"""`<read fd>,<write fd>` of an environment's storage channel (`twin/storage_service.py`), in
the environment's variables when the twin serves its storage."""
_HEADER = struct.Struct(">I")
_STANDARD_JSON = 1 << 31
"""Set in the length when the payload was written by `json.dumps` (see the module's text)."""
_ORJSON_OPTIONS = (
    orjson.OPT_NON_STR_KEYS  # json.dumps turns int, float, bool and None keys into strings
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
"""Far above anything API Gateway passes (10 MB events) or Lambda returns (6 MB responses)."""


class ChannelClosed(Exception):
    """The other end is gone (its process exited, or closed the pipe)."""


class ChannelTimeout(Exception):
    """No whole message before the deadline."""


def encode(message: Any) -> bytes:
    """`message` framed: its length (flagged when standard JSON), then its JSON. TypeError or
    ValueError for what `json.dumps` cannot write."""
    try:
        payload = orjson.dumps(message, option=_ORJSON_OPTIONS)
        flag = 0
    except orjson.JSONEncodeError:
        payload = json.dumps(message, separators=(",", ":")).encode()
        flag = _STANDARD_JSON
    return _HEADER.pack(len(payload) | flag) + payload


def write_message(descriptor: int, message: Any) -> None:
    data = encode(message)
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
    (header,) = _HEADER.unpack(_read_exactly(descriptor, _HEADER.size, deadline))
    return _decode(_read_exactly(descriptor, _payload_length(header), deadline), header)


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


async def write_message_async(descriptor: int, message: Any) -> None:
    """`write_message` on the running event loop, for a non-blocking `descriptor`: waits for
    room in the pipe without holding a thread."""
    loop = asyncio.get_running_loop()
    view = memoryview(encode(message))
    while view:
        try:
            view = view[os.write(descriptor, view) :]
            continue
        except BlockingIOError:
            pass
        except OSError as exc:
            raise ChannelClosed(str(exc)) from exc
        writable = loop.create_future()
        loop.add_writer(descriptor, _settle, writable, None)
        try:
            await writable
        finally:
            loop.remove_writer(descriptor)


async def read_message_async(descriptor: int) -> Any:
    """The next message on a non-blocking `descriptor`, read on the running event loop (bound
    it with `asyncio.timeout`); ChannelClosed at end of file. The other end must send nothing
    after it until it is answered: bytes past the message would be dropped."""
    loop = asyncio.get_running_loop()
    received = bytearray()
    answer: asyncio.Future[Any] = loop.create_future()

    def readable() -> None:
        try:
            chunk = os.read(descriptor, 1 << 20)
        except BlockingIOError:
            return
        except OSError as exc:
            _fail(answer, ChannelClosed(str(exc)))
            return
        if not chunk:
            _fail(answer, ChannelClosed("end of file"))
            return
        received.extend(chunk)
        if len(received) < _HEADER.size:
            return
        (header,) = _HEADER.unpack_from(received)
        try:
            length = _payload_length(header)
        except ChannelClosed as exc:
            _fail(answer, exc)
            return
        if len(received) >= _HEADER.size + length:
            payload = bytes(received[_HEADER.size : _HEADER.size + length])
            try:
                _settle(answer, _decode(payload, header))
            except ValueError as exc:
                _fail(answer, ChannelClosed(f"an unreadable message: {exc}"))

    loop.add_reader(descriptor, readable)
    try:
        return await answer
    finally:
        loop.remove_reader(descriptor)


def _payload_length(header: int) -> int:
    """The payload's length a header gives; ChannelClosed past MAX_MESSAGE_BYTES."""
    length = header & ~_STANDARD_JSON
    if length > MAX_MESSAGE_BYTES:
        raise ChannelClosed(f"a message of {length} bytes")
    return length


def _decode(payload: bytes, header: int) -> Any:
    return json.loads(payload) if header & _STANDARD_JSON else orjson.loads(payload)


def _settle(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _fail(future: asyncio.Future[Any], error: Exception) -> None:
    if not future.done():
        future.set_exception(error)

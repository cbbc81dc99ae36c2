"""What one connection may cost the twin: a bounded request head, and a deadline to send it.

uvicorn's httptools protocol neither bounds the request line and headers (a 64 MB header was
accepted) nor times out a request that is never finished (half-sent requests held a file
descriptor each until the process ran out). `BoundedHttpProtocol` adds both:

- the request line plus headers may hold at most `MAX_HEAD_BYTES`; past it the client gets
  431 and the connection is closed. API Gateway's documented quota is 10,240 bytes for the
  combined size of all header values (REST APIs, "Amazon API Gateway quotas and important
  notes"); what it answers beyond is not documented, so the twin answers as RFC 6585 says;
- a request must arrive whole, head and body, within `REQUEST_SECONDS` of its first byte (or
  of the connection, for one that sends nothing): past it the client gets 408 and the
  connection is closed. API Gateway documents no such timeout for REST APIs; this is what a
  careful operator sets against slow clients.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 16 * 1024
"""The request line and every header, names included: above API Gateway's 10,240 bytes of
header values, so that whatever AWS accepts the twin accepts too."""
REQUEST_SECONDS = 15.0


class BoundedHttpProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol with a bounded head and a deadline per request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0
        self._deadline: asyncio.TimerHandle | None = None
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._deadline is None:
            self._start_deadline()  # the first byte of the next request on a kept-alive connection
        super().data_received(data)

    def on_message_begin(self) -> None:
        self._head_bytes = 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self._count_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_message_complete(self) -> None:
        self._cancel_deadline()
        super().on_message_complete()

    def _count_head(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD_BYTES and not self._refused:
            self._refuse(431, "Request Header Fields Too Large")

    def _start_deadline(self) -> None:
        self._cancel_deadline()
        self._deadline = self.loop.call_later(REQUEST_SECONDS, self._too_slow)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        cycle = self.cycle
        if cycle is not None and not cycle.more_body and not cycle.response_complete:
            self._start_deadline()  # a pipelined request waits for the answer before it
            return
        self._refuse(408, "Request Timeout")

    def _refuse(self, status: int, message: str) -> None:
        """Answer `status` with API Gateway's error shape, then close the connection; an ASGI
        app still waiting for this request's body sees the client leave."""
        self._refused = True
        self._cancel_deadline()
        body = json.dumps({"message": message}).encode()
        head = (
            f"HTTP/1.1 {status} {message}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        ).encode()
        if not self.transport.is_closing():
            self.transport.write(head + body)
            self.transport.close()
        if self.cycle is not None:
            self.cycle.disconnected = True
            self.cycle.message_event.set()

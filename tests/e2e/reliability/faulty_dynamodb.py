"""A DynamoDB endpoint that fails on purpose: an HTTP proxy on loopback in front of a real one.

`FaultyDynamoDB(upstream)` forwards every request to `upstream` (moto_server) until told to
fail: `inject(fault, times, operation)` makes the next `times` requests for that operation fail
in that way. It records every attempt it sees, grouped by botocore's `amz-sdk-invocation-id`
header (the same on every retry of one call), so a test can count the retries of one request.
`stop()` closes the listening socket (clients then get connection refused) and `start()` opens
it again on the same port: an outage and the recovery from it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})
_JSON = "application/x-amz-json-1.0"


class Fault(StrEnum):
    THROTTLING = "ThrottlingException"
    """400, as DynamoDB throttles a control-plane or on-demand burst; nothing written."""
    CAPACITY = "ProvisionedThroughputExceededException"
    """400, the partition's capacity exceeded; nothing written."""
    INTERNAL_ERROR = "InternalServerError"
    """500 from DynamoDB; nothing written."""
    UNAVAILABLE = "ServiceUnavailable"
    """503 from DynamoDB; nothing written."""
    CONNECTION_RESET = "connection reset"
    """The connection closes before any answer; nothing written."""
    TIMEOUT = "timeout"
    """No answer until the client's read timeout; nothing written."""
    LOST_REPLY = "lost reply"
    """The request IS applied upstream, then the connection closes: a write the caller never
    hears about, so its retry finds the item already there."""


_STATUS = {
    Fault.THROTTLING: 400,
    Fault.CAPACITY: 400,
    Fault.INTERNAL_ERROR: 500,
    Fault.UNAVAILABLE: 503,
}


@dataclass(frozen=True)
class Attempt:
    operation: str
    invocation_id: str
    fault: Fault | None


class FaultyDynamoDB:
    def __init__(self, upstream: str, hold_seconds: float = 4.0) -> None:
        """`hold_seconds`: how long a TIMEOUT holds a request (longer than the read timeout)."""
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._hold_seconds = hold_seconds
        self._lock = threading.Lock()
        self._plan: list[tuple[str, Fault]] = []
        self._attempts: list[Attempt] = []
        self._release = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultyDynamoDB:
        """Listen (again, on the same port once one was chosen) and serve in a thread."""
        self._release.clear()
        server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler_class())
        server.daemon_threads = True
        self.port = int(server.server_address[1])
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="faulty-dynamodb")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and drop every open connection; requests held for a TIMEOUT go."""
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with self._lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def inject(self, fault: Fault, times: int, operation: str = "PutItem") -> None:
        """The next `times` requests for `operation` fail with `fault`."""
        with self._lock:
            self._plan.extend([(operation, fault)] * times)

    def pending_faults(self) -> int:
        with self._lock:
            return len(self._plan)

    def attempts(self) -> list[Attempt]:
        with self._lock:
            return list(self._attempts)

    def attempts_per_call(self, operation: str, since: int = 0) -> Counter[str]:
        """How many attempts each call of `operation` made, from attempt number `since` on."""
        return Counter(
            attempt.invocation_id
            for attempt in self.attempts()[since:]
            if attempt.operation == operation
        )

    def _next_fault(self, operation: str) -> Fault | None:
        with self._lock:
            for index, (planned, fault) in enumerate(self._plan):
                if planned == operation:
                    del self._plan[index]
                    return fault
            return None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with proxy._lock:
                    proxy._connections.add(self.connection)

            def finish(self) -> None:
                with proxy._lock:
                    proxy._connections.discard(self.connection)
                super().finish()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                operation = str(self.headers.get("X-Amz-Target", "")).rpartition(".")[2]
                fault = proxy._next_fault(operation)
                with proxy._lock:
                    proxy._attempts.append(
                        Attempt(operation, str(self.headers.get("amz-sdk-invocation-id")), fault)
                    )
                if fault in _STATUS:
                    self._answer_error(fault)
                elif fault is Fault.CONNECTION_RESET:
                    self._drop()
                elif fault is Fault.TIMEOUT:
                    proxy._release.wait(proxy._hold_seconds)
                    self._drop()
                elif fault is Fault.LOST_REPLY:
                    proxy._forward(self.command, self.path, dict(self.headers.items()), body)
                    self._drop()
                else:
                    status, headers, answer = proxy._forward(
                        self.command, self.path, dict(self.headers.items()), body
                    )
                    self._answer(status, headers, answer)

            def _answer_error(self, fault: Fault) -> None:
                body = json.dumps(
                    {"__type": f"com.amazonaws.dynamodb.v20120810#{fault.value}", "message": fault}
                ).encode()
                self._answer(_STATUS[fault], [("Content-Type", _JSON)], body)

            def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in _HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _drop(self) -> None:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the attempts are recorded instead."""

        return Handler

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(*self._upstream, timeout=30)
        try:
            forwarded = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
            connection.request(method, path, body=body, headers=forwarded)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

"""Lambda execution environments as processes, as Lambda runs them
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).

Each environment is its own Python process (`runtime.py`): its own import of the function (a
cold start, timed), its own memory, its own crash. Environments start on demand, up to the
function's reserved concurrency; a warm one is reused, the most recently used first; one idle
for `idle_seconds` is retired. Each handles one invocation at a time.

The deployed limits hold:

- **timeout**: an invocation past the function's timeout is stopped with its environment
  ("Task timed out after N seconds"), and API Gateway answers as it does for a failed
  function, 502 `{"message": "Internal server error"}` (a Lambda error under a proxy
  integration; the function's timeout, 10 s, is under the REST integration's 29 s, whose own
  answer, 504, therefore never comes);
- **memory**: an environment whose resident memory passes the function's memory size is
  killed, as Lambda stops a function out of memory (`Runtime.OutOfMemory`), and the invocation
  fails the same way;
- **crashes**: an exception at import (`Runtime.ImportModuleError`), an `os._exit`, a segfault
  end that environment alone; the next request gets a fresh, cold one.

Every invocation prints Lambda's REPORT line (RequestId, Duration, Billed Duration, Memory
Size, Max Memory Used, and Init Duration on a cold start), and the twin keeps the mean warm
duration for the cost model (`durations_summary`).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from orders_api.deployment.settings import FunctionSettings
from orders_api.twin.awslambda.runtime import HANDLER, RESULTS_FD
from orders_api.twin.awslambda.wire import (
    STORAGE_FDS,
    ChannelClosed,
    ChannelTimeout,
    read_message,
    read_message_async,
    write_message_async,
)

INIT_TIMEOUT_SECONDS = 10.0
"""Lambda's limit on the Init phase (same page)."""
MEMORY_POLL_SECONDS = 0.05
DEFAULT_IDLE_SECONDS = 600.0
"""How long a warm environment waits for work before it is retired. Lambda does not document
its own figure; minutes, not hours."""
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class FunctionError(Exception):
    """The invocation failed as Lambda reports a function error: `error_type` is Lambda's
    (Runtime.ImportModuleError, Runtime.ExitError, Runtime.OutOfMemory, Sandbox.Timedout) or
    the exception's class."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type


@dataclass(frozen=True, slots=True)
class Report:
    """What Lambda's REPORT line says of one invocation."""

    request_id: str
    duration_ms: float
    memory_size_mb: int
    max_memory_used_mb: int
    init_duration_ms: float | None = None
    status: str | None = None

    @property
    def billed_duration_ms(self) -> int:
        """Lambda rounds each invocation's duration up to the next millisecond."""
        return max(1, math.ceil(self.duration_ms))

    def line(self) -> str:
        parts = [
            f"REPORT RequestId: {self.request_id}",
            f"Duration: {self.duration_ms:.2f} ms",
            f"Billed Duration: {self.billed_duration_ms} ms",
            f"Memory Size: {self.memory_size_mb} MB",
            f"Max Memory Used: {self.max_memory_used_mb} MB",
        ]
        if self.init_duration_ms is not None:
            parts.append(f"Init Duration: {self.init_duration_ms:.2f} ms")
        if self.status is not None:
            parts.append(f"Status: {self.status}")
        return "\t".join(parts)


def _resident_mb(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return None
    return int(fields[1]) * _PAGE_BYTES / (1024 * 1024)


class StorageChannels(Protocol):
    """Where environments' storage calls go: the twin's storage process (`storage_process.py`)."""

    @property
    def generation(self) -> int:
        """Changes when the storage behind the channels was replaced: older channels are dead."""
        ...

    def open_channel(self) -> int:
        """A socket for one environment's calls, owned by the caller."""
        ...


@dataclass(eq=False)
class _Environment:
    process: subprocess.Popen[bytes]
    results: int
    init_duration_ms: float
    storage_generation: int = 0
    last_used: float = field(default_factory=time.monotonic)
    alive: bool = True
    over_memory: bool = False

    def stop(self, graceful: bool = True) -> None:
        """End the process: close its input (the runtime's loop ends) or kill it."""
        self.alive = False
        with contextlib.suppress(OSError):
            if self.process.stdin is not None:
                self.process.stdin.close()
        if not graceful:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        try:
            self.process.wait(timeout=5 if graceful else 10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        with contextlib.suppress(OSError):
            os.close(self.results)


class ProcessEnvironments:
    """The function's execution environments: `await invoke(event, context)` on an event loop
    (the twin's), as many at once as there are environments; an invocation past them waits for
    one to be free, as API Gateway's calls wait on no queue but the function's concurrency.

    Invocations hold no thread: the event goes down the environment's input and its answer is
    awaited on the loop (`wire.read_message_async`). Only a cold start (a process started and
    its init awaited) and stopping an environment run on a worker thread."""

    def __init__(
        self,
        handler: str,
        count: int,
        *,
        settings: FunctionSettings,
        environment: Mapping[str, str],
        report: Callable[[str], None],
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        python: str = sys.executable,
        storage: StorageChannels | None = None,
    ) -> None:
        """`storage`: the twin's storage service, which every environment then calls for its
        orders (else the environment's own variables say where they are stored). An
        environment whose channel outlived its storage (a new `generation`) is replaced."""
        if count < 1:
            raise ValueError("at least one execution environment")
        self.count = count
        self._handler = handler
        self._settings = settings
        self._environment = dict(environment)
        self._report = report
        self._idle_seconds = idle_seconds
        self._python = python
        self._storage = storage
        self._idle: list[_Environment] = []
        self._running = 0
        self._lock = threading.Lock()
        self._waiting: deque[asyncio.Future[_Environment | None]] = deque()
        self._closed = False
        self._warm_total_ms = 0.0
        self._warm_count = 0
        self._cold_starts = 0
        self._busy: set[_Environment] = set()
        self._stopping = threading.Event()
        for target, name in ((self._retire_idle, "reaper"), (self._watch_memory, "memory")):
            threading.Thread(target=target, name=name, daemon=True).start()

    async def invoke(self, event: dict[str, Any], context: Any) -> Any:
        """The function's result for `event`; FunctionError as Lambda reports a failure."""
        environment, cold = await self._acquire()
        try:
            return await self._invoke(environment, cold, event, context)
        finally:
            await self._release(environment)

    def durations_summary(self) -> dict[str, object]:
        """The mean warm invocation, for `orders-api cost --bench-results` (its key)."""
        with self._lock:
            total, count, cold_starts = self._warm_total_ms, self._warm_count, self._cold_starts
        return {
            "warm_invoke_ms": round(total / count, 3) if count else None,
            "warmInvocations": count,
            "coldStarts": cold_starts,
            "source": "the twin's execution environments (REPORT durations, this machine)",
        }

    def close(self) -> None:
        """Stop every environment; call once the server stopped (an invocation it abandoned
        still gets its environment's input closed, and the environment's end)."""
        self._stopping.set()
        with self._lock:
            self._closed = True
            environments = [*self._idle, *self._busy]
            self._idle = []
            self._busy.clear()
            while self._hand_over(None):
                pass
        for environment in environments:
            environment.stop()

    # Environments

    async def _acquire(self) -> tuple[_Environment, bool]:
        """A warm environment, else a new one within the limit, else the first one released
        (handed over in arrival order: a newcomer never takes it from an invocation waiting)."""
        loop = asyncio.get_running_loop()
        while True:
            stale: _Environment | None = None
            handed: asyncio.Future[_Environment | None] | None = None
            with self._lock:
                if self._closed:
                    raise FunctionError("Runtime.Unavailable", "the twin is stopping")
                if self._idle:
                    environment = self._idle.pop()
                    if self._storage_current(environment):
                        self._busy.add(environment)
                        return environment, False
                    stale = environment
                    self._running -= 1
                elif self._running < self.count:
                    self._running += 1
                    break
                else:
                    handed = loop.create_future()
                    self._waiting.append(handed)
            if stale is not None:
                await asyncio.to_thread(stale.stop)
                continue
            assert handed is not None
            try:
                environment_or_slot = await handed
            except asyncio.CancelledError:
                given = handed.result() if handed.done() and not handed.cancelled() else None
                if given is not None:
                    await self._release(given)
                raise
            if environment_or_slot is not None:
                return environment_or_slot, False
        try:
            environment = await asyncio.to_thread(self._start)
        except BaseException:
            with self._lock:
                self._running -= 1
                self._hand_over(None)
            raise
        with self._lock:
            self._busy.add(environment)
        return environment, True

    def _storage_current(self, environment: _Environment) -> bool:
        storage = self._storage
        return storage is None or environment.storage_generation == storage.generation

    async def _release(self, environment: _Environment) -> None:
        if not self._storage_current(environment):
            environment.alive = False
        with self._lock:
            keep = environment.alive and not self._closed
            if keep:
                environment.last_used = time.monotonic()
                if not self._hand_over(environment):
                    self._busy.discard(environment)
                    self._idle.append(environment)
            else:
                self._busy.discard(environment)
                self._running -= 1
                self._hand_over(None)
        if not keep:
            await asyncio.to_thread(environment.stop, environment.alive)

    def _hand_over(self, environment: _Environment | None) -> bool:
        """Give the longest waiting invocation `environment` (it stays busy), or with None the
        news that a slot is free; whether one was waiting. Called with the lock held, on the
        loop of the invocations (the reaper, on its own thread, only passes None)."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if waiter.done():
                continue
            if environment is None:
                with contextlib.suppress(RuntimeError):  # its loop closed: nobody waits any more
                    waiter.get_loop().call_soon_threadsafe(_settle, waiter, None)
            else:
                waiter.set_result(environment)
            return True
        return False

    def _start(self) -> _Environment:
        read_end, write_end = os.pipe()
        variables = {**self._environment, HANDLER: self._handler, RESULTS_FD: str(write_end)}
        child_ends = [write_end]
        generation = 0
        try:
            if self._storage is not None:
                generation = self._storage.generation
                channel = self._storage.open_channel()
                child_ends.append(channel)
                variables[STORAGE_FDS] = f"{channel},{channel}"
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [self._python, "-m", "orders_api.twin.awslambda.runtime"],
                stdin=subprocess.PIPE,
                env=variables,
                pass_fds=tuple(child_ends),
            )
        except BaseException:
            os.close(read_end)
            raise
        finally:
            for descriptor in child_ends:
                os.close(descriptor)
        environment = _Environment(
            process, read_end, init_duration_ms=0.0, storage_generation=generation
        )
        try:
            started = read_message(read_end, time.monotonic() + INIT_TIMEOUT_SECONDS)
        except (ChannelClosed, ChannelTimeout) as exc:
            environment.stop(graceful=False)
            raise FunctionError("Runtime.ExitError", "the runtime failed to start") from exc
        if started.get("error"):
            environment.stop(graceful=False)
            error = started["error"]
            raise FunctionError("Runtime.ImportModuleError", str(error.get("errorMessage")))
        environment.init_duration_ms = float(started["initDurationMs"])
        os.set_blocking(read_end, False)
        os.set_blocking(process.stdin.fileno(), False)  # type: ignore[union-attr]
        return environment

    async def _invoke(
        self, environment: _Environment, cold: bool, event: dict[str, Any], context: Any
    ) -> Any:
        request_id = str(context.aws_request_id)
        remaining_ms = context.get_remaining_time_in_millis()
        began = time.perf_counter()
        status: str | None = None
        answer: dict[str, Any] | None = None
        try:
            async with asyncio.timeout(remaining_ms / 1000):
                await write_message_async(
                    environment.process.stdin.fileno(),  # type: ignore[union-attr]
                    {
                        "event": event,
                        "context": _context_fields(context),
                        "remainingMs": remaining_ms,
                    },
                )
                answer = await read_message_async(environment.results)
        except TimeoutError:
            status = "timeout"
        except ChannelClosed:
            status = "error"
        duration_ms = (time.perf_counter() - began) * 1000
        if answer is not None:
            duration_ms = float(answer.get("durationMs", duration_ms))
        if status is not None:
            await asyncio.to_thread(environment.stop, False)
        report = Report(
            request_id=request_id,
            duration_ms=duration_ms,
            memory_size_mb=self._settings.memory_mb,
            max_memory_used_mb=int(
                answer.get("maxMemoryUsedMb", 0) if answer else self._settings.memory_mb
            ),
            init_duration_ms=environment.init_duration_ms if cold else None,
            status=status,
        )
        self._record(report, cold)
        if status == "timeout":
            seconds = self._settings.timeout_seconds
            raise FunctionError("Sandbox.Timedout", f"Task timed out after {seconds}.00 seconds")
        if status == "error":
            if environment.over_memory:
                raise FunctionError(
                    "Runtime.OutOfMemory", "Runtime exited with error: signal: killed"
                )
            code = environment.process.returncode
            raise FunctionError(
                "Runtime.ExitError", f"Runtime exited with error: {_exit_text(code)}"
            )
        assert answer is not None
        if answer.get("error"):
            error = answer["error"]
            raise FunctionError(str(error.get("errorType")), str(error.get("errorMessage")))
        return answer.get("result")

    def _record(self, report: Report, cold: bool) -> None:
        self._report(report.line())
        with self._lock:
            if cold:
                self._cold_starts += 1
            elif report.status is None:
                self._warm_total_ms += report.duration_ms
                self._warm_count += 1

    def _watch_memory(self) -> None:
        """One thread for every environment: an invoked environment whose resident memory
        passes the memory size is killed (as Lambda ends a function out of memory)."""
        limit = self._settings.memory_mb
        while not self._stopping.wait(MEMORY_POLL_SECONDS):
            with self._lock:
                busy = list(self._busy)
            for environment in busy:
                resident = _resident_mb(environment.process.pid)
                if resident is not None and resident > limit:
                    environment.over_memory = True
                    with contextlib.suppress(ProcessLookupError):
                        environment.process.kill()

    def _retire_idle(self) -> None:
        while not self._stopping.wait(min(30.0, self._idle_seconds / 2)):
            now = time.monotonic()
            with self._lock:
                if self._closed:
                    return
                stale = [e for e in self._idle if now - e.last_used > self._idle_seconds]
                self._idle = [e for e in self._idle if e not in stale]
                self._running -= len(stale)
                for _ in stale:
                    self._hand_over(None)
            for environment in stale:
                environment.stop()


def _settle(future: asyncio.Future[_Environment | None], value: _Environment | None) -> None:
    if not future.done():
        future.set_result(value)


def _context_fields(context: Any) -> dict[str, object]:
    return {
        name: getattr(context, name)
        for name in (
            "function_name",
            "invoked_function_arn",
            "memory_limit_in_mb",
            "aws_request_id",
            "log_group_name",
            "log_stream_name",
        )
    }


_SIGNAL_TEXT = {
    signal.SIGKILL: "killed",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
    signal.SIGTERM: "terminated",
}
"""How Lambda's runtime exit errors name a signal ("Runtime exited with error: signal: killed")."""


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        number = signal.Signals(-code)
        return f"signal: {_SIGNAL_TEXT.get(number, number.name.lower())}"
    return f"exit status {code}"

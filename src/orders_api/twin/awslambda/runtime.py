"""One Lambda execution environment's process: `python -m orders_api.twin.awslambda.runtime`.

As the Lambda runtime does, it runs the function's init once (importing the handler's module,
timed: the REPORT line's Init Duration), then invokes the handler once per request it is sent,
one at a time, until its input closes. The twin sends requests on standard input and reads
answers on the descriptor named by ORDERS_TWIN_RESULTS_FD; the function's own output (its logs)
goes to standard output and error, as it goes to CloudWatch in Lambda.

Storage is chosen by the environment, before the handler is imported: ORDERS_TWIN_STORAGE_FDS
(the twin's storage service, which holds the SQLite file and groups every environment's
commits), ORDERS_TWIN_SQLITE_PATH (this process opens the file and commits its own writes), or
the deployed way, ORDERS_TABLE_NAME with AWS_ENDPOINT_URL_DYNAMODB.

Each answer: {"result": ...} or {"error": {"errorType", "errorMessage"}}, with the invocation's
"durationMs" and the process's "maxMemoryUsedMb".
"""

from __future__ import annotations

import importlib
import os
import resource
import signal
import sys
import time
import traceback
from collections.abc import Callable
from types import ModuleType
from typing import Any

from orders_api.twin.awslambda.context import LocalLambdaContext
from orders_api.twin.awslambda.wire import (
    STORAGE_FDS,
    ChannelClosed,
    read_message,
    write_message,
)

RESULTS_FD = "ORDERS_TWIN_RESULTS_FD"
HANDLER = "ORDERS_TWIN_HANDLER"
SQLITE_PATH = "ORDERS_TWIN_SQLITE_PATH"


class PeakMemory:
    """This process's peak resident memory, read after every invocation. VmHWM of
    /proc/self/status, not ru_maxrss: Linux keeps ru_maxrss across execve, so it would report
    the peak of the process that started this one. The file stays open (each reading is one
    pread, not an open, a read and a close); where there is no /proc, ru_maxrss it is."""

    def __init__(self) -> None:
        try:
            self._status: int | None = os.open("/proc/self/status", os.O_RDONLY)
        except OSError:
            self._status = None

    def megabytes(self) -> int:
        if self._status is not None:
            try:
                status = os.pread(self._status, 8192, 0)
                start = status.index(b"VmHWM:") + len(b"VmHWM:")
                kilobytes = int(status[start : status.index(b"kB", start)])
                return -(-kilobytes // 1024)
            except (OSError, ValueError):
                pass
        return -(-resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)


def _install_storage() -> None:
    from orders_api.function import bootstrap
    from orders_api.service import OrderService

    channel = os.environ.get(STORAGE_FDS)
    if channel:
        from orders_api.twin.storage_service import RemoteOrderRepository

        bootstrap.install(OrderService(RemoteOrderRepository.from_environment(channel)))
        return
    path = os.environ.get(SQLITE_PATH)
    if path:
        from orders_api.adapters.sqlite import SQLiteOrderRepository

        bootstrap.install(OrderService(SQLiteOrderRepository(path)))


def handler_of(module: ModuleType, name: str = "lambda_handler") -> Callable[..., Any]:
    """The module's handler, as the runtime invokes it.

    With metrics disabled (the twin's default), Powertools 3 never clears its metric set, then
    prints it anyway once 100 values pile up; clearing after each invocation keeps a disabled
    twin silent.
    """
    function: Callable[..., Any] = getattr(module, name)
    metrics = getattr(module, "metrics", None)
    disabled = os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() in ("1", "true")
    if metrics is None or not disabled:
        return function

    def invoke(event: Any, context: Any) -> Any:
        try:
            return function(event, context)
        finally:
            metrics.clear_metrics()

    return invoke


def _load(handler: str) -> Callable[..., Any]:
    module_name, _, function_name = handler.rpartition(".")
    return handler_of(importlib.import_module(module_name), function_name)


def _error(exc: BaseException) -> dict[str, str]:
    return {"errorType": type(exc).__name__, "errorMessage": str(exc)}


def main() -> int:
    # Ctrl-C reaches the terminal's whole process group; the twin ends its environments itself
    # (closing their input) once the requests in flight are answered.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    results = int(os.environ[RESULTS_FD])
    peak_memory = PeakMemory()
    started = time.perf_counter()
    try:
        _install_storage()
        function = _load(os.environ[HANDLER])
        init_error = None
    except Exception as exc:  # Lambda reports Runtime.ImportModuleError and exits
        traceback.print_exc()
        function, init_error = None, exc
    init_ms = (time.perf_counter() - started) * 1000
    write_message(
        results,
        {"initDurationMs": init_ms, "error": None if init_error is None else _error(init_error)},
    )
    if function is None:
        return 1
    stdin = sys.stdin.fileno()
    while True:
        try:
            request = read_message(stdin)
        except ChannelClosed:
            return 0
        context = LocalLambdaContext(
            **request["context"],
            deadline_monotonic=time.monotonic() + request["remainingMs"] / 1000,
        )
        began = time.perf_counter()
        try:
            answer: dict[str, Any] = {"result": function(request["event"], context)}
        except Exception as exc:  # an unhandled error: Lambda answers it as the function's error
            traceback.print_exc()
            answer = {"error": _error(exc)}
        answer["durationMs"] = (time.perf_counter() - began) * 1000
        answer["maxMemoryUsedMb"] = peak_memory.megabytes()
        sys.stdout.flush()
        try:
            write_message(results, answer)
        except (TypeError, ValueError) as exc:  # a result JSON cannot carry
            write_message(
                results,
                {
                    "error": {"errorType": "Runtime.MarshalError", "errorMessage": str(exc)},
                    "durationMs": answer["durationMs"],
                    "maxMemoryUsedMb": answer["maxMemoryUsedMb"],
                },
            )


if __name__ == "__main__":
    sys.exit(main())

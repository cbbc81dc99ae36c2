"""Lambda execution environments in one process: one worker thread each, one function copy each.

Lambda runs concurrent requests in separate execution environments, each with its own copy of
the function's module (its own Powertools resolver, which keeps per-request state on a shared
object and is not thread-safe), each handling one request at a time. The twin reproduces that
with a pool of worker threads; each thread builds its own copy of the function module the
first time it is used (its "cold start"), then serves one request at a time. At most
`FunctionSettings.reserved_concurrency` environments exist, as in the deployed function.

While one environment waits on storage (an fsync, say), the others run: this is what lets
concurrent orders share one SQLite commit.

Known difference: Powertools' Logger keeps the Lambda context keys on a formatter shared by
every Logger of the same service name, so with several environments a function log line can
carry another environment's request id. `count=1` (the twin does so with --function-logs)
keeps them exact.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

from orders_api.twin.awslambda.context import LambdaHandler

_copies = itertools.count(1)
_copies_lock = threading.Lock()
_invocation_lock = threading.Lock()


def fresh_module_copy(name: str) -> ModuleType:
    """A new, independent instance of module `name` (module-level objects built anew), as a
    second execution environment would import it. The first call returns the module itself."""
    with _copies_lock:
        number = next(_copies)
    if number == 1:
        return importlib.import_module(name)
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}")
    copy_spec = importlib.util.spec_from_file_location(f"{name}__environment_{number}", spec.origin)
    if copy_spec is None or copy_spec.loader is None:
        raise ImportError(f"cannot load another copy of {name!r}")
    module = importlib.util.module_from_spec(copy_spec)
    sys.modules[copy_spec.name] = module  # pydantic and typing resolve names through it
    copy_spec.loader.exec_module(module)
    return module


class ExecutionEnvironments:
    """Up to `count` environments; call it as the function from the `executor`'s threads."""

    def __init__(self, load: Callable[[], LambdaHandler], count: int) -> None:
        if count < 1:
            raise ValueError("at least one execution environment")
        self._load = load
        self._local = threading.local()
        self.count = count
        self.executor = ThreadPoolExecutor(max_workers=count, thread_name_prefix="function")

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        handler: LambdaHandler | None = getattr(self._local, "handler", None)
        if handler is None:
            handler = self._local.handler = self._load()
        # Powertools keeps the request being resolved on class attributes that every resolver
        # in the process shares (BaseRouter.current_event, .lambda_context), module copies or
        # not: two invocations at once would read each other's event, and a caller could be
        # answered with another customer's order. Each Lambda environment is its own process;
        # here the invocations take turns, and hand over only while waiting on storage.
        with _invocation_lock:
            self._local.invoking = True
            try:
                return handler(event, context)
            finally:
                self._local.invoking = False

    @contextmanager
    def others_may_run(self) -> Iterator[None]:
        """Entered by a function while it waits on I/O (a commit's fsync): other environments
        run meanwhile, so that their writes can share the commit. Powertools' shared request
        state is put back before this environment goes on. Outside an invocation: no effect."""
        if not getattr(self._local, "invoking", False):
            yield
            return
        event = BaseRouter.__dict__.get("current_event")
        lambda_context = BaseRouter.__dict__.get("lambda_context")
        _invocation_lock.release()
        try:
            yield
        finally:
            _invocation_lock.acquire()
            BaseRouter.current_event = event  # type: ignore[assignment]
            BaseRouter.lambda_context = lambda_context  # type: ignore[assignment]

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=False)

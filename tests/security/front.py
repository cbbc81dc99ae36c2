"""The twin's whole front in-process, for the suites that drive it with many requests: the
web ACL given, the gateway, an authorizer, the Lambda handler as the twin loads it, in-memory
storage. The function's logs and metrics are off, as in the twin, and the environment is put
back after (Powertools reads it on every flush; other modules' tests count metrics)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from orders_api.adapters.memory import InMemoryOrderRepository
from orders_api.function import bootstrap, handler
from orders_api.service import OrderService
from orders_api.twin.apigateway.cors import ApiCors
from orders_api.twin.apigateway.gateway import Authorizer, Gateway
from orders_api.twin.server import RequestFilter, TwinApp


@contextmanager
def quiet_function_output() -> Iterator[None]:
    """What configure_function_output(function_logs=False) sets, undone on exit."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
        patch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
        yield


@contextmanager
def in_memory_front(authorizer: Authorizer, web_acl: RequestFilter) -> Iterator[TwinApp]:
    from orders_api.twin.run import load_function

    with quiet_function_output():
        bootstrap.install(OrderService(InMemoryOrderRepository()))
        gateway = Gateway(handler=load_function(), authorizer=authorizer, api_id="testfront0")
        app = TwinApp(gateway, readiness=dict, cors=ApiCors(stage="prod"), web_acl=web_acl)
        try:
            yield app
        finally:
            bootstrap.install(None)
            handler.metrics.clear_metrics()

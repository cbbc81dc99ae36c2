"""Execution environments in one process: each invocation sees its own request only."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

from orders_api.adapters.sqlite import SQLiteOrderRepository
from orders_api.function import bootstrap
from orders_api.service import OrderService
from orders_api.twin.awslambda.environments import ExecutionEnvironments, fresh_module_copy
from orders_api.twin.run import load_function
from tests.fakes import FakeLambdaContext, post_event


def test_concurrent_invocations_in_several_environments_never_see_each_others_requests(
    tmp_path: Path,
) -> None:
    environments = ExecutionEnvironments(
        lambda: load_function(fresh_module_copy("orders_api.function.handler")), count=8
    )
    # As in the twin: an invocation waiting for its commit lets the others run meanwhile.
    repository = SQLiteOrderRepository(tmp_path / "orders.sqlite3", environments.others_may_run)
    bootstrap.install(OrderService(repository))
    template = post_event("")

    def place(number: int) -> tuple[str, str, dict[str, Any]]:
        customer, key = f"customer-{number % 2}", f"key-{number}"
        event = copy.deepcopy(template)
        event["requestContext"]["authorizer"]["claims"]["sub"] = customer
        event["headers"]["Idempotency-Key"] = key
        event["multiValueHeaders"]["Idempotency-Key"] = [key]
        event["body"] = json.dumps({"items": [{"sku": "MUG-01", "quantity": 1}], "note": key})
        # A path of its own, so that a Location built from another request's event shows.
        event["requestContext"]["path"] = f"/{key}/orders"
        return customer, key, environments(event, FakeLambdaContext())

    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch often, so that any shared request state shows
    try:
        futures = [environments.executor.submit(place, number) for number in range(200)]
        answers = [future.result(timeout=60) for future in futures]
    finally:
        sys.setswitchinterval(switch_interval)
        environments.close()
        bootstrap.install(None)
        repository.close()
    mixed_up = [
        (customer, key, result["statusCode"], json.loads(result["body"]).get("note"))
        for customer, key, result in answers
        if result["statusCode"] != 201
        or json.loads(result["body"])["customerId"] != customer
        or json.loads(result["body"])["note"] != key
        or not result["multiValueHeaders"]["Location"][0].startswith(f"/{key}/orders/")
    ]
    assert mixed_up == []

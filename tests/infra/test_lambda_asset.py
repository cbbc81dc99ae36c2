"""The code asset answers API Gateway events with nothing but what Lambda provides.

The asset directory the stack ships is run in a fresh virtualenv holding only the layer's
packages and boto3, from a working directory outside the repository, against a DynamoDB
(moto's server on loopback) reached through the standard AWS_ENDPOINT_URL_DYNAMODB variable,
so that the handler's own wiring (ORDERS_TABLE_NAME, no endpoint override) is what runs.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from lambda_runtime import lambda_like_python
from moto.server import ThreadedMotoServer
from synthesized import Synthesis

from infra.asset import PACKAGE, RUNTIME_PARTS
from orders_api.function.bootstrap import TABLE_NAME

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "tests" / "events"
DEV_ORIGIN = "http://localhost:5173"

DRIVER = """
import json, sys
asset, events_file = sys.argv[1], sys.argv[2]
sys.path.insert(0, asset)  # Lambda puts /var/task first

from orders_api.function import handler

class Context:
    function_name = "OrdersApi-create"
    function_version = "$LATEST"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:OrdersApi-create"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"

responses = []
for event in json.load(open(events_file)):
    if "pathParameters" in event and event.get("httpMethod") == "GET" and responses:
        order_id = json.loads(responses[0]["body"])["orderId"]
        event["pathParameters"] = {"orderId": order_id}
        event["path"] = f"/orders/{order_id}"
    responses.append(handler.lambda_handler(event, Context()))
modules = sorted(
    {m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)}
)
print(json.dumps({"responses": responses, "module_files": modules}))
"""


@pytest.fixture
def dynamodb_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _asset_of_the_functions(synthesis: Synthesis) -> Path:
    (s3_key,) = {
        function["Properties"]["Code"]["S3Key"]
        for function in synthesis.resources("AWS::Lambda::Function").values()
    }
    return synthesis.outdir / f"asset.{s3_key.removesuffix('.zip')}"


def _cors_environment_of_the_functions(synthesis: Synthesis) -> dict[str, str]:
    """The CORS variables the stack gives the API's functions, as deployed."""
    functions = synthesis.stack.functions.route_functions().values()
    (variables,) = {
        json.dumps(
            {
                name: value
                for name, value in synthesis.template["Resources"][synthesis.logical_id(function)][
                    "Properties"
                ]["Environment"]["Variables"].items()
                if name.startswith("ORDERS_CORS_")
            },
            sort_keys=True,
        )
        for function in functions
    }
    environment: dict[str, str] = json.loads(variables)
    assert environment
    return environment


def test_the_asset_holds_the_runtime_package_parts_and_nothing_else(
    synthesis: Synthesis,
) -> None:
    asset = _asset_of_the_functions(synthesis)
    assert sorted(path.name for path in asset.iterdir()) == [PACKAGE]
    assert sorted(path.name for path in (asset / PACKAGE).iterdir()) == sorted(RUNTIME_PARTS)
    shipped = {str(path.relative_to(asset)) for path in asset.rglob("*")}
    for left_out in ("twin", "cli", "cost", "deployment", "openapi.py"):
        assert f"{PACKAGE}/{left_out}" not in shipped
    assert not any("__pycache__" in path for path in shipped)


def test_the_asset_answers_proxy_events_with_only_the_layer_and_the_runtime(
    synthesis: Synthesis, dynamodb_endpoint: str, tmp_path: Path
) -> None:
    python = lambda_like_python(ROOT / ".venv-lambda")
    client = boto3.client("dynamodb", endpoint_url=dynamodb_endpoint, region_name="us-east-1")
    client.create_table(
        TableName="Orders",
        KeySchema=[{"AttributeName": "orderId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "orderId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    post = json.loads((EVENTS / "post_orders.json").read_text())
    retry = json.loads(json.dumps(post))
    retry["headers"]["Idempotency-Key"] = "retry-7f3a"
    retry["multiValueHeaders"]["Idempotency-Key"] = ["retry-7f3a"]
    get = json.loads((EVENTS / "get_order.json").read_text())
    get["headers"]["Origin"] = DEV_ORIGIN
    get["multiValueHeaders"]["Origin"] = [DEV_ORIGIN]
    events = tmp_path / "events.json"
    events.write_text(json.dumps([post, get, retry, retry]))
    asset = _asset_of_the_functions(synthesis)
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint,
        "AWS_LAMBDA_FUNCTION_NAME": "OrdersApi-create",
        TABLE_NAME: "Orders",
        "POWERTOOLS_SERVICE_NAME": "orders-api",
        "POWERTOOLS_METRICS_NAMESPACE": "OrdersApi",
        **_cors_environment_of_the_functions(synthesis),
    }
    completed = subprocess.run(
        [str(python), "-c", DRIVER, str(asset), str(events)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    created, fetched, first_try, replay = result["responses"]

    assert created["statusCode"] == 201, created
    order = json.loads(created["body"])
    stored = client.get_item(TableName="Orders", Key={"orderId": {"S": order["orderId"]}})
    assert stored["Item"]["customerId"] == {"S": "7d0e20a8-374a-4b70-8c62-1b2d5a6f0b1e"}

    assert fetched["statusCode"] == 200, fetched
    assert json.loads(fetched["body"]) == order
    assert fetched["multiValueHeaders"]["Access-Control-Allow-Origin"] == [DEV_ORIGIN]
    assert "Access-Control-Allow-Origin" not in created["multiValueHeaders"], "no Origin sent"

    assert first_try["statusCode"] == 201, first_try
    assert replay["statusCode"] == 200, "the conditional put returned the first order"
    assert json.loads(replay["body"]) == json.loads(first_try["body"])

    _assert_only_lambda_code_was_loaded(result["module_files"], asset, python)


def _assert_only_lambda_code_was_loaded(files: list[str], asset: Path, python: Path) -> None:
    venv = python.parent.parent
    stdlib = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    outside = [
        name
        for name in files
        if not any(Path(name).is_relative_to(root) for root in (asset, venv, stdlib))
    ]
    assert outside == [], "modules loaded from outside the asset, the layer or the runtime"
    package_files = [name for name in files if f"/{PACKAGE}/" in name]
    assert package_files
    assert all(Path(name).is_relative_to(asset) for name in package_files)

"""The Lambda functions: runtime and caps from settings, least-privilege roles, own logs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from synthesized import Synthesis

from infra.asset import EVENTS_HANDLER, FULFIL_HANDLER, HANDLER
from infra.config import POWERTOOLS_LAYER_ACCOUNT, POWERTOOLS_VERSION, InfraConfig
from infra.functions import FUNCTIONS, route_functions
from orders_api.deployment.cors_policy import API_CORS
from orders_api.deployment.routes import ROUTES
from orders_api.deployment.settings import DEFAULT_SETTINGS
from orders_api.function.bootstrap import TABLE_NAME


def _functions(synthesis: Synthesis) -> dict[str, dict[str, Any]]:
    return {
        name: synthesis.template["Resources"][synthesis.logical_id(function)]
        for name, function in synthesis.stack.functions.functions.items()
    }


def _ref(synthesis: Synthesis, construct: Any) -> str:
    return synthesis.logical_id(construct)


def test_there_is_one_function_per_route_function_plus_fulfil_and_events(
    synthesis: Synthesis,
) -> None:
    assert set(synthesis.resources("AWS::Lambda::Function")) == {
        _ref(synthesis, function) for function in synthesis.stack.functions.functions.values()
    }
    assert tuple(synthesis.stack.functions.functions) == ("create", "read", "fulfil", "events")
    assert route_functions() == ("create", "read") == tuple(sorted({r.function for r in ROUTES}))
    assert set(synthesis.stack.functions.route_functions()) == set(route_functions())


def test_each_function_runs_its_own_handler(synthesis: Synthesis) -> None:
    handlers = {
        name: function["Properties"]["Handler"] for name, function in _functions(synthesis).items()
    }
    assert handlers == {
        "create": HANDLER,
        "read": HANDLER,
        "fulfil": FULFIL_HANDLER,
        "events": EVENTS_HANDLER,
    }
    assert FULFIL_HANDLER == "orders_api.function.fulfil.lambda_handler"
    assert EVENTS_HANDLER == "orders_api.function.order_events.lambda_handler"


def test_functions_run_python_on_arm64_with_memory_timeout_and_concurrency_cap_from_settings(
    synthesis: Synthesis,
) -> None:
    settings = DEFAULT_SETTINGS.function
    for function in _functions(synthesis).values():
        properties = function["Properties"]
        assert properties["Runtime"] == settings.runtime == "python3.14"
        assert properties["Architectures"] == [settings.architecture] == ["arm64"]
        assert properties["MemorySize"] == settings.memory_mb
        assert properties["Timeout"] == settings.timeout_seconds
        assert properties["ReservedConcurrentExecutions"] == settings.reserved_concurrency


def test_functions_take_the_official_layer_from_powertools_public_ssm_parameter(
    synthesis: Synthesis,
) -> None:
    # Powertools publishes /aws/service/powertools/python/<arch>/<runtime>/<version> in every
    # region (its update_ssm release workflow): CloudFormation resolves it at deploy time.
    name = f"/aws/service/powertools/python/arm64/python3.14/{POWERTOOLS_VERSION}"
    parameters = {
        key: parameter
        for key, parameter in synthesis.template["Parameters"].items()
        if parameter.get("Default") == name
    }
    assert [parameter["Type"] for parameter in parameters.values()] == [
        "AWS::SSM::Parameter::Value<String>"
    ]
    (key,) = parameters
    for function in _functions(synthesis).values():
        assert function["Properties"]["Layers"] == [{"Ref": key}]


def test_a_named_layer_version_replaces_the_parameter() -> None:
    config = InfraConfig.from_context({"powertoolsLayerVersion": "41"}.get)
    assert config.powertools_layer_arn == (
        f"arn:aws:lambda:{DEFAULT_SETTINGS.region}:{POWERTOOLS_LAYER_ACCOUNT}:layer:"
        "AWSLambdaPowertoolsPythonV3-python314-arm64:41"
    )


def test_an_account_with_no_room_can_deploy_without_reserved_concurrency() -> None:
    config = InfraConfig.from_context({"reservedConcurrency": "0"}.get)
    assert config.settings.function.reserved_concurrency == 0
    with pytest.raises(ValueError, match="reservedConcurrency"):
        InfraConfig.from_context({"reservedConcurrency": "-1"}.get)


def test_functions_find_the_table_powertools_and_cors_settings_in_their_environment(
    synthesis: Synthesis,
) -> None:
    table = {TABLE_NAME: {"Ref": synthesis.logical_id(synthesis.stack.table)}}
    powertools = {
        "POWERTOOLS_SERVICE_NAME": "orders-api",
        "POWERTOOLS_METRICS_NAMESPACE": "OrdersApi",
    }
    expected = {
        # The API's functions answer browsers: they carry the API's CORS policy.
        "create": {**table, **powertools, **API_CORS.function_environment()},
        "read": {**table, **powertools, **API_CORS.function_environment()},
        "fulfil": {**table, **powertools},
        # The enrichment reads stream records, never the table: it is not even told its name.
        "events": powertools,
    }
    for name, function in _functions(synthesis).items():
        assert function["Properties"]["Environment"]["Variables"] == expected[name]


def _role_statements(synthesis: Synthesis, name: str) -> list[dict[str, Any]]:
    role = synthesis.stack.functions.roles[name]
    properties = synthesis.template["Resources"][synthesis.logical_id(role)]["Properties"]
    assert properties["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
        }
    ]
    assert "ManagedPolicyArns" not in properties
    (policy,) = properties["Policies"]
    statements: list[dict[str, Any]] = policy["PolicyDocument"]["Statement"]
    log_group = synthesis.logical_id(synthesis.stack.functions.log_groups[name])
    assert statements[-1] == {
        "Sid": "OwnLogGroup",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Effect": "Allow",
        "Resource": {"Fn::GetAtt": [log_group, "Arn"]},
    }
    return statements[:-1]


def _table_arn(synthesis: Synthesis) -> dict[str, Any]:
    return {"Fn::GetAtt": [synthesis.logical_id(synthesis.stack.table), "Arn"]}


def _index_arn(synthesis: Synthesis, index: str) -> dict[str, Any]:
    return {"Fn::Join": ["", [_table_arn(synthesis), f"/index/{index}"]]}


def test_every_function_is_in_the_table_and_has_a_role_and_log_group(
    synthesis: Synthesis,
) -> None:
    assert set(FUNCTIONS) == set(synthesis.stack.functions.roles)
    assert set(FUNCTIONS) == set(synthesis.stack.functions.log_groups)


def test_the_create_role_may_still_only_put_an_item(synthesis: Synthesis) -> None:
    assert _role_statements(synthesis, "create") == [
        {
            "Sid": "OrdersTable",
            "Action": "dynamodb:PutItem",
            "Effect": "Allow",
            "Resource": _table_arn(synthesis),
        }
    ]


def test_the_read_role_may_get_an_item_and_query_the_customer_index_only(
    synthesis: Synthesis,
) -> None:
    assert _role_statements(synthesis, "read") == [
        {
            "Sid": "OrdersTable",
            "Action": "dynamodb:GetItem",
            "Effect": "Allow",
            "Resource": _table_arn(synthesis),
        },
        {
            "Sid": "OrdersByCustomer",
            "Action": "dynamodb:Query",
            "Effect": "Allow",
            "Resource": _index_arn(synthesis, "byCustomer"),
        },
    ]


def test_the_fulfil_role_may_update_the_status_attributes_and_nothing_else(
    synthesis: Synthesis,
) -> None:
    (statement,) = _role_statements(synthesis, "fulfil")
    assert statement["Action"] == "dynamodb:UpdateItem"
    assert statement["Resource"] == _table_arn(synthesis)
    assert statement["Effect"] == "Allow"
    conditions = statement["Condition"]
    assert conditions == {
        "ForAllValues:StringEquals": {
            "dynamodb:Attributes": ["orderId", "status", "statusChangedAt"]
        },
        # Without it, a request that named no attribute would satisfy ForAllValues.
        "Null": {"dynamodb:Attributes": "false"},
        "StringEquals": {"dynamodb:ReturnValues": ["NONE"]},
    }


def test_the_events_role_may_write_its_logs_and_touch_no_data(synthesis: Synthesis) -> None:
    assert _role_statements(synthesis, "events") == []


def test_no_role_or_group_gets_a_managed_or_attached_policy_beyond_its_own(
    synthesis: Synthesis,
) -> None:
    account_role = synthesis.logical_id(
        synthesis.stack.api.node.find_child("CloudWatchRole")  # type: ignore[arg-type]
    )
    for logical_id, role in synthesis.resources("AWS::IAM::Role").items():
        if logical_id == account_role:
            # The region's API Gateway account setting: AWS's documented policy, see the next test.
            continue
        assert "ManagedPolicyArns" not in role["Properties"]
    # Function roles carry their inline policy only: no separate policy resource is attached.
    assert synthesis.resources("AWS::IAM::Policy") == {}


def test_the_api_gateway_logging_role_may_write_every_apis_logs_as_aws_documents(
    synthesis: Synthesis,
) -> None:
    # The region's one account setting serves every REST API: a role narrowed to
    # API-Gateway-Execution-Logs_* never delivered this API's access logs, nor other APIs'.
    role = synthesis.template["Resources"][
        synthesis.logical_id(synthesis.stack.api.node.find_child("CloudWatchRole"))  # type: ignore[arg-type]
    ]
    (policy,) = role["Properties"]["ManagedPolicyArns"]
    assert "service-role/AmazonAPIGatewayPushToCloudWatchLogs" in json.dumps(policy)
    account = synthesis.only("AWS::ApiGateway::Account")
    assert "CloudWatchRoleArn" in account["Properties"]


def test_each_function_logs_to_its_own_group_with_the_configured_retention(
    synthesis: Synthesis,
) -> None:
    for name, function in _functions(synthesis).items():
        log_group = synthesis.logical_id(synthesis.stack.functions.log_groups[name])
        assert function["Properties"]["LoggingConfig"] == {"LogGroup": {"Ref": log_group}}
        retention = synthesis.template["Resources"][log_group]["Properties"]["RetentionInDays"]
        assert retention == DEFAULT_SETTINGS.observability.log_retention_days


def test_only_the_api_stage_may_invoke_each_function_for_its_own_route(
    synthesis: Synthesis,
) -> None:
    permissions = synthesis.resources("AWS::Lambda::Permission").values()
    stage = synthesis.logical_id(synthesis.stack.api.stage)
    invoked = {}
    for permission in permissions:
        properties = permission["Properties"]
        assert properties["Principal"] == "apigateway.amazonaws.com"
        assert properties["Action"] == "lambda:InvokeFunction"
        parts = properties["SourceArn"]["Fn::Join"][1]
        assert {"Ref": stage} in parts, "no test-invoke permission outside the stage"
        invoked[parts[-1]] = properties["FunctionName"]["Fn::GetAtt"][0]
    functions = synthesis.stack.functions.functions
    assert invoked == {
        f"/{route.method}{route.resource.split('{')[0]}"
        + ("*" if "{" in route.resource else ""): synthesis.logical_id(functions[route.function])
        for route in ROUTES
    }

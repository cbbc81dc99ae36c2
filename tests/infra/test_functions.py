"""The Lambda functions: runtime and caps from settings, least-privilege roles, own logs."""

from __future__ import annotations

from typing import Any

from synthesized import Synthesis

from infra.config import POWERTOOLS_LAYER_ACCOUNT, POWERTOOLS_LAYER_VERSION
from infra.functions import route_functions
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


def test_there_is_one_function_per_route_function(synthesis: Synthesis) -> None:
    assert set(synthesis.resources("AWS::Lambda::Function")) == {
        _ref(synthesis, function) for function in synthesis.stack.functions.functions.values()
    }
    assert tuple(synthesis.stack.functions.functions) == route_functions()
    assert set(route_functions()) == {route.function for route in ROUTES}


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
        assert properties["Handler"] == "orders_api.function.handler.lambda_handler"


def test_functions_use_the_official_powertools_layer_for_their_region_and_architecture(
    synthesis: Synthesis,
) -> None:
    expected = (
        f"arn:aws:lambda:{DEFAULT_SETTINGS.region}:{POWERTOOLS_LAYER_ACCOUNT}:layer:"
        f"AWSLambdaPowertoolsPythonV3-python314-arm64:{POWERTOOLS_LAYER_VERSION}"
    )
    for function in _functions(synthesis).values():
        assert function["Properties"]["Layers"] == [expected]


def test_functions_find_the_table_powertools_and_cors_settings_in_their_environment(
    synthesis: Synthesis,
) -> None:
    table = synthesis.logical_id(synthesis.stack.table)
    for function in _functions(synthesis).values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables == {
            TABLE_NAME: {"Ref": table},
            "POWERTOOLS_SERVICE_NAME": "orders-api",
            "POWERTOOLS_METRICS_NAMESPACE": "OrdersApi",
            **API_CORS.function_environment(),
        }


def test_each_role_may_do_exactly_its_one_table_action_and_write_its_own_logs(
    synthesis: Synthesis,
) -> None:
    table = synthesis.logical_id(synthesis.stack.table)
    expected_actions = {"create": "dynamodb:PutItem", "read": "dynamodb:GetItem"}
    for name, role in synthesis.stack.functions.roles.items():
        log_group = synthesis.logical_id(synthesis.stack.functions.log_groups[name])
        properties = synthesis.template["Resources"][synthesis.logical_id(role)]["Properties"]
        assert properties["AssumeRolePolicyDocument"]["Statement"] == [
            {
                "Action": "sts:AssumeRole",
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
            }
        ]
        (policy,) = properties["Policies"]
        assert policy["PolicyDocument"]["Statement"] == [
            {
                "Sid": "OrdersTable",
                "Action": expected_actions[name],
                "Effect": "Allow",
                "Resource": {"Fn::GetAtt": [table, "Arn"]},
            },
            {
                "Sid": "OwnLogGroup",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Effect": "Allow",
                "Resource": {"Fn::GetAtt": [log_group, "Arn"]},
            },
        ]
        assert "ManagedPolicyArns" not in properties


def test_no_role_or_group_gets_a_managed_or_attached_policy_beyond_its_own(
    synthesis: Synthesis,
) -> None:
    for role in synthesis.resources("AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]
    # Function roles carry their inline policy only: no separate policy resource is attached.
    assert synthesis.resources("AWS::IAM::Policy") == {}


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

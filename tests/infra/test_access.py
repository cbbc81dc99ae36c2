"""The operators group: deploy through the CDK roles, read this stack, list orders by status and
fulfil them through the fulfil function, never write orders themselves; no Scan anywhere."""

from __future__ import annotations

import json
from typing import Any

from synthesized import Synthesis

from infra.access import BOOTSTRAP_ROLES, CUSTOMER_ADMIN_ACTIONS, ORDER_WRITE_ACTIONS


def _statements(synthesis: Synthesis) -> dict[str, dict[str, Any]]:
    statements = {}
    for policy in synthesis.resources("AWS::IAM::ManagedPolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            statements[statement["Sid"]] = statement
    return statements


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def test_the_group_gets_every_right_from_customer_managed_policies(synthesis: Synthesis) -> None:
    (group_id, group) = next(iter(synthesis.resources("AWS::IAM::Group").items()))
    assert group["Properties"]["GroupName"] == "OrdersApi-operators"
    assert "ManagedPolicyArns" not in group["Properties"], "no AWS managed policy"
    assert "Policies" not in group["Properties"]
    policies = synthesis.resources("AWS::IAM::ManagedPolicy").values()
    assert len(policies) == 2
    for policy in policies:
        assert policy["Properties"]["Groups"] == [{"Ref": group_id}]
    assert synthesis.resources("AWS::IAM::User") == {}


def test_operators_deploy_only_by_assuming_the_cdk_bootstrap_roles(synthesis: Synthesis) -> None:
    statement = _statements(synthesis)["AssumeCdkBootstrapRoles"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRole"
    role_names = ["".join(str(p) for p in arn["Fn::Join"][1]) for arn in statement["Resource"]]
    assert role_names == [
        "arn:{'Ref': 'AWS::Partition'}:iam::{'Ref': 'AWS::AccountId'}:role/"
        f"cdk-hnb659fds-{role}-role-{{'Ref': 'AWS::AccountId'}}-us-east-1"
        for role in BOOTSTRAP_ROLES
    ]
    allowed = {
        action
        for s in _statements(synthesis).values()
        if s["Effect"] == "Allow"
        for action in _actions(s)
    }
    assert not any(action.startswith(("iam:", "lambda:Update", "s3:Put")) for action in allowed)


def test_operators_read_only_this_stacks_log_groups(synthesis: Synthesis) -> None:
    stack = synthesis.stack
    statement = _statements(synthesis)["ReadThisStacksLogs"]
    log_groups = [
        *stack.functions.log_groups.values(),
        stack.api.access_logs,
        stack.api.execution_logs,
        stack.protection.log_group,
    ]
    assert statement["Resource"] == [
        {"Fn::GetAtt": [synthesis.logical_id(group), "Arn"]} for group in log_groups
    ]
    assert all(action.startswith("logs:") for action in _actions(statement))
    assert set(synthesis.resources("AWS::Logs::LogGroup")) == {
        synthesis.logical_id(group) for group in log_groups
    }


def test_only_reads_without_a_resource_scope_name_every_resource(synthesis: Synthesis) -> None:
    for statement in _statements(synthesis).values():
        if statement["Resource"] == "*":
            assert statement["Effect"] == "Allow"
            for action in _actions(statement):
                assert action.split(":")[1].startswith(("Get", "List", "Stop"))


def test_operators_may_describe_the_table_but_never_write_orders(synthesis: Synthesis) -> None:
    table = {"Fn::GetAtt": [synthesis.logical_id(synthesis.stack.table), "Arn"]}
    statements = _statements(synthesis)
    assert statements["DescribeOrdersTable"]["Resource"] == table
    assert _actions(statements["DescribeOrdersTable"]) == [
        "dynamodb:DescribeTable",
        "dynamodb:DescribeContinuousBackups",
    ]
    deny = statements["NeverWriteOrders"]
    assert deny["Effect"] == "Deny"
    assert deny["Resource"] == table
    assert (
        set(_actions(deny))
        == set(ORDER_WRITE_ACTIONS)
        >= {
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
        }
    )
    allowed = {
        action
        for statement in statements.values()
        if statement["Effect"] == "Allow"
        for action in _actions(statement)
        if action.startswith("dynamodb:")
    }
    assert allowed == {
        "dynamodb:DescribeTable",
        "dynamodb:DescribeContinuousBackups",
        "dynamodb:Query",
    }


def test_operators_query_the_status_index_only(synthesis: Synthesis) -> None:
    table = {"Fn::GetAtt": [synthesis.logical_id(synthesis.stack.table), "Arn"]}
    queries = [
        statement
        for statement in _statements(synthesis).values()
        if "dynamodb:Query" in _actions(statement)
    ]
    assert queries == [_statements(synthesis)["ListOrdersByStatus"]]
    (statement,) = queries
    assert statement["Effect"] == "Allow"
    assert _actions(statement) == ["dynamodb:Query"]
    assert statement["Resource"] == {"Fn::Join": ["", [table, "/index/byStatus"]]}


def test_operators_may_invoke_the_fulfil_function_only(synthesis: Synthesis) -> None:
    fulfil = synthesis.logical_id(synthesis.stack.functions.functions["fulfil"])
    invokes = [
        statement
        for statement in _statements(synthesis).values()
        if any(action.startswith("lambda:") for action in _actions(statement))
    ]
    assert invokes == [_statements(synthesis)["ShipOrCancelOrders"]]
    (statement,) = invokes
    assert statement["Effect"] == "Allow"
    assert _actions(statement) == ["lambda:InvokeFunction"]
    assert statement["Resource"] == {"Fn::GetAtt": [fulfil, "Arn"]}


def _every_policy_statement(synthesis: Synthesis) -> list[dict[str, Any]]:
    statements = []
    for resource in synthesis.template["Resources"].values():
        properties = resource.get("Properties", {})
        documents = [properties.get("PolicyDocument"), properties.get("KeyPolicy")]
        if resource["Type"] == "AWS::IAM::Role":  # inline policies (a user pool has Policies too)
            documents += [policy["PolicyDocument"] for policy in properties.get("Policies", [])]
        for document in documents:
            if isinstance(document, dict):
                statements.extend(document["Statement"])
    assert statements
    return statements


def test_nothing_in_the_stack_may_scan_the_table(synthesis: Synthesis) -> None:
    """Listing goes through an index, for customers and operators alike: no Scan, no
    `dynamodb:*`, no action pattern that would include Scan."""
    for statement in _every_policy_statement(synthesis):
        if statement["Effect"] != "Allow":
            continue
        for action in _actions(statement):
            assert action.lower() != "dynamodb:scan"
            assert not (action.startswith("dynamodb:") and "*" in action), action
            assert action != "*"
    assert "dynamodb:Scan" not in json.dumps(synthesis.template)


def test_operators_may_create_look_up_and_delete_customers_and_nothing_more(
    synthesis: Synthesis,
) -> None:
    # `orders-api users create` calls AdminCreateUser then AdminSetUserPassword.
    statement = _statements(synthesis)["CreateCustomers"]
    assert sorted(_actions(statement)) == sorted(CUSTOMER_ADMIN_ACTIONS)
    pool = synthesis.logical_id(synthesis.stack.auth.user_pool)
    assert statement["Resource"] == {"Fn::GetAtt": [pool, "Arn"]}
    everything = [action for s in _statements(synthesis).values() for action in _actions(s)]
    cognito = {action for action in everything if action.startswith("cognito-idp:")}
    assert cognito == set(CUSTOMER_ADMIN_ACTIONS), "no sign-in, no token, no pool change"
    assert "cognito-idp:AdminDeleteUser" in cognito


def test_operators_can_list_log_groups_before_reading_one(synthesis: Synthesis) -> None:
    statement = _statements(synthesis)["ListLogGroups"]
    assert _actions(statement) == ["logs:DescribeLogGroups"]
    assert ":log-group:*" in str(statement["Resource"])

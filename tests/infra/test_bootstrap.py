"""`make bootstrap`: execution policies limited to what the template creates, a boundary on every
role of the stack, an operator boundary for engineers' users, and a script that touches AWS only
with credentials and never in CI. No network: IAM is a botocore Stubber, cdk a recorded call.

Sources: IAM and AWS STS quotas (a managed policy holds 6,144 characters, white space not
counted; five versions per managed policy),
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html; permissions
boundaries, https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html;
the API Gateway logging role's managed policy,
https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonAPIGatewayPushToCloudWatchLogs.html.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from synthesized import Synthesis

from infra import bootstrap
from infra.access import ORDER_WRITE_ACTIONS
from infra.bootstrap import (
    MANAGED_POLICY_MAX_CHARS,
    POLICY_PATH,
    RESOURCE_TYPE_SERVICES,
    Target,
    execution_policies,
    operator_boundary,
    policy_documents,
    policy_size,
    role_boundary,
    role_boundary_name,
)

ROOT = Path(__file__).resolve().parents[2]
TARGET = Target(account="123456789012", region="us-east-1")
ROLE_BOUNDARY_ARN = TARGET.policy_arn(role_boundary_name(TARGET.stack_name))

ROLE_PERMISSION_ACTIONS = {
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
}
"""Every action that gives a role permissions (IAM: condition key iam:PermissionsBoundary)."""

API_GATEWAY_LOGGING_ACTIONS = (
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
)
"""AmazonAPIGatewayPushToCloudWatchLogs, v1, as AWS publishes it (module docstring)."""


def _as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, str | dict) else list(value)


def _statements(document: dict[str, Any], effect: str = "Allow") -> list[dict[str, Any]]:
    return [s for s in document["Statement"] if s["Effect"] == effect]


def _allowed(documents: list[dict[str, Any]]) -> list[str]:
    return [a for d in documents for s in _statements(d) for a in _as_list(s["Action"])]


def _matched(action: str, patterns: list[str]) -> bool:
    return any(fnmatchcase(action.lower(), pattern.lower()) for pattern in patterns)


def _execution() -> list[dict[str, Any]]:
    return list(execution_policies(TARGET).values())


def test_every_resource_type_of_the_template_has_its_service_in_the_execution_policies(
    synthesis: Synthesis,
) -> None:
    kinds = {resource["Type"] for resource in synthesis.template["Resources"].values()}
    unmapped = kinds - set(RESOURCE_TYPE_SERVICES)
    assert not unmapped, f"new resource types: extend infra/bootstrap.py first: {unmapped}"
    services = {action.split(":")[0] for action in _allowed(_execution())}
    for kind in kinds:
        service = RESOURCE_TYPE_SERVICES[kind]
        assert service is None or service in services, f"{kind} needs {service}:* actions"


NAME_PROPERTIES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::Group": "GroupName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::CloudWatch::Dashboard": "DashboardName",
    "AWS::Events::EventBus": "Name",
    "AWS::Events::Rule": "Name",
    "AWS::Pipes::Pipe": "Name",
    "AWS::WAFv2::WebACL": "Name",
}
"""The property naming each resource the execution policies scope by name."""


def _first_literal(name: Any) -> str:
    if isinstance(name, str):
        return name
    return str(name["Fn::Join"][1][0])  # the literal head of a joined name


def test_every_resource_scoped_by_name_is_named_as_the_policies_expect(
    synthesis: Synthesis,
) -> None:
    # Without a name, CloudFormation generates one starting with the stack's name (Name type,
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-name.html).
    assert synthesis.stack.stack_name == TARGET.stack_name
    allowed = (TARGET.prefix, "API-Gateway-", f"aws-waf-logs-{TARGET.stack_name}")
    for logical_id, resource in synthesis.template["Resources"].items():
        key = NAME_PROPERTIES.get(resource["Type"])
        properties = resource.get("Properties", {})
        if key is None or key not in properties:
            continue
        assert _first_literal(properties[key]).startswith(allowed), logical_id
    budget = synthesis.only("AWS::Budgets::Budget")["Properties"]["Budget"]["BudgetName"]
    assert budget.startswith(TARGET.prefix)


def test_the_execution_policies_name_every_action_and_no_service_wholesale() -> None:
    for action in _allowed(_execution()):
        assert action != "*"
        assert not action.endswith(":*"), action
        assert "*" not in action, f"{action}: name each action"


def test_cloudformation_may_never_read_write_or_delete_orders() -> None:
    forbidden = {
        *ORDER_WRITE_ACTIONS,
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:Scan",
        "dynamodb:BatchGetItem",
        "dynamodb:DeleteTable",
        "cognito-idp:DeleteUserPool",
    }
    assert forbidden.isdisjoint(_allowed(_execution()))


def test_roles_get_permissions_only_while_they_carry_the_role_boundary() -> None:
    seen = set()
    for document in _execution():
        for statement in _statements(document):
            actions = set(_as_list(statement["Action"])) & ROLE_PERMISSION_ACTIONS
            if not actions:
                continue
            seen |= actions
            condition = statement["Condition"]["StringEquals"]
            assert condition == {"iam:PermissionsBoundary": ROLE_BOUNDARY_ARN}, statement["Sid"]
            assert statement["Resource"] == "arn:aws:iam::123456789012:role/OrdersApi-*"
    assert seen == ROLE_PERMISSION_ACTIONS


def test_roles_are_passed_only_to_the_stacks_services_and_no_user_is_touched() -> None:
    allowed = _allowed(_execution())
    (pass_role,) = [
        s for d in _execution() for s in _statements(d) if "iam:PassRole" in s["Action"]
    ]
    assert pass_role["Condition"]["StringEquals"]["iam:PassedToService"] == [
        "lambda.amazonaws.com",
        "apigateway.amazonaws.com",
        "pipes.amazonaws.com",
    ]
    assert not [a for a in allowed if a.startswith("iam:") and "User" in a], "no IAM user"
    assert "iam:PutGroupPolicy" not in allowed


def test_the_group_gets_only_the_stacks_own_managed_policies() -> None:
    (attach,) = [
        s for d in _execution() for s in _statements(d) if "iam:AttachGroupPolicy" in s["Action"]
    ]
    assert attach["Condition"] == {
        "ArnLike": {"iam:PolicyARN": "arn:aws:iam::123456789012:policy/OrdersApi-*"}
    }
    # ... and the bootstrap's own policies are beyond any template's reach.
    stack_policies = "arn:aws:iam::123456789012:policy/OrdersApi-*"
    assert not fnmatchcase(ROLE_BOUNDARY_ARN, stack_policies)
    denied = [s for d in _execution() for s in _statements(d, "Deny")]
    assert any(
        f"arn:aws:iam::123456789012:policy{POLICY_PATH}*" in s["Resource"]
        and "iam:CreatePolicyVersion" in s["Action"]
        and "iam:DeleteRolePermissionsBoundary" in s["Action"]
        for s in denied
    )


def test_the_role_boundary_denies_privilege_escalation_and_allows_no_iam() -> None:
    document = role_boundary(TARGET)
    (deny,) = [s for s in _statements(document, "Deny") if s["Resource"] == "*"]
    assert {"iam:*", "sts:AssumeRole", "organizations:*"} <= set(deny["Action"])
    assert not [a for a in _allowed([document]) if a.startswith(("iam:", "sts:"))]
    (tables,) = [s for s in _statements(document, "Deny") if s["Resource"] != "*"]
    assert {"dynamodb:Scan", "dynamodb:DeleteTable", "dynamodb:DeleteItem"} <= set(tables["Action"])


def test_every_role_of_the_stack_carries_the_role_boundary(synthesis: Synthesis) -> None:
    roles = synthesis.resources("AWS::IAM::Role")
    assert roles
    for logical_id, role in roles.items():
        boundary = json.dumps(role["Properties"].get("PermissionsBoundary"))
        assert f"policy{POLICY_PATH}{role_boundary_name(TARGET.stack_name)}" in boundary, logical_id


def test_the_role_boundary_leaves_every_role_what_the_stack_grants_it(
    synthesis: Synthesis,
) -> None:
    ceiling = _allowed([role_boundary(TARGET)])
    granted = [
        action
        for role in synthesis.resources("AWS::IAM::Role").values()
        for policy in role["Properties"].get("Policies", [])
        for statement in _statements(policy["PolicyDocument"])
        for action in _as_list(statement["Action"])
    ]
    granted += [
        action
        for policy in synthesis.resources("AWS::IAM::Policy").values()
        for statement in _statements(policy["Properties"]["PolicyDocument"])
        for action in _as_list(statement["Action"])
    ]
    managed = json.dumps(
        [
            r["Properties"].get("ManagedPolicyArns")
            for r in synthesis.resources("AWS::IAM::Role").values()
        ]
    )
    if "AmazonAPIGatewayPushToCloudWatchLogs" in managed:
        granted += API_GATEWAY_LOGGING_ACTIONS
    assert granted
    assert [action for action in granted if not _matched(action, ceiling)] == []


def test_the_operator_boundary_keeps_what_the_group_grants_and_the_deny_on_orders(
    synthesis: Synthesis,
) -> None:
    document = operator_boundary(TARGET)
    ceiling = _allowed([document])
    granted = [
        action
        for policy in synthesis.resources("AWS::IAM::ManagedPolicy").values()
        for statement in _statements(policy["Properties"]["PolicyDocument"])
        for action in _as_list(statement["Action"])
    ]
    assert granted
    assert [action for action in granted if not _matched(action, ceiling)] == []
    (deny,) = _statements(document, "Deny")
    assert set(ORDER_WRITE_ACTIONS) <= set(deny["Action"])
    # An engineer may manage their own credentials, never a policy, boundary or group.
    escalations = ("Policy", "Boundary", "Group", "Role")
    assert not [
        a
        for a in ceiling
        if a.startswith("iam:") and not a.startswith("iam:Get") and any(e in a for e in escalations)
    ]


def test_each_document_is_json_within_iams_managed_policy_quota(tmp_path: Path) -> None:
    written = bootstrap.write_documents(TARGET, tmp_path)
    assert len(written) == 5
    for path in written:
        text = path.read_text(encoding="utf-8")
        document = json.loads(text)
        assert document["Version"] == "2012-10-17"
        assert policy_size(document) <= MANAGED_POLICY_MAX_CHARS, path.name
        # IAM accepts tab, line feed, carriage return and U+0020..U+00FF (same quotas page).
        assert all(c in "\t\n\r" or 0x20 <= ord(c) <= 0xFF for c in text)
        sids = [s["Sid"] for s in document["Statement"]]
        assert len(sids) == len(set(sids))


def test_policy_size_does_not_count_white_space() -> None:
    assert policy_size({"a": "b"}) == len('{"a":"b"}')


def _no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "CI",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-metadata call


def _never_run(*args: Any, **kwargs: Any) -> None:
    raise AssertionError(f"nothing may run: {args}")


def test_the_bootstrap_refuses_to_run_without_credentials(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _no_credentials(monkeypatch, tmp_path)
    monkeypatch.setattr(subprocess, "run", _never_run)
    assert bootstrap.main(["--deploy", "--write", str(tmp_path / "out")]) == 2
    assert "no AWS credentials" in capsys.readouterr().err


def test_the_bootstrap_refuses_to_run_in_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _no_credentials(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(subprocess, "run", _never_run)
    assert bootstrap.main(["--deploy"]) == 2
    assert "CI" in capsys.readouterr().err


def _iam() -> Any:
    return boto3.client(
        "iam",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="not-a-secret",
    )


def test_the_bootstrap_creates_each_policy_then_runs_cdk_bootstrap_with_them() -> None:
    iam = _iam()
    calls: list[list[str]] = []
    with Stubber(iam) as stub:
        for name, document in policy_documents(TARGET).items():
            arn = TARGET.policy_arn(name)
            stub.add_client_error(
                "get_policy",
                "NoSuchEntity",
                http_status_code=404,
                expected_params={"PolicyArn": arn},
            )
            stub.add_response(
                "create_policy",
                {"Policy": {"PolicyName": name, "Arn": arn}},
                {
                    "PolicyName": name,
                    "Path": POLICY_PATH,
                    "PolicyDocument": json.dumps(document),
                    "Description": f"OrdersApi bootstrap (make bootstrap): {name}",
                },
            )

        def run(command: list[str], *, check: bool) -> None:
            stub.assert_no_pending_responses()  # every policy exists before the bootstrap
            assert check
            calls.append(command)

        bootstrap.deploy(iam=iam, t=TARGET, cdk=["npx", "--yes", "aws-cdk@2"], run=run)
    prefix = "arn:aws:iam::123456789012:policy/orders-api-bootstrap/"
    assert calls == [
        [
            "npx",
            "--yes",
            "aws-cdk@2",
            "bootstrap",
            "aws://123456789012/us-east-1",
            "--qualifier",
            "hnb659fds",
            "--cloudformation-execution-policies",
            f"{prefix}OrdersApiExecData,{prefix}OrdersApiExecEdge,{prefix}OrdersApiExecIam",
        ]
    ]


def _version(number: int, *, default: bool = False) -> dict[str, Any]:
    return {
        "VersionId": f"v{number}",
        "IsDefaultVersion": default,
        "CreateDate": datetime(2026, 1, number, tzinfo=UTC),
    }


def test_a_changed_policy_gets_a_new_default_version_and_loses_its_oldest_of_five() -> None:
    iam = _iam()
    name = role_boundary_name(TARGET.stack_name)
    arn = TARGET.policy_arn(name)
    document = role_boundary(TARGET)
    with Stubber(iam) as stub:
        stub.add_response("get_policy", {"Policy": {"Arn": arn}}, {"PolicyArn": arn})
        versions = [_version(3), _version(2), _version(5, default=True), _version(4), _version(1)]
        stub.add_response("list_policy_versions", {"Versions": versions}, {"PolicyArn": arn})
        stub.add_response(
            "get_policy_version",
            {"PolicyVersion": {"Document": json.dumps({"Version": "2012-10-17", "Statement": []})}},
            {"PolicyArn": arn, "VersionId": "v5"},
        )
        stub.add_response("delete_policy_version", {}, {"PolicyArn": arn, "VersionId": "v1"})
        stub.add_response(
            "create_policy_version",
            {"PolicyVersion": {"VersionId": "v6", "IsDefaultVersion": True}},
            {"PolicyArn": arn, "PolicyDocument": json.dumps(document), "SetAsDefault": True},
        )
        assert bootstrap.upsert_policy(iam, TARGET, name, document) == arn
        stub.assert_no_pending_responses()


def test_an_unchanged_policy_is_left_as_it_is() -> None:
    iam = _iam()
    name = role_boundary_name(TARGET.stack_name)
    arn = TARGET.policy_arn(name)
    document = role_boundary(TARGET)
    with Stubber(iam) as stub:
        stub.add_response("get_policy", {"Policy": {"Arn": arn}}, {"PolicyArn": arn})
        stub.add_response(
            "list_policy_versions", {"Versions": [_version(1, default=True)]}, {"PolicyArn": arn}
        )
        stub.add_response(
            "get_policy_version",
            {"PolicyVersion": {"Document": json.dumps(document)}},
            {"PolicyArn": arn, "VersionId": "v1"},
        )
        bootstrap.upsert_policy(iam, TARGET, name, document)
        stub.assert_no_pending_responses()


def test_make_bootstrap_runs_the_script_and_make_test_never_does(tmp_path: Path) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")

    def planned(target: str) -> str:
        return subprocess.run(
            ["make", "-n", target, f"VENV={tmp_path / 'venv'}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout

    assert '-m infra.bootstrap --deploy --write cdk.out/bootstrap --cdk "npx' in planned(
        "bootstrap"
    )
    assert "infra.bootstrap" not in planned("test")

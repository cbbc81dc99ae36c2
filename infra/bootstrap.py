"""A `cdk bootstrap` that does not hand deployers AdministratorAccess (`make bootstrap`).

A default bootstrap gives CloudFormation's execution role `AdministratorAccess`, and whoever may
assume the deploy role may have CloudFormation do anything with it. This module writes, instead:

- three customer-managed **execution policies** (`--cloudformation-execution-policies`), which
  allow the actions CloudFormation needs for the resource types this stack's template holds
  (`RESOURCE_TYPE_SERVICES`), on resources named after the stack (`OrdersApi-*`) wherever IAM
  can scope by name. They allow no item read or write on any table, no table or user-pool
  deletion (both are retained), and IAM only as below;
- a **role boundary**: the execution policies let CloudFormation create a role, or give a role a
  policy, only when the role carries this boundary (condition `iam:PermissionsBoundary`), and the
  stack applies it to every role it defines (`infra/stack.py`). Whatever policy a template gives a
  role, the role can do no more than the boundary allows: what the stack's functions, pipes and
  API Gateway logging need, and explicitly never IAM, STS role chaining, Organizations or a bulk
  read, delete or rewrite of a table;
- an **operator boundary**, for the engineers' IAM users (`aws iam put-user-permissions-boundary`):
  groups take no boundary, so a template could rewrite the operators group's managed policies;
  the user boundary caps what any such policy can give an engineer at what `infra/access.py`
  grants, and keeps the explicit deny on order writes.

The five documents live under the IAM path `/orders-api-bootstrap/`, which no policy the stack
may write matches. `python -m infra.bootstrap --write DIR` writes them as JSON and touches no
AWS; `--deploy` then creates or updates them with the caller's credentials and runs
`cdk bootstrap`. Sizes: a managed policy may hold 6,144 characters, white space not counted
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from aws_cdk import Aws

from infra.access import (
    BOOTSTRAP_ROLES,
    CUSTOMER_ADMIN_ACTIONS,
    LOG_READ_ACTIONS,
    METRIC_READ_ACTIONS,
    ORDER_WRITE_ACTIONS,
)
from infra.config import POWERTOOLS_LAYER_ACCOUNT, PROJECT_TAGS, InfraConfig
from orders_api.adapters.table_layout import STATUS_INDEX

POLICY_PATH = "/orders-api-bootstrap/"
"""The IAM path of the bootstrap's policies: the stack's own policies (`OrdersApi-*`, path `/`)
can never name it, so no template can rewrite the policies that bound it."""

MANAGED_POLICY_MAX_CHARS = 6144
"""IAM's quota on a managed policy document, white space not counted (IAM and AWS STS quotas,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)."""

MAX_POLICY_VERSIONS = 5
"""A managed policy keeps at most five versions (same page): the oldest non-default one goes."""

RESOURCE_TYPE_SERVICES: Mapping[str, str | None] = {
    "AWS::ApiGateway::Account": "apigateway",
    "AWS::ApiGateway::Authorizer": "apigateway",
    "AWS::ApiGateway::Deployment": "apigateway",
    "AWS::ApiGateway::GatewayResponse": "apigateway",
    "AWS::ApiGateway::Method": "apigateway",
    "AWS::ApiGateway::Model": "apigateway",
    "AWS::ApiGateway::RequestValidator": "apigateway",
    "AWS::ApiGateway::Resource": "apigateway",
    "AWS::ApiGateway::RestApi": "apigateway",
    "AWS::ApiGateway::Stage": "apigateway",
    "AWS::Budgets::Budget": "budgets",
    "AWS::CloudWatch::Alarm": "cloudwatch",
    "AWS::CloudWatch::Dashboard": "cloudwatch",
    "AWS::Cognito::UserPool": "cognito-idp",
    "AWS::Cognito::UserPoolClient": "cognito-idp",
    "AWS::DynamoDB::Table": "dynamodb",
    "AWS::Events::EventBus": "events",
    "AWS::Events::Rule": "events",
    "AWS::IAM::Group": "iam",
    "AWS::IAM::ManagedPolicy": "iam",
    "AWS::IAM::Policy": "iam",
    "AWS::IAM::Role": "iam",
    "AWS::KMS::Key": "kms",
    "AWS::Lambda::Function": "lambda",
    "AWS::Lambda::Permission": "lambda",
    "AWS::Logs::LogGroup": "logs",
    "AWS::Pipes::Pipe": "pipes",
    "AWS::SNS::Subscription": "sns",
    "AWS::SNS::Topic": "sns",
    "AWS::SNS::TopicPolicy": "sns",
    "AWS::SQS::Queue": "sqs",
    "AWS::SQS::QueuePolicy": "sqs",
    "AWS::WAFv2::LoggingConfiguration": "wafv2",
    "AWS::WAFv2::WebACL": "wafv2",
    "AWS::WAFv2::WebACLAssociation": "wafv2",
    "AWS::CDK::Metadata": None,  # CloudFormation keeps it itself: no service call
}
"""Each resource type the template may hold, and the IAM service prefix CloudFormation needs
for it. A type missing here fails `tests/infra/test_bootstrap.py`: extend the policies first."""

PASSED_TO_SERVICES = ("lambda.amazonaws.com", "apigateway.amazonaws.com", "pipes.amazonaws.com")
"""The services the stack's roles are passed to (functions, the API's logging role, pipes)."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where the policies apply: one account and region, one stack, one bootstrap qualifier."""

    account: str
    region: str
    partition: str = "aws"
    stack_name: str = InfraConfig().stack_name
    qualifier: str = InfraConfig().bootstrap_qualifier
    tag_key: str = next(iter(PROJECT_TAGS))
    tag_value: str = PROJECT_TAGS[next(iter(PROJECT_TAGS))]

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:{self.partition}:{service}:{self.region if region else ''}:"
            f"{self.account if account else ''}:{resource}"
        )

    def policy_arn(self, name: str) -> str:
        return self.arn("iam", f"policy{POLICY_PATH}{name}", region=False)

    @property
    def prefix(self) -> str:
        return f"{self.stack_name}-"


def role_boundary_name(stack_name: str) -> str:
    return f"{stack_name}RoleBoundary"


def operator_boundary_name(stack_name: str) -> str:
    return f"{stack_name}OperatorBoundary"


def execution_policy_names(stack_name: str) -> tuple[str, str, str]:
    return (f"{stack_name}ExecData", f"{stack_name}ExecEdge", f"{stack_name}ExecIam")


def role_boundary_arn_token(stack_name: str) -> str:
    """The role boundary's ARN as the stack names it (partition and account resolved by
    CloudFormation), for `iam.PermissionsBoundary.of(stack)`."""
    return (
        f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:policy{POLICY_PATH}"
        f"{role_boundary_name(stack_name)}"
    )


def _statement(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[str],
    *,
    effect: str = "Allow",
    condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": effect,
        "Action": sorted(actions),
        "Resource": list(resources) if len(resources) != 1 else resources[0],
    }
    if condition:
        statement["Condition"] = condition
    return statement


def _document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _tables(t: Target) -> list[str]:
    table = t.arn("dynamodb", f"table/{t.prefix}*")
    return [table, f"{table}/index/*", f"{table}/stream/*"]


def _tagged(t: Target, key: str = "aws:ResourceTag") -> dict[str, Any]:
    return {"StringEquals": {f"{key}/{t.tag_key}": t.tag_value}}


def _data_policy(t: Target) -> dict[str, Any]:
    """Storage, compute and messaging: table, functions, log groups, queue, topics, key."""
    p = t.prefix
    return _document(
        _statement(
            # No DeleteTable (the table is retained), no item or PartiQL action, no import,
            # restore or export: CloudFormation never needs the orders themselves.
            "OrdersTable",
            [
                "dynamodb:CreateTable",
                "dynamodb:UpdateTable",
                "dynamodb:DescribeTable",
                "dynamodb:DescribeContinuousBackups",
                "dynamodb:UpdateContinuousBackups",
                "dynamodb:DescribeTimeToLive",
                "dynamodb:UpdateTimeToLive",
                "dynamodb:DescribeContributorInsights",
                "dynamodb:DescribeKinesisStreamingDestination",
                "dynamodb:GetResourcePolicy",
                "dynamodb:DescribeStream",
                "dynamodb:ListTagsOfResource",
                "dynamodb:TagResource",
                "dynamodb:UntagResource",
            ],
            _tables(t),
        ),
        _statement(
            "Functions",
            [
                "lambda:CreateFunction",
                "lambda:DeleteFunction",
                "lambda:GetFunction",
                "lambda:GetFunctionConfiguration",
                "lambda:UpdateFunctionCode",
                "lambda:UpdateFunctionConfiguration",
                "lambda:PutFunctionConcurrency",
                "lambda:DeleteFunctionConcurrency",
                "lambda:GetFunctionCodeSigningConfig",
                "lambda:GetRuntimeManagementConfig",
                "lambda:GetFunctionConcurrency",
                "lambda:GetFunctionRecursionConfig",
                "lambda:PutFunctionRecursionConfig",
                "lambda:AddPermission",
                "lambda:RemovePermission",
                "lambda:GetPolicy",
                "lambda:ListTags",
                "lambda:TagResource",
                "lambda:UntagResource",
            ],
            [t.arn("lambda", f"function:{p}*")],
        ),
        _statement(
            # CreateFunction needs GetLayerVersion on each layer: only the official Powertools
            # layers, so no template can load code from another account's layer.
            "PowertoolsLayerOnly",
            ["lambda:GetLayerVersion"],
            [
                f"arn:{t.partition}:lambda:{t.region}:{POWERTOOLS_LAYER_ACCOUNT}:layer:"
                "AWSLambdaPowertoolsPythonV3-*"
            ],
        ),
        _statement(
            # Lambda reads the function's zip with the caller's rights.
            "ReadCdkAssets",
            ["s3:GetObject", "s3:GetObjectVersion"],
            [f"arn:{t.partition}:s3:::cdk-{t.qualifier}-assets-{t.account}-{t.region}/*"],
        ),
        _statement(
            # The stack's log groups: generated `OrdersApi-...` names, API Gateway's execution
            # log group and WAF's `aws-waf-logs-` group.
            "LogGroups",
            [
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:PutRetentionPolicy",
                "logs:DeleteRetentionPolicy",
                "logs:ListTagsForResource",
                "logs:ListTagsLogGroup",
                "logs:TagResource",
                "logs:UntagResource",
                "logs:TagLogGroup",
                "logs:UntagLogGroup",
            ],
            [
                t.arn("logs", f"log-group:{name}*")
                for name in (p, "API-Gateway-", f"aws-waf-logs-{t.stack_name}")
            ],
        ),
        _statement(
            # WAF's log delivery to CloudWatch Logs ("Logs sent to CloudWatch Logs",
            # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-CWL.html):
            # the delivery actions take no narrower resource ...
            "LogDelivery",
            [
                "logs:CreateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:GetLogDelivery",
                "logs:ListLogDeliveries",
                "logs:UpdateLogDelivery",
            ],
            ["*"],
        ),
        _statement(
            # ... and the resource-policy ones must name every log group of the account.
            "LogResourcePolicy",
            ["logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"],
            [t.arn("logs", "*")],
        ),
        _statement(
            "DeadLetterQueue",
            [
                "sqs:CreateQueue",
                "sqs:DeleteQueue",
                "sqs:GetQueueAttributes",
                "sqs:SetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ListQueueTags",
                "sqs:TagQueue",
                "sqs:UntagQueue",
            ],
            [t.arn("sqs", f"{p}*")],
        ),
        _statement(
            "Topics",
            [
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:GetTopicAttributes",
                "sns:SetTopicAttributes",
                "sns:Subscribe",
                "sns:Unsubscribe",
                "sns:GetSubscriptionAttributes",
                "sns:ListSubscriptionsByTopic",
                "sns:GetDataProtectionPolicy",
                "sns:ListTagsForResource",
                "sns:TagResource",
                "sns:UntagResource",
            ],
            [t.arn("sns", f"{p}*")],
        ),
        _statement(
            # A new key has no name to scope by: it must be created with the project's tag.
            "CreateTaggedKey",
            ["kms:CreateKey", "kms:TagResource"],
            ["*"],
            condition=_tagged(t, "aws:RequestTag"),
        ),
        _statement(
            # Existing keys: only those carrying the project's tag.
            "ManageTaggedKeys",
            [
                "kms:DescribeKey",
                "kms:GetKeyPolicy",
                "kms:PutKeyPolicy",
                "kms:EnableKeyRotation",
                "kms:GetKeyRotationStatus",
                "kms:ListResourceTags",
                "kms:UntagResource",
                "kms:UpdateKeyDescription",
                "kms:ScheduleKeyDeletion",
            ],
            [t.arn("kms", "key/*")],
            condition=_tagged(t),
        ),
    )


def _edge_policy(t: Target) -> dict[str, Any]:
    """The request path and what watches it: API Gateway, Cognito, WAF, CloudWatch, Budgets,
    EventBridge, Pipes, and the SSM parameters CloudFormation resolves."""
    p = t.prefix
    apigateway = f"arn:{t.partition}:apigateway:{t.region}::"
    return _document(
        _statement(
            # API Gateway's IAM actions are HTTP verbs on paths; REST API ids are generated,
            # so the scope is this region's REST APIs, the account setting and tags.
            "RestApi",
            [
                "apigateway:GET",
                "apigateway:POST",
                "apigateway:PUT",
                "apigateway:PATCH",
                "apigateway:DELETE",
                "apigateway:SetWebACL",
            ],
            [f"{apigateway}{path}" for path in ("/restapis", "/restapis/*", "/account", "/tags/*")],
        ),
        _statement(
            "CreateUserPool",
            ["cognito-idp:CreateUserPool"],
            ["*"],
        ),
        _statement(
            # No DeleteUserPool: the pool is retained, with deletion protection.
            "UserPool",
            [
                "cognito-idp:DescribeUserPool",
                "cognito-idp:UpdateUserPool",
                "cognito-idp:GetUserPoolMfaConfig",
                "cognito-idp:SetUserPoolMfaConfig",
                "cognito-idp:CreateUserPoolClient",
                "cognito-idp:DescribeUserPoolClient",
                "cognito-idp:UpdateUserPoolClient",
                "cognito-idp:DeleteUserPoolClient",
                "cognito-idp:ListTagsForResource",
                "cognito-idp:TagResource",
                "cognito-idp:UntagResource",
            ],
            [t.arn("cognito-idp", "userpool/*")],
        ),
        _statement(
            "WebAcl",
            [
                "wafv2:CreateWebACL",
                "wafv2:UpdateWebACL",
                "wafv2:DeleteWebACL",
                "wafv2:GetWebACL",
                "wafv2:AssociateWebACL",
                "wafv2:DisassociateWebACL",
                "wafv2:GetWebACLForResource",
                "wafv2:PutLoggingConfiguration",
                "wafv2:DeleteLoggingConfiguration",
                "wafv2:GetLoggingConfiguration",
                "wafv2:ListTagsForResource",
                "wafv2:TagResource",
                "wafv2:UntagResource",
            ],
            [
                t.arn("wafv2", f"regional/webacl/{p}*/*"),
                t.arn("wafv2", "regional/managedruleset/*/*"),
                f"{apigateway}/restapis/*/stages/*",
            ],
        ),
        _statement(
            "AlarmsAndDashboard",
            [
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:DeleteAlarms",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:PutDashboard",
                "cloudwatch:DeleteDashboards",
                "cloudwatch:GetDashboard",
                "cloudwatch:ListTagsForResource",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
            ],
            [
                t.arn("cloudwatch", f"alarm:{p}*"),
                t.arn("cloudwatch", f"dashboard/{p}*", region=False),
            ],
        ),
        _statement(
            "Budget",
            [
                "budgets:ModifyBudget",
                "budgets:ViewBudget",
                "budgets:ListTagsForResource",
                "budgets:TagResource",
                "budgets:UntagResource",
            ],
            [t.arn("budgets", f"budget/{p}*", region=False)],
        ),
        _statement(
            # The stack's bus, and rules on that bus only (a default-bus rule could run a
            # schedule; `rule/<bus>/<name>` is a rule of a custom bus).
            "EventBusAndRules",
            [
                "events:CreateEventBus",
                "events:DeleteEventBus",
                "events:DescribeEventBus",
                "events:UpdateEventBus",
                "events:PutRule",
                "events:DeleteRule",
                "events:DescribeRule",
                "events:EnableRule",
                "events:DisableRule",
                "events:PutTargets",
                "events:RemoveTargets",
                "events:ListTargetsByRule",
                "events:ListTagsForResource",
                "events:TagResource",
                "events:UntagResource",
            ],
            [t.arn("events", f"event-bus/{p}*"), t.arn("events", f"rule/{p}*/*")],
        ),
        _statement(
            "Pipes",
            [
                "pipes:CreatePipe",
                "pipes:UpdatePipe",
                "pipes:DeletePipe",
                "pipes:DescribePipe",
                "pipes:StartPipe",
                "pipes:StopPipe",
                "pipes:ListTagsForResource",
                "pipes:TagResource",
                "pipes:UntagResource",
            ],
            [t.arn("pipes", f"pipe/{p}*")],
        ),
        _statement(
            # The template's SSM parameters: Powertools' public layer ARN, CDK's version check.
            "ResolveParameters",
            ["ssm:GetParameters", "ssm:GetParameter"],
            [
                t.arn("ssm", "parameter/aws/service/powertools/*", account=False),
                t.arn("ssm", f"parameter/cdk-bootstrap/{t.qualifier}/version"),
            ],
        ),
    )


def _iam_policy(t: Target) -> dict[str, Any]:
    """IAM, the escalation path: roles only with the role boundary, passed only to the stack's
    services; managed policies and the group only under the stack's names."""
    p = t.prefix
    role = t.arn("iam", f"role/{p}*", region=False)
    policy = t.arn("iam", f"policy/{p}*", region=False)
    group = t.arn("iam", f"group/{p}*", region=False)
    boundary = t.policy_arn(role_boundary_name(t.stack_name))
    bounded = {"StringEquals": {"iam:PermissionsBoundary": boundary}}
    return _document(
        _statement(
            # Each of these acts on a role's permissions, and IAM lets a policy demand that the
            # role carry a given boundary while they happen (condition key iam:PermissionsBoundary).
            "RolesOnlyWithTheBoundary",
            [
                "iam:CreateRole",
                "iam:PutRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:AttachRolePolicy",
                "iam:DetachRolePolicy",
                "iam:PutRolePermissionsBoundary",
            ],
            [role],
            condition=bounded,
        ),
        _statement(
            "Roles",
            [
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
                "iam:UpdateAssumeRolePolicy",
                "iam:DeleteRole",
                "iam:ListRoleTags",
                "iam:TagRole",
                "iam:UntagRole",
            ],
            [role],
        ),
        _statement(
            "PassRolesToTheStacksServices",
            ["iam:PassRole"],
            [role],
            condition={"StringEquals": {"iam:PassedToService": list(PASSED_TO_SERVICES)}},
        ),
        _statement(
            "ManagedPolicies",
            [
                "iam:CreatePolicy",
                "iam:CreatePolicyVersion",
                "iam:DeletePolicy",
                "iam:DeletePolicyVersion",
                "iam:GetPolicy",
                "iam:GetPolicyVersion",
                "iam:ListPolicyVersions",
                "iam:ListEntitiesForPolicy",
                "iam:TagPolicy",
                "iam:UntagPolicy",
            ],
            [policy],
        ),
        _statement(
            "Group",
            [
                "iam:CreateGroup",
                "iam:DeleteGroup",
                "iam:GetGroup",
                "iam:ListAttachedGroupPolicies",
                "iam:ListGroupPolicies",
            ],
            [group],
        ),
        _statement(
            # Groups take no boundary: only the stack's own managed policies, never an AWS
            # managed one such as AdministratorAccess, and no inline group policy at all.
            "GroupPoliciesOfThisStackOnly",
            ["iam:AttachGroupPolicy", "iam:DetachGroupPolicy"],
            [group],
            condition={"ArnLike": {"iam:PolicyARN": policy}},
        ),
        _statement(
            "NeverLiftABoundaryOrRewriteTheBootstrap",
            [
                "iam:DeleteRolePermissionsBoundary",
                "iam:DeleteUserPermissionsBoundary",
                "iam:CreatePolicyVersion",
                "iam:DeletePolicy",
                "iam:DeletePolicyVersion",
                "iam:SetDefaultPolicyVersion",
            ],
            [
                t.arn("iam", resource, region=False)
                for resource in ("role/*", "user/*", f"policy{POLICY_PATH}*")
            ],
            effect="Deny",
        ),
    )


TABLE_DESTRUCTIVE_ACTIONS = (
    *ORDER_WRITE_ACTIONS,
    "dynamodb:Scan",
    "dynamodb:DeleteTable",
    "dynamodb:UpdateTable",
    "dynamodb:ExportTableToPointInTime",
    "dynamodb:RestoreTableFromBackup",
    "dynamodb:CreateBackup",
    "dynamodb:DeleteBackup",
    "dynamodb:PutResourcePolicy",
)
"""What no role of the stack needs on any table: bulk reads, deletes, restores, exports."""

ESCALATION_ACTIONS = (
    "iam:*",
    "sts:AssumeRole",
    "sts:AssumeRoleWithWebIdentity",
    "organizations:*",
    "account:*",
)
"""What no role of the stack needs, and any escalation would: IAM, role chaining, the
organization and the account."""


def role_boundary(t: Target) -> dict[str, Any]:
    """The ceiling of every role the stack creates (functions, pipes, API Gateway logging)."""
    p = t.prefix
    table = t.arn("dynamodb", f"table/{p}*")
    return _document(
        _statement(
            "Logging",
            [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams",
                "logs:GetLogEvents",
                "logs:FilterLogEvents",
            ],
            [t.arn("logs", "log-group:*")],
        ),
        _statement(
            "OrderItems",
            ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"],
            [table, f"{table}/index/*"],
        ),
        _statement(
            "OrderStream",
            [
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
            ],
            [f"{table}/stream/*"],
        ),
        _statement("ListStreams", ["dynamodb:ListStreams"], ["*"]),
        _statement(
            "InvokeFunctions", ["lambda:InvokeFunction"], [t.arn("lambda", f"function:{p}*")]
        ),
        _statement("PutEvents", ["events:PutEvents"], [t.arn("events", f"event-bus/{p}*")]),
        _statement("DeadLetters", ["sqs:SendMessage"], [t.arn("sqs", f"{p}*")]),
        _statement(
            "UseTheProjectsKey",
            ["kms:Decrypt", "kms:GenerateDataKey"],
            [t.arn("kms", "key/*")],
            condition=_tagged(t),
        ),
        _statement("NeverEscalate", ESCALATION_ACTIONS, ["*"], effect="Deny"),
        _statement(
            "NeverBulkReadOrDestroyTables",
            TABLE_DESTRUCTIVE_ACTIONS,
            [t.arn("dynamodb", "table/*")],
            effect="Deny",
        ),
    )


def operator_boundary(t: Target) -> dict[str, Any]:
    """The ceiling of an engineer's IAM user: what `infra/access.py` grants the group, the
    self-service an IAM user needs, and the deny on order writes."""
    p = t.prefix
    table = t.arn("dynamodb", f"table/{p}*")
    own = "${aws:username}"
    return _document(
        _statement(
            "AssumeCdkBootstrapRoles",
            ["sts:AssumeRole"],
            [
                t.arn(
                    "iam",
                    f"role/cdk-{t.qualifier}-{name}-role-{t.account}-{t.region}",
                    region=False,
                )
                for name in BOOTSTRAP_ROLES
            ],
        ),
        _statement(
            "ReadTheStack",
            [
                "cloudformation:DescribeStacks",
                "cloudformation:DescribeStackEvents",
                "cloudformation:GetTemplate",
            ],
            [t.arn("cloudformation", f"stack/{t.stack_name}/*")],
        ),
        _statement(
            "ReadLogs",
            [*LOG_READ_ACTIONS, "logs:DescribeLogGroups"],
            [t.arn("logs", "log-group:*")],
        ),
        _statement("ReadMetrics", METRIC_READ_ACTIONS, ["*"]),
        _statement(
            "ReadAlarmsAndDashboard",
            ["cloudwatch:DescribeAlarms", "cloudwatch:GetDashboard"],
            [
                t.arn("cloudwatch", f"alarm:{p}*"),
                t.arn("cloudwatch", f"dashboard/{p}*", region=False),
            ],
        ),
        _statement("CreateCustomers", CUSTOMER_ADMIN_ACTIONS, [t.arn("cognito-idp", "userpool/*")]),
        _statement(
            "DescribeTable",
            ["dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups"],
            [table],
        ),
        _statement("ListOrdersByStatus", ["dynamodb:Query"], [f"{table}/index/{STATUS_INDEX}"]),
        _statement("ShipOrCancel", ["lambda:InvokeFunction"], [t.arn("lambda", f"function:{p}*")]),
        _statement(
            "ReadWebAcl",
            ["wafv2:GetWebACL", "wafv2:GetLoggingConfiguration"],
            [t.arn("wafv2", f"regional/webacl/{p}*/*")],
        ),
        _statement(
            "OwnCredentials",
            [
                "iam:GetUser",
                "iam:ChangePassword",
                "iam:ListAccessKeys",
                "iam:CreateAccessKey",
                "iam:UpdateAccessKey",
                "iam:DeleteAccessKey",
                "iam:ListMFADevices",
                "iam:CreateVirtualMFADevice",
                "iam:EnableMFADevice",
                "iam:ResyncMFADevice",
            ],
            [
                t.arn("iam", f"user/{own}", region=False),
                t.arn("iam", f"mfa/{own}", region=False),
            ],
        ),
        _statement("PasswordPolicy", ["iam:GetAccountPasswordPolicy"], ["*"]),
        _statement(
            "NeverWriteOrders", [*ORDER_WRITE_ACTIONS, "dynamodb:Scan"], [table], effect="Deny"
        ),
    )


def execution_policies(t: Target) -> dict[str, dict[str, Any]]:
    data, edge, iam = execution_policy_names(t.stack_name)
    return {data: _data_policy(t), edge: _edge_policy(t), iam: _iam_policy(t)}


def policy_documents(t: Target) -> dict[str, dict[str, Any]]:
    """Every policy the bootstrap creates, by name, boundaries first (the execution policies
    name the role boundary)."""
    return {
        role_boundary_name(t.stack_name): role_boundary(t),
        operator_boundary_name(t.stack_name): operator_boundary(t),
        **execution_policies(t),
    }


def policy_size(document: Mapping[str, Any]) -> int:
    """The size IAM counts against its quota: characters, white space excluded."""
    return sum(1 for character in json.dumps(document) if not character.isspace())


def write_documents(t: Target, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, document in policy_documents(t).items():
        path = directory / f"{name}.json"
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


class BootstrapError(RuntimeError):
    """A reason to stop before touching the account, said in a sentence for the operator."""


def upsert_policy(iam: Any, t: Target, name: str, document: Mapping[str, Any]) -> str:
    """Create the customer-managed policy, or make `document` its default version; with five
    versions kept already, the oldest non-default one is deleted first. Returns its ARN."""
    arn = t.policy_arn(name)
    text = json.dumps(document)
    try:
        iam.get_policy(PolicyArn=arn)
    except iam.exceptions.NoSuchEntityException:
        iam.create_policy(
            PolicyName=name,
            Path=POLICY_PATH,
            PolicyDocument=text,
            Description=f"{t.stack_name} bootstrap (make bootstrap): {name}",
        )
        return arn
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    default = next(version for version in versions if version["IsDefaultVersion"])
    current = iam.get_policy_version(PolicyArn=arn, VersionId=default["VersionId"])
    if _as_dict(current["PolicyVersion"]["Document"]) == json.loads(text):
        return arn
    if len(versions) >= MAX_POLICY_VERSIONS:
        oldest = min(
            (version for version in versions if not version["IsDefaultVersion"]),
            key=lambda version: version["CreateDate"],
        )
        iam.delete_policy_version(PolicyArn=arn, VersionId=oldest["VersionId"])
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=text, SetAsDefault=True)
    return arn


def _as_dict(document: Any) -> Any:
    """boto3 hands the policy document back parsed; the raw API URL-encodes it."""
    if isinstance(document, str):
        return json.loads(unquote(document))
    return document


def bootstrap_command(cdk: Sequence[str], t: Target) -> list[str]:
    data, edge, iam = execution_policy_names(t.stack_name)
    return [
        *cdk,
        "bootstrap",
        f"aws://{t.account}/{t.region}",
        "--qualifier",
        t.qualifier,
        "--cloudformation-execution-policies",
        ",".join(t.policy_arn(name) for name in (data, edge, iam)),
    ]


def deploy(
    *,
    iam: Any,
    t: Target,
    cdk: Sequence[str],
    run: Callable[..., Any] = subprocess.run,
    policies_only: bool = False,
) -> list[str]:
    """Create or update the five policies, then (unless `policies_only`) run `cdk bootstrap`
    with the execution policies. Returns the policies' ARNs."""
    arns = [upsert_policy(iam, t, name, doc) for name, doc in policy_documents(t).items()]
    if not policies_only:
        run(bootstrap_command(cdk, t), check=True)
    return arns


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.bootstrap", description=__doc__)
    parser.add_argument("--write", type=Path, metavar="DIR", help="write the policy JSON here")
    parser.add_argument(
        "--deploy", action="store_true", help="create/update the policies, then cdk bootstrap"
    )
    parser.add_argument(
        "--policies-only",
        action="store_true",
        help="with --deploy: create/update the policies, do not run cdk bootstrap",
    )
    parser.add_argument("--region", default=InfraConfig().region)
    parser.add_argument("--cdk", default="npx --yes aws-cdk@2", help="the CDK CLI command")
    parser.add_argument("--account", default="123456789012", help="for --write without --deploy")
    args = parser.parse_args(argv)
    try:
        if not args.deploy:
            target = Target(account=args.account, region=args.region)
            for path in write_documents(target, args.write or Path("cdk.out/bootstrap")):
                print(f"wrote {path} ({policy_size(json.loads(path.read_text()))} characters)")
            return 0
        target, iam = _connect(args.region)
        if args.write:
            write_documents(target, args.write)
        arns = deploy(
            iam=iam,
            t=target,
            cdk=shlex.split(args.cdk),
            policies_only=args.policies_only,
        )
    except BootstrapError as exc:
        print(f"make bootstrap: {exc}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as exc:
        print(f"make bootstrap: cdk bootstrap failed (exit {exc.returncode})", file=sys.stderr)
        return 1
    print("Policies:\n  " + "\n  ".join(arns))
    print(
        f"Engineers' users: aws iam put-user-permissions-boundary --user-name NAME "
        f"--permissions-boundary {target.policy_arn(operator_boundary_name(target.stack_name))}"
    )
    return 0


def _connect(region: str) -> tuple[Target, Any]:
    """The caller's session (AWS_PROFILE, SSO, environment): refuse before any call without
    credentials, and in CI, where this must never run."""
    if os.environ.get("CI"):
        raise BootstrapError("refusing to run in CI: bootstrap an account from your own shell")
    import boto3

    session = boto3.Session(region_name=region)
    if session.get_credentials() is None:
        raise BootstrapError(
            "no AWS credentials: sign in first (aws configure sso, AWS_PROFILE=..., or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) with rights to create IAM policies "
            "and to deploy the CDKToolkit stack"
        )
    identity = session.client("sts").get_caller_identity()
    partition = str(identity["Arn"]).split(":")[1]
    target = Target(account=str(identity["Account"]), region=region, partition=partition)
    return target, session.client("iam")


if __name__ == "__main__":
    sys.exit(main())

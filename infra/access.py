"""The IAM user group of everyone who deploys or operates the stack (the product brief's).

Engineers get every right from the group, never from policies on their user. The group's
customer-managed policies allow exactly:

- deploying: assuming the CDK bootstrap roles (deploy, file publishing, lookup) of this
  account and region, which CloudFormation then uses; the group itself cannot create anything;
- operating: reading this stack's log groups, its alarms and dashboard, CloudWatch metrics,
  the table's description and backups status, the web ACL and the stack's outputs; creating
  customers' accounts in the user pool (AdminCreateUser, AdminSetUserPassword, AdminGetUser,
  and AdminDeleteUser: closing an account on request, and the parity suite's clean-up);
- fulfilling orders: listing them across customers with `dynamodb:Query` on the `byStatus`
  index alone (by status, newest first, from a date; never a Scan, never the table itself),
  and shipping or cancelling one by invoking the fulfil function (`lambda:InvokeFunction` on
  that function alone), whose role may change an order's status attributes and nothing else;
- and never writing order data themselves: an explicit deny on the table's write actions,
  which wins over any allow an engineer may pick up elsewhere. A status change goes through
  the fulfil function, which acts with its own role, not the operator's.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, Aws, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.compliance import acknowledge_nag
from infra.config import InfraConfig
from infra.storage import index_arn
from orders_api.adapters.table_layout import STATUS_INDEX

BOOTSTRAP_ROLES = ("deploy", "file-publishing", "lookup")
"""The `cdk bootstrap` roles a deployment of this stack uses (no container image assets)."""

LOG_READ_ACTIONS = (
    "logs:DescribeLogStreams",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "logs:StartQuery",
)
METRIC_READ_ACTIONS = (
    "cloudwatch:GetMetricData",
    "cloudwatch:GetMetricStatistics",
    "cloudwatch:ListMetrics",
    "logs:GetQueryResults",
    "logs:StopQuery",
)
"""Read actions that IAM does not scope to a resource: they must name `*`."""
CUSTOMER_ADMIN_ACTIONS = (
    "cognito-idp:AdminCreateUser",
    "cognito-idp:AdminSetUserPassword",
    "cognito-idp:AdminGetUser",
    "cognito-idp:AdminDeleteUser",
)
"""What operators may do to the user pool: create a customer's account, as the README says,
look one up, and delete one (a customer's request to close it; `make parity` removes the users
it creates). No sign-in, no token: operators never act as a customer."""
ORDER_WRITE_ACTIONS = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
    "dynamodb:RestoreTableToPointInTime",
    "dynamodb:ImportTable",
)


class OperatorsGroup(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: InfraConfig,
        table: dynamodb.ITable,
        log_groups: Sequence[logs.ILogGroup],
        user_pool_arn: str,
        alarm_name_prefix: str,
        dashboard_name: str,
        web_acl_arn: str,
        fulfil_function: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.group = iam.Group(self, "Group", group_name=config.operators_group_name)
        bootstrap_role_arns = [
            f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/"
            f"cdk-{config.bootstrap_qualifier}-{role}-role-{Aws.ACCOUNT_ID}-{stack.region}"
            for role in BOOTSTRAP_ROLES
        ]
        self.deploy_policy = iam.ManagedPolicy(
            self,
            "DeployPolicy",
            description=f"Deploy {config.stack_name} through the CDK bootstrap roles",
            groups=[self.group],
            statements=[
                iam.PolicyStatement(
                    sid="AssumeCdkBootstrapRoles",
                    actions=["sts:AssumeRole"],
                    resources=bootstrap_role_arns,
                ),
                iam.PolicyStatement(
                    sid="ReadThisStack",
                    actions=[
                        "cloudformation:DescribeStacks",
                        "cloudformation:DescribeStackEvents",
                        "cloudformation:GetTemplate",
                    ],
                    resources=[Aws.STACK_ID],
                ),
            ],
        )
        self.operate_policy = iam.ManagedPolicy(
            self,
            "OperatePolicy",
            # Kept as it was: a new description would replace the managed policy.
            description=f"Read {config.stack_name}'s logs, metrics, alarms and table status",
            groups=[self.group],
            statements=[
                iam.PolicyStatement(
                    sid="ReadThisStacksLogs",
                    actions=list(LOG_READ_ACTIONS),
                    resources=[group.log_group_arn for group in log_groups],
                ),
                iam.PolicyStatement(
                    # The console and `aws logs` list groups before reading one; DescribeLogGroups
                    # takes no resource narrower than the account's log groups.
                    sid="ListLogGroups",
                    actions=["logs:DescribeLogGroups"],
                    resources=[
                        stack.format_arn(
                            service="logs",
                            resource="log-group",
                            resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    ],
                ),
                iam.PolicyStatement(
                    # `orders-api users create` (AdminCreateUser, then AdminSetUserPassword);
                    # AdminGetUser to look one up, AdminDeleteUser to close one. No sign-in,
                    # no token.
                    sid="CreateCustomers",
                    actions=list(CUSTOMER_ADMIN_ACTIONS),
                    resources=[user_pool_arn],
                ),
                iam.PolicyStatement(
                    sid="ReadsWithoutResourceScope",
                    actions=list(METRIC_READ_ACTIONS),
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    sid="ReadThisStacksAlarmsAndDashboard",
                    actions=["cloudwatch:DescribeAlarms", "cloudwatch:GetDashboard"],
                    resources=[
                        stack.format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name=f"{alarm_name_prefix}*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        ),
                        stack.format_arn(
                            service="cloudwatch",
                            region="",
                            resource="dashboard",
                            resource_name=dashboard_name,
                        ),
                    ],
                ),
                iam.PolicyStatement(
                    sid="DescribeOrdersTable",
                    actions=["dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups"],
                    resources=[table.table_arn],
                ),
                iam.PolicyStatement(
                    # `orders-api ops orders list`: orders by status and date, any customer.
                    sid="ListOrdersByStatus",
                    actions=["dynamodb:Query"],
                    resources=[index_arn(table, STATUS_INDEX)],
                ),
                iam.PolicyStatement(
                    # `orders-api ops orders ship|cancel`: the fulfil function's conditional
                    # update is the only way an operator changes an order.
                    sid="ShipOrCancelOrders",
                    actions=["lambda:InvokeFunction"],
                    resources=[fulfil_function.function_arn],
                ),
                iam.PolicyStatement(
                    sid="ReadWebAcl",
                    actions=["wafv2:GetWebACL", "wafv2:GetLoggingConfiguration"],
                    resources=[web_acl_arn],
                ),
                iam.PolicyStatement(
                    sid="NeverWriteOrders",
                    effect=iam.Effect.DENY,
                    actions=list(ORDER_WRITE_ACTIONS),
                    resources=[table.table_arn],
                ),
            ],
        )
        acknowledge_nag(
            self.operate_policy,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:"
            f"{stack.region}:<AWS::AccountId>:log-group:*]",
            "logs:DescribeLogGroups lists groups; it takes no narrower resource than all groups.",
        )
        acknowledge_nag(
            self.operate_policy,
            "AwsSolutions-IAM5[Resource::*]",
            "CloudWatch GetMetricData/GetMetricStatistics/ListMetrics and Logs Insights "
            "GetQueryResults/StopQuery support no resource-level permissions; all are reads.",
        )
        acknowledge_nag(
            self.operate_policy,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudwatch:{stack.region}:"
            f"<AWS::AccountId>:alarm:{alarm_name_prefix}*]",
            "Read-only DescribeAlarms on this stack's alarms: their names share the stack's "
            "prefix, and new alarms must not need a policy change.",
        )

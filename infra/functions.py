"""The Lambda functions, each with its own role: the route functions of `ROUTES` and two more.

- create (`HANDLER`), invoked by the API stage for POST /orders: `dynamodb:PutItem` on the table;
- read (`HANDLER`), invoked by the API stage for GET /orders and GET /orders/{orderId}:
  `dynamodb:GetItem` on the table and `dynamodb:Query` on the `byCustomer` index;
- fulfil (`FULFIL_HANDLER`), invoked by operators (`lambda:InvokeFunction`):
  `dynamodb:UpdateItem` on the table, of the status attributes only;
- events (`EVENTS_HANDLER`), invoked by the event pipes as their enrichment: no data rights.

A role holds one inline policy and nothing else: those data statements and writing to the
function's own log group. No AWS managed policy is attached (not even
AWSLambdaBasicExecutionRole, whose CreateLogGroup on `*` is more than needed).

The fulfil role's UpdateItem is narrowed by DynamoDB's condition keys ("Using IAM policy
conditions for fine-grained access control",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html):
`dynamodb:Attributes` lists the top-level attributes a request names (its key, its update and
condition expressions), and `ForAllValues:StringEquals` allows the request only when each of
them is `orderId`, `status` or `statusChangedAt`. `ForAllValues` is also true when the key is
absent from the request, so a `Null` condition requires it to be present
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html).
`dynamodb:ReturnValues` is limited to NONE, what the repository asks for (it answers with the
status it wrote): as in AWS's write-only examples, the role cannot read the order back through
an update either. A refused update asks for the stored item
(ReturnValuesOnConditionCheckFailure=ALL_OLD) to name the status that refused it; IAM has no
condition key for that parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.asset import EVENTS_HANDLER, FULFIL_HANDLER, HANDLER
from infra.compliance import skip_checkov
from infra.config import SERVICE_NAME, InfraConfig
from infra.storage import index_arn
from orders_api.adapters.table_layout import (
    CUSTOMER_INDEX,
    PARTITION_KEY,
    STATUS_ATTRIBUTES,
)
from orders_api.deployment.cors_policy import API_CORS
from orders_api.deployment.monitoring import CUSTOM_METRICS_NAMESPACE
from orders_api.deployment.routes import ROUTES
from orders_api.function.bootstrap import TABLE_NAME

LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")

STATUS_CHANGE_ATTRIBUTES: tuple[str, ...] = (PARTITION_KEY, *STATUS_ATTRIBUTES)
"""Every attribute a status change may name: the key and the status attributes."""
STATUS_CHANGE_RETURN_VALUES = ("NONE",)
"""What the fulfil function may ask UpdateItem to return."""

_ARCHITECTURES = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}

DataStatements = Callable[[dynamodb.ITable], list[iam.PolicyStatement]]


def _put_order(table: dynamodb.ITable) -> list[iam.PolicyStatement]:
    # A conditional put that returns the stored item on conflict: no GetItem on create.
    return [
        iam.PolicyStatement(
            sid="OrdersTable", actions=["dynamodb:PutItem"], resources=[table.table_arn]
        )
    ]


def _read_orders(table: dynamodb.ITable) -> list[iam.PolicyStatement]:
    return [
        iam.PolicyStatement(
            sid="OrdersTable", actions=["dynamodb:GetItem"], resources=[table.table_arn]
        ),
        iam.PolicyStatement(
            # GET /orders: the caller's orders, newest first. Query on the index alone: the
            # table's ARN does not allow Query, and no role anywhere may Scan.
            sid="OrdersByCustomer",
            actions=["dynamodb:Query"],
            resources=[index_arn(table, CUSTOMER_INDEX)],
        ),
    ]


def _change_status(table: dynamodb.ITable) -> list[iam.PolicyStatement]:
    return [
        iam.PolicyStatement(
            sid="ChangeOrderStatus",
            actions=["dynamodb:UpdateItem"],
            resources=[table.table_arn],
            conditions={
                "ForAllValues:StringEquals": {
                    "dynamodb:Attributes": list(STATUS_CHANGE_ATTRIBUTES)
                },
                # ForAllValues holds for an absent key too: require the key to be present.
                "Null": {"dynamodb:Attributes": "false"},
                "StringEquals": {"dynamodb:ReturnValues": list(STATUS_CHANGE_RETURN_VALUES)},
            },
        )
    ]


def _no_data(table: dynamodb.ITable) -> list[iam.PolicyStatement]:
    return []


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    handler: str
    description: str
    data: DataStatements
    """The function's rights on order data, given the table."""
    invoked_by: str
    """Who invokes it, and how: checkov's dead-letter-queue check is answered with this."""
    uses_table: bool = True
    """The function finds the table's name in its environment."""
    serves_api: bool = False
    """Behind the API stage: its responses carry the API's CORS headers."""


FUNCTIONS: dict[str, FunctionSpec] = {
    "create": FunctionSpec(
        handler=HANDLER,
        description="Orders API: create orders",
        data=_put_order,
        invoked_by="Invoked synchronously by API Gateway only: the caller gets the error, so "
        "there is no asynchronous event to dead-letter.",
        serves_api=True,
    ),
    "read": FunctionSpec(
        handler=HANDLER,
        description="Orders API: read orders",
        data=_read_orders,
        invoked_by="Invoked synchronously by API Gateway only: the caller gets the error, so "
        "there is no asynchronous event to dead-letter.",
        serves_api=True,
    ),
    "fulfil": FunctionSpec(
        handler=FULFIL_HANDLER,
        description="Orders API: ship or cancel an order (operators)",
        data=_change_status,
        invoked_by="Invoked synchronously by operators (RequestResponse): the operator gets "
        "the error, so there is no asynchronous event to dead-letter.",
    ),
    "events": FunctionSpec(
        handler=EVENTS_HANDLER,
        description="Orders API: turn table stream records into order events",
        data=_no_data,
        invoked_by="Invoked synchronously by EventBridge Pipes as their enrichment: a failed "
        "batch is retried and then dead-lettered by the pipe (infra/events.py).",
        uses_table=False,
    ),
}
"""Every function of the stack, by name."""


def route_functions() -> tuple[str, ...]:
    """The functions the routes name, in a stable order."""
    return tuple(sorted({route.function for route in ROUTES}))


class OrderFunctions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: InfraConfig,
        table: dynamodb.ITable,
        code: lambda_.Code,
    ) -> None:
        super().__init__(scope, construct_id)
        missing = set(route_functions()) - set(FUNCTIONS)
        if missing:
            raise ValueError(f"routes name functions the stack does not define: {missing}")
        settings = config.settings.function
        layer_arn = config.powertools_layer_arn or ssm.StringParameter.value_for_string_parameter(
            self, config.powertools_layer_parameter
        )
        powertools = lambda_.LayerVersion.from_layer_version_arn(self, "PowertoolsLayer", layer_arn)
        runtime = lambda_.Runtime(settings.runtime, lambda_.RuntimeFamily.PYTHON)
        self.functions: dict[str, lambda_.Function] = {}
        self.log_groups: dict[str, logs.LogGroup] = {}
        self.roles: dict[str, iam.Role] = {}
        for name, spec in FUNCTIONS.items():
            log_group = logs.LogGroup(
                self,
                f"{name.capitalize()}Logs",
                retention=config.log_retention,
                removal_policy=RemovalPolicy.DESTROY,
            )
            data = spec.data(table)
            rights = sorted({action for s in data for action in s.actions}) or ["no order data"]
            role = iam.Role(
                self,
                f"{name.capitalize()}Role",
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                description=f"Orders API {name} function: {', '.join(rights)} only",
                inline_policies={
                    "least-privilege": iam.PolicyDocument(
                        statements=[
                            *data,
                            iam.PolicyStatement(
                                sid="OwnLogGroup",
                                actions=list(LOG_ACTIONS),
                                resources=[log_group.log_group_arn],
                            ),
                        ]
                    )
                },
            )
            environment = {
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": CUSTOM_METRICS_NAMESPACE,
            }
            if spec.uses_table:
                environment[TABLE_NAME] = table.table_name
            if spec.serves_api:
                # The handler adds the API's CORS headers to its responses from these.
                environment.update(API_CORS.function_environment())
            function = lambda_.Function(
                self,
                f"{name.capitalize()}Function",
                description=spec.description,
                runtime=runtime,
                architecture=_ARCHITECTURES[settings.architecture],
                handler=spec.handler,
                code=code,
                layers=[powertools],
                memory_size=settings.memory_mb,
                timeout=Duration.seconds(settings.timeout_seconds),
                # 0: none reserved (-c reservedConcurrency=0), for an account with no room.
                reserved_concurrent_executions=settings.reserved_concurrency or None,
                role=role,
                log_group=log_group,
                tracing=(
                    lambda_.Tracing.ACTIVE
                    if config.settings.observability.tracing
                    else lambda_.Tracing.DISABLED
                ),
                environment=environment,
            )
            _skip_function_checks(function, spec)
            self.functions[name] = function
            self.log_groups[name] = log_group
            self.roles[name] = role

    def route_functions(self) -> dict[str, lambda_.IFunction]:
        """The functions API Gateway invokes, by the name the routes use."""
        return {name: self.functions[name] for name in route_functions()}


def _skip_function_checks(function: lambda_.Function, spec: FunctionSpec) -> None:
    skip_checkov(function, "CKV_AWS_116", spec.invoked_by)
    skip_checkov(
        function,
        "CKV_AWS_117",
        "Reaches only AWS services through public AWS endpoints with IAM; a VPC would add NAT "
        "or endpoint costs and cold-start latency for no isolation gain.",
    )
    skip_checkov(
        function,
        "CKV_AWS_173",
        "The environment holds a table name, Powertools settings and the public CORS policy, "
        "no secrets; Lambda encrypts it at rest with an AWS-managed key already.",
    )

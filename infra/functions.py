"""The Lambda functions, one per route function in `ROUTES`, each with its own role.

A role holds one inline policy and nothing else: the single DynamoDB action its routes need
on the Orders table, and writing to its own log group. No AWS managed policy is attached
(not even AWSLambdaBasicExecutionRole, whose CreateLogGroup on `*` is more than needed).
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.asset import HANDLER
from infra.compliance import skip_checkov
from infra.config import SERVICE_NAME, InfraConfig
from orders_api.deployment.cors_policy import API_CORS
from orders_api.deployment.monitoring import CUSTOM_METRICS_NAMESPACE
from orders_api.deployment.routes import ROUTES, FunctionName
from orders_api.function.bootstrap import TABLE_NAME

DATA_ACTIONS: dict[FunctionName, tuple[str, ...]] = {
    # A conditional put that returns the stored item on conflict: no GetItem on create.
    "create": ("dynamodb:PutItem",),
    "read": ("dynamodb:GetItem",),
}
"""The only DynamoDB actions each function may perform, on the Orders table alone."""

LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")

_ARCHITECTURES = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}


def route_functions() -> tuple[FunctionName, ...]:
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
        settings = config.settings.function
        layer_arn = config.powertools_layer_arn or ssm.StringParameter.value_for_string_parameter(
            self, config.powertools_layer_parameter
        )
        powertools = lambda_.LayerVersion.from_layer_version_arn(self, "PowertoolsLayer", layer_arn)
        runtime = lambda_.Runtime(settings.runtime, lambda_.RuntimeFamily.PYTHON)
        self.functions: dict[FunctionName, lambda_.Function] = {}
        self.log_groups: dict[FunctionName, logs.LogGroup] = {}
        self.roles: dict[FunctionName, iam.Role] = {}
        for name in route_functions():
            log_group = logs.LogGroup(
                self,
                f"{name.capitalize()}Logs",
                retention=config.log_retention,
                removal_policy=RemovalPolicy.DESTROY,
            )
            role = iam.Role(
                self,
                f"{name.capitalize()}Role",
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                description=f"Orders API {name} function: {', '.join(DATA_ACTIONS[name])} only",
                inline_policies={
                    "least-privilege": iam.PolicyDocument(
                        statements=[
                            iam.PolicyStatement(
                                sid="OrdersTable",
                                actions=list(DATA_ACTIONS[name]),
                                resources=[table.table_arn],
                            ),
                            iam.PolicyStatement(
                                sid="OwnLogGroup",
                                actions=list(LOG_ACTIONS),
                                resources=[log_group.log_group_arn],
                            ),
                        ]
                    )
                },
            )
            function = lambda_.Function(
                self,
                f"{name.capitalize()}Function",
                description=f"Orders API: {name} orders",
                runtime=runtime,
                architecture=_ARCHITECTURES[settings.architecture],
                handler=HANDLER,
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
                environment={
                    TABLE_NAME: table.table_name,
                    "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                    "POWERTOOLS_METRICS_NAMESPACE": CUSTOM_METRICS_NAMESPACE,
                    # The handler adds the API's CORS headers to its responses from these.
                    **API_CORS.function_environment(),
                },
            )
            _skip_function_checks(function)
            self.functions[name] = function
            self.log_groups[name] = log_group
            self.roles[name] = role


def _skip_function_checks(function: lambda_.Function) -> None:
    skip_checkov(
        function,
        "CKV_AWS_116",
        "Invoked synchronously by API Gateway only: the caller gets the error, so there is "
        "no asynchronous event to dead-letter.",
    )
    skip_checkov(
        function,
        "CKV_AWS_117",
        "Reaches only DynamoDB and CloudWatch through public AWS endpoints with IAM; a VPC "
        "would add NAT or endpoint costs and cold-start latency for no isolation gain.",
    )
    skip_checkov(
        function,
        "CKV_AWS_173",
        "The environment holds a table name, Powertools settings and the public CORS policy, "
        "no secrets; Lambda "
        "encrypts it at rest with an AWS-managed key already.",
    )

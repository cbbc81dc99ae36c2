"""The regional REST API: the shared routes, a Cognito authorizer on every method, request
validation before Lambda, stage throttling, JSON access logs and AWS-shaped error bodies."""

from __future__ import annotations

import json

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct
from pydantic import BaseModel

from infra.compliance import acknowledge_nag, skip_checkov
from infra.config import InfraConfig
from infra.request_model import draft4_schema
from orders_api.deployment.routes import ROUTES, FunctionName, Route
from orders_api.domain import NewOrder

JSON = "application/json"

BODY_MODELS: dict[tuple[str, str], type[BaseModel]] = {("POST", "/orders"): NewOrder}
"""The body model of each route that takes one; API Gateway refuses other bodies with 400."""

ERROR_BODY = '{"message":$context.error.messageString}'
"""The body of every response API Gateway makes itself; `messageString` is already quoted."""

GATEWAY_RESPONSES: tuple[apigateway.ResponseType, ...] = (
    apigateway.ResponseType.DEFAULT_4_XX,
    apigateway.ResponseType.DEFAULT_5_XX,
    apigateway.ResponseType.UNAUTHORIZED,
    apigateway.ResponseType.EXPIRED_TOKEN,
    apigateway.ResponseType.INVALID_SIGNATURE,
    apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    apigateway.ResponseType.ACCESS_DENIED,
    apigateway.ResponseType.AUTHORIZER_FAILURE,
    apigateway.ResponseType.AUTHORIZER_CONFIGURATION_ERROR,
    apigateway.ResponseType.WAF_FILTERED,
    apigateway.ResponseType.THROTTLED,
    apigateway.ResponseType.QUOTA_EXCEEDED,
    apigateway.ResponseType.BAD_REQUEST_BODY,
    apigateway.ResponseType.BAD_REQUEST_PARAMETERS,
    apigateway.ResponseType.REQUEST_TOO_LARGE,
    apigateway.ResponseType.UNSUPPORTED_MEDIA_TYPE,
    apigateway.ResponseType.RESOURCE_NOT_FOUND,
    apigateway.ResponseType.INTEGRATION_FAILURE,
    apigateway.ResponseType.INTEGRATION_TIMEOUT,
)
"""Responses API Gateway produces without Lambda, all given the one JSON error shape."""

ACCESS_LOG_FIELDS: dict[str, str] = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTime": "$context.requestTimeEpoch",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationStatus": "$context.integration.status",
    "errorType": "$context.error.responseType",
    "authorizerError": "$context.authorizer.error",
    "wafStatus": "$context.wafResponseCode",
    "userAgent": "$context.identity.userAgent",
}
"""One JSON line per request. No source address, no token, no body: nothing personal."""


def access_log_format() -> str:
    """The access log line: every field a JSON string, and the error message, already quoted."""
    quoted = ",".join(
        f"{json.dumps(name)}:{json.dumps(value)}" for name, value in ACCESS_LOG_FIELDS.items()
    )
    return "{" + quoted + ',"errorMessage":$context.error.messageString}'


class OrdersRestApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: InfraConfig,
        user_pool: cognito.IUserPool,
        functions: dict[FunctionName, lambda_.IFunction],
        cors: apigateway.CorsOptions | None = None,
    ) -> None:
        """`cors`: the hook for browser clients (a later issue). None deploys no OPTIONS
        method; given, every resource answers preflight without the authorizer, as browsers
        send no token on a preflight."""
        super().__init__(scope, construct_id)
        settings = config.settings
        retention = config.log_retention
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=retention, removal_policy=RemovalPolicy.DESTROY
        )
        self.api = apigateway.RestApi(
            self,
            "RestApi",
            rest_api_name=config.stack_name,
            description="Orders API: create and read orders for signed-in customers",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            cloud_watch_role=False,
            default_cors_preflight_options=cors,
            deploy_options=apigateway.StageOptions(
                stage_name=settings.stage,
                throttling_rate_limit=settings.api.throttle_rate_limit,
                throttling_burst_limit=settings.api.throttle_burst_limit,
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                metrics_enabled=False,
                tracing_enabled=settings.observability.tracing,
                access_log_destination=apigateway.LogGroupLogDestination(self.access_logs),
                access_log_format=apigateway.AccessLogFormat.custom(access_log_format()),
            ),
        )
        self.stage = self.api.deployment_stage
        self._execution_logging(config, retention)
        self.authorizer = apigateway.CognitoUserPoolsAuthorizer(
            self,
            "Authorizer",
            cognito_user_pools=[user_pool],
            identity_source=apigateway.IdentitySource.header("Authorization"),
            results_cache_ttl=Duration.seconds(settings.auth.authorizer_cache_seconds),
        )
        self.validator = self.api.add_request_validator(
            "RequestValidator",
            validate_request_body=True,
            validate_request_parameters=True,
        )
        self.methods: dict[tuple[str, str], apigateway.Method] = {}
        for route in ROUTES:
            self.methods[(route.method, route.resource)] = self._add_route(
                route, functions[route.function]
            )
        for response_type in GATEWAY_RESPONSES:
            self.api.add_gateway_response(
                f"Response{response_type.response_type}",
                type=response_type,
                templates={JSON: ERROR_BODY},
            )
        self._skip_stage_checks()

    def _add_route(self, route: Route, function: lambda_.IFunction) -> apigateway.Method:
        resource = self.api.root.resource_for_path(route.resource)
        body_model = BODY_MODELS.get((route.method, route.resource))
        request_models = None
        if body_model is not None:
            model = apigateway.CfnModel(
                self,
                f"{body_model.__name__}Model",
                rest_api_id=self.api.rest_api_id,
                content_type=JSON,
                name=body_model.__name__,
                description=f"{body_model.__name__}, generated from the pydantic model",
                schema=draft4_schema(body_model),
            )
            request_models = {
                JSON: apigateway.Model.from_model_name(
                    self, f"{body_model.__name__}ModelRef", model.ref
                )
            }
        path_parameters = {
            f"method.request.path.{segment[1:-1]}": True
            for segment in route.resource.split("/")
            if segment.startswith("{")
        }
        return resource.add_method(
            route.method,
            apigateway.LambdaIntegration(function, proxy=True, allow_test_invoke=False),
            authorizer=self.authorizer,
            authorization_type=apigateway.AuthorizationType.COGNITO,
            authorization_scopes=list(route.scopes) or None,
            request_validator=self.validator,
            request_models=request_models,
            request_parameters={
                "method.request.header.Authorization": True,
                **path_parameters,
            },
        )

    def _execution_logging(self, config: InfraConfig, retention: logs.RetentionDays) -> None:
        """Execution logs (level ERROR) need the region's API Gateway account setting to name a
        role that may write logs, and go to a log group API Gateway names itself; creating that
        group here gives it a retention instead of "never expire"."""
        stack = Stack.of(self)
        execution_logs = logs.LogGroup(
            self,
            "ExecutionLogs",
            log_group_name=f"API-Gateway-Execution-Logs_{self.api.rest_api_id}/{config.settings.stage}",
            retention=retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        execution_logs_arn = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name="API-Gateway-Execution-Logs_*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        role = iam.Role(
            self,
            "CloudWatchRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="API Gateway (account setting): write REST API execution logs",
            inline_policies={
                "execution-logs": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            sid="ExecutionLogs",
                            actions=[
                                "logs:CreateLogGroup",
                                "logs:CreateLogStream",
                                "logs:DescribeLogStreams",
                                "logs:PutLogEvents",
                            ],
                            resources=[execution_logs_arn],
                        )
                    ]
                )
            },
        )
        account = apigateway.CfnAccount(self, "AccountSetting", cloud_watch_role_arn=role.role_arn)
        # Kept on stack deletion: the setting is shared by every REST API in the region.
        account.apply_removal_policy(RemovalPolicy.RETAIN)
        role.apply_removal_policy(RemovalPolicy.RETAIN)
        acknowledge_nag(
            role,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:"
            f"{stack.region}:<AWS::AccountId>:log-group:API-Gateway-Execution-Logs_*]",
            "The API Gateway CloudWatch role is a regional account setting shared by every "
            "REST API; API Gateway names each API's group API-Gateway-Execution-Logs_<id>/<stage>.",
        )
        self.stage.node.add_dependency(account)
        self.stage.node.add_dependency(execution_logs)
        self.execution_logs = execution_logs

    def _skip_stage_checks(self) -> None:
        stage = self.stage
        skip_checkov(
            stage,
            "CKV_AWS_120",
            "No stage cache: every response is per customer and the cheapest cache node "
            "costs more per month than this API's whole expected bill.",
        )
        skip_checkov(
            stage,
            "CKV_AWS_73",
            "X-Ray tracing is off by setting (ObservabilitySettings.tracing): it costs per "
            "trace, and access and function logs already carry the request id.",
        )

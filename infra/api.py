"""The regional REST API: the shared routes, a Cognito authorizer on every method, request
validation before Lambda, stage throttling, JSON access logs, AWS-shaped error bodies, and the
API's CORS (`orders_api.deployment.cors_policy.API_CORS`): an unauthenticated mock OPTIONS method on
every resource, and CORS headers on the gateway responses."""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.compliance import acknowledge_nag, skip_checkov
from infra.config import InfraConfig
from orders_api.deployment.cors_policy import API_CORS, CorsPolicy
from orders_api.deployment.gateway_responses import DEPLOYED_TYPES
from orders_api.deployment.request_models import BODY_MODELS, draft4_schema
from orders_api.deployment.routes import ROUTES, Route

JSON = "application/json"


ERROR_BODY = '{"message":$context.error.messageString}'
"""The body of every response API Gateway makes itself; `messageString` is already quoted."""

GATEWAY_RESPONSES: tuple[apigateway.ResponseType, ...] = tuple(
    apigateway.ResponseType.of(response_type) for response_type in DEPLOYED_TYPES
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

QUERY_PARAMETERS: dict[tuple[str, str], tuple[str, ...]] = {
    ("GET", "/orders"): ("limit", "nextToken"),
}
"""Optional query string parameters a route declares (GET /orders pages with them). Declared,
not required: the request validator lets a request without them through, and the function
validates their values."""

PREFLIGHT_STATUS = "204"
PREFLIGHT_REQUEST_TEMPLATE = '{"statusCode": 200}'
"""A mock integration answers with the status this template names; the response maps it to 204."""
ECHOED_REQUEST_ORIGIN = "method.request.header.Origin"
"""The only dynamic Access-Control-Allow-Origin a gateway response can carry: the caller's own
Origin, unfiltered (gateway responses have no templates logic for headers)."""


def _quoted(value: str) -> str:
    """A static value in API Gateway's parameter mapping syntax."""
    return f"'{value}'"


def preflight_allow_headers(policy: CorsPolicy) -> dict[str, str]:
    """The allow headers of a preflight answer to an allowed origin, origin excluded."""
    return {
        "Access-Control-Allow-Methods": ",".join(policy.allow_methods),
        "Access-Control-Allow-Headers": ",".join(policy.allow_headers),
        "Access-Control-Max-Age": str(policy.max_age_seconds),
    }


def preflight_response_template(policy: CorsPolicy) -> str:
    """VTL for the mock integration's response: for an Origin matching the policy's pattern
    (Java's `String.matches`, a full match as Python's `re.fullmatch`), echo it and add the
    allow headers; for any other origin add nothing, so the browser refuses the request."""
    pattern = policy.origin_pattern
    if "'" in pattern:
        raise ValueError("the origin pattern must fit in a single-quoted VTL string")
    lines = [
        # Browsers send "Origin"; over HTTP/2 header names arrive lower-cased.
        "#set($origin = $input.params().header.get('Origin'))",
        "#if(!$origin)",
        "  #set($origin = $input.params().header.get('origin'))",
        "#end",
        f"#if($origin && $origin.matches('{pattern}'))",
        "  #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)",
    ]
    lines += [
        f"  #set($context.responseOverride.header.{name} = '{value}')"
        for name, value in preflight_allow_headers(policy).items()
    ]
    lines.append("#end")
    return "\n".join(lines)


def gateway_response_cors_headers(policy: CorsPolicy) -> dict[str, str]:
    """CORS headers on API Gateway's own responses (401, 403, 413, 429, 5xx...), in parameter
    mapping syntax: the request's Origin echoed whatever it is, the exposed headers, Vary."""
    return {
        "Access-Control-Allow-Origin": ECHOED_REQUEST_ORIGIN,
        "Access-Control-Expose-Headers": _quoted(",".join(policy.expose_headers)),
        "Vary": _quoted("Origin"),
    }


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
        functions: Mapping[str, lambda_.IFunction],
        cors: CorsPolicy = API_CORS,
    ) -> None:
        """`cors`: which browser origins may call the API. Every resource answers preflight
        without the authorizer, as browsers send no token on a preflight."""
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
        self.preflights: dict[str, apigateway.Method] = {
            resource: self._add_preflight(resource, cors)
            for resource in sorted({route.resource for route in ROUTES})
        }
        for response_type in GATEWAY_RESPONSES:
            self.api.add_gateway_response(
                f"Response{response_type.response_type}",
                type=response_type,
                templates={JSON: ERROR_BODY},
                response_headers=gateway_response_cors_headers(cors),
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
        query_parameters = {
            f"method.request.querystring.{name}": False
            for name in QUERY_PARAMETERS.get((route.method, route.resource), ())
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
                **query_parameters,
            },
        )

    def _add_preflight(self, resource_path: str, policy: CorsPolicy) -> apigateway.Method:
        """OPTIONS as API Gateway answers it alone: a mock integration, no authorizer, no
        Lambda. CDK's `add_cors_preflight` compares origins for equality; this one matches the
        policy's pattern, so any port of localhost is allowed."""
        headers = ["Access-Control-Allow-Origin", *preflight_allow_headers(policy), "Vary"]
        method = self.api.root.resource_for_path(resource_path).add_method(
            "OPTIONS",
            apigateway.MockIntegration(
                request_templates={JSON: PREFLIGHT_REQUEST_TEMPLATE},
                integration_responses=[
                    apigateway.IntegrationResponse(
                        status_code=PREFLIGHT_STATUS,
                        response_parameters={"method.response.header.Vary": _quoted("Origin")},
                        response_templates={JSON: preflight_response_template(policy)},
                    )
                ],
            ),
            authorization_type=apigateway.AuthorizationType.NONE,
            api_key_required=False,
            method_responses=[
                apigateway.MethodResponse(
                    status_code=PREFLIGHT_STATUS,
                    response_parameters={
                        f"method.response.header.{name}": False for name in headers
                    },
                )
            ],
        )
        reason = (
            "CORS preflight: browsers send OPTIONS without credentials, so it cannot require "
            "the Cognito authorizer; it is a mock integration that reaches no Lambda and returns "
            "no data, only the allow headers (still behind the web ACL and the stage throttle)."
        )
        acknowledge_nag(method, "AwsSolutions-APIG4", reason)
        # AwsSolutions-COG4 (Cognito authorizer) already exempts OPTIONS methods; APIG4 does not.
        return method

    def _execution_logging(self, config: InfraConfig, retention: logs.RetentionDays) -> None:
        """Execution logs (level ERROR) need the region's API Gateway account setting to name a
        role that may write logs, and go to a log group API Gateway names itself; creating that
        group here gives it a retention instead of "never expire"."""
        execution_logs = logs.LogGroup(
            self,
            "ExecutionLogs",
            log_group_name=f"API-Gateway-Execution-Logs_{self.api.rest_api_id}/{config.settings.stage}",
            retention=retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        # The region's one account setting serves every REST API in it: a role narrowed to this
        # API's groups would stop the others' execution and access logs, and this API's own
        # access log group (whose name API Gateway does not choose). AWS documents exactly this
        # managed policy for the role ("Set up CloudWatch API logging", API Gateway guide).
        role = iam.Role(
            self,
            "CloudWatchRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="API Gateway (account setting): write REST API execution and access logs",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
                )
            ],
        )
        account = apigateway.CfnAccount(self, "AccountSetting", cloud_watch_role_arn=role.role_arn)
        # Kept on stack deletion: the setting is shared by every REST API in the region.
        account.apply_removal_policy(RemovalPolicy.RETAIN)
        role.apply_removal_policy(RemovalPolicy.RETAIN)
        acknowledge_nag(
            role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "The API Gateway CloudWatch role is a regional account setting shared by every REST "
            "API and its access log groups, whatever their names; AWS documents this policy.",
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

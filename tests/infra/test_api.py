"""The REST API: routes, authorizer on every method but the CORS preflights, validation,
throttling, logs, errors, CORS."""

from __future__ import annotations

import json
import re
from typing import Any

from synthesized import Synthesis

from infra.api import ERROR_BODY, GATEWAY_RESPONSES, QUERY_PARAMETERS, preflight_allow_headers
from orders_api.deployment.cors_policy import API_CORS
from orders_api.deployment.request_models import draft4_schema
from orders_api.deployment.routes import ROUTES
from orders_api.deployment.settings import DEFAULT_SETTINGS
from orders_api.domain import NewOrder


def _methods(synthesis: Synthesis) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        key: synthesis.template["Resources"][synthesis.logical_id(method)]["Properties"]
        for key, method in synthesis.stack.api.methods.items()
    }


def test_the_api_is_regional(synthesis: Synthesis) -> None:
    api = synthesis.only("AWS::ApiGateway::RestApi")["Properties"]
    assert api["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert api["Name"] == DEFAULT_SETTINGS.stack_name


def test_the_api_has_exactly_the_shared_routes(synthesis: Synthesis) -> None:
    assert set(_methods(synthesis)) == {(route.method, route.resource) for route in ROUTES}
    resources = {route.resource for route in ROUTES}
    assert set(synthesis.stack.api.preflights) == resources
    assert len(synthesis.resources("AWS::ApiGateway::Method")) == len(ROUTES) + len(resources)


def _by_http_method(synthesis: Synthesis, options: bool) -> list[dict[str, Any]]:
    methods = [
        method["Properties"] for method in synthesis.resources("AWS::ApiGateway::Method").values()
    ]
    chosen = [method for method in methods if (method["HttpMethod"] == "OPTIONS") is options]
    assert chosen
    return chosen


def test_every_method_but_options_requires_the_cognito_authorizer(synthesis: Synthesis) -> None:
    authorizer = synthesis.logical_id(synthesis.stack.api.authorizer)
    for properties in _by_http_method(synthesis, options=False):
        assert properties["AuthorizationType"] == "COGNITO_USER_POOLS"
        assert properties["AuthorizerId"] == {"Ref": authorizer}
        assert "AuthorizationScopes" not in properties, "no scopes: ID tokens, as the twin"


def test_every_options_method_is_a_mock_integration_without_an_authorizer(
    synthesis: Synthesis,
) -> None:
    for properties in _by_http_method(synthesis, options=True):
        assert properties["AuthorizationType"] == "NONE"
        assert "AuthorizerId" not in properties
        assert properties.get("ApiKeyRequired") is not True
        assert properties["Integration"]["Type"] == "MOCK"
        assert "Uri" not in properties["Integration"], "a preflight reaches no Lambda"


def _preflight(synthesis: Synthesis) -> dict[str, Any]:
    (first, *others) = _by_http_method(synthesis, options=True)
    for other in others:
        assert other["Integration"] == first["Integration"]
        assert other["MethodResponses"] == first["MethodResponses"]
    return first


def test_a_preflight_answers_204_with_vary_and_declares_every_cors_header(
    synthesis: Synthesis,
) -> None:
    preflight = _preflight(synthesis)
    (integration_response,) = preflight["Integration"]["IntegrationResponses"]
    assert integration_response["StatusCode"] == "204"
    assert integration_response["ResponseParameters"] == {"method.response.header.Vary": "'Origin'"}
    (method_response,) = preflight["MethodResponses"]
    assert method_response["StatusCode"] == "204"
    declared = {
        name.removeprefix("method.response.header.")
        for name in method_response["ResponseParameters"]
    }
    assert declared == {"Access-Control-Allow-Origin", "Vary", *preflight_allow_headers(API_CORS)}
    assert json.loads(preflight["Integration"]["RequestTemplates"]["application/json"]) == {
        "statusCode": 200
    }


def _template(synthesis: Synthesis) -> str:
    (integration_response,) = _preflight(synthesis)["Integration"]["IntegrationResponses"]
    template: str = integration_response["ResponseTemplates"]["application/json"]
    return template


def test_a_preflight_echoes_only_origins_matching_the_policy_pattern(
    synthesis: Synthesis,
) -> None:
    template = _template(synthesis)
    (condition,) = re.findall(r"^#if\(\$origin && \$origin\.matches\('(.*)'\)\)$", template, re.M)
    assert condition == API_CORS.origin_pattern
    # Java's String.matches is a full match, as Python's re.fullmatch.
    for origin in ("http://localhost:5173", "http://127.0.0.1", "https://evil.example"):
        assert (re.fullmatch(condition, origin) is not None) is API_CORS.allows(origin)
    inside = template.split(f"matches('{condition}'))", 1)[1].split("#end", 1)[0]
    overrides = dict(re.findall(r"responseOverride\.header\.([\w-]+) = (.+)\)", inside))
    assert overrides == {
        "Access-Control-Allow-Origin": "$origin",
        **{name: f"'{value}'" for name, value in preflight_allow_headers(API_CORS).items()},
    }


def test_the_preflight_allow_headers_come_from_the_policy() -> None:
    assert preflight_allow_headers(API_CORS) == {
        "Access-Control-Allow-Methods": ",".join(API_CORS.allow_methods),
        "Access-Control-Allow-Headers": ",".join(API_CORS.allow_headers),
        "Access-Control-Max-Age": str(API_CORS.max_age_seconds),
    }


def test_the_authorizer_trusts_the_user_pool_and_reads_the_authorization_header(
    synthesis: Synthesis,
) -> None:
    authorizer = synthesis.only("AWS::ApiGateway::Authorizer")["Properties"]
    assert authorizer["Type"] == "COGNITO_USER_POOLS"
    assert authorizer["IdentitySource"] == "method.request.header.Authorization"
    assert authorizer["AuthorizerResultTtlInSeconds"] == (
        DEFAULT_SETTINGS.auth.authorizer_cache_seconds
    )
    (provider,) = authorizer["ProviderARNs"]
    assert provider == {"Fn::GetAtt": [synthesis.logical_id(synthesis.stack.auth.user_pool), "Arn"]}


def test_each_route_is_a_lambda_proxy_to_its_own_function(synthesis: Synthesis) -> None:
    functions = synthesis.stack.functions.functions
    for route in ROUTES:
        integration = _methods(synthesis)[(route.method, route.resource)]["Integration"]
        assert integration["Type"] == "AWS_PROXY"
        assert integration["IntegrationHttpMethod"] == "POST"
        uri = integration["Uri"]["Fn::Join"][1]
        assert {"Fn::GetAtt": [synthesis.logical_id(functions[route.function]), "Arn"]} in uri


def test_post_orders_bodies_are_validated_against_the_generated_new_order_model(
    synthesis: Synthesis,
) -> None:
    (validator_id,) = synthesis.resources("AWS::ApiGateway::RequestValidator")
    validator = synthesis.template["Resources"][validator_id]["Properties"]
    assert validator["ValidateRequestBody"] is True
    assert validator["ValidateRequestParameters"] is True
    (model_id, model) = next(iter(synthesis.resources("AWS::ApiGateway::Model").items()))
    assert model["Properties"]["ContentType"] == "application/json"
    assert model["Properties"]["Schema"] == draft4_schema(NewOrder)
    post = _methods(synthesis)[("POST", "/orders")]
    assert post["RequestValidatorId"] == {"Ref": validator_id}
    assert post["RequestModels"] == {"application/json": {"Ref": model_id}}


def test_every_route_method_requires_the_authorization_header_and_its_path_parameters(
    synthesis: Synthesis,
) -> None:
    for (http_method, resource), method in _methods(synthesis).items():
        expected = {"method.request.header.Authorization": True}
        for name in re.findall(r"{(\w+)}", resource):
            expected[f"method.request.path.{name}"] = True
        for name in QUERY_PARAMETERS.get((http_method, resource), ()):
            expected[f"method.request.querystring.{name}"] = False
        assert method["RequestParameters"] == expected


def test_customers_list_their_orders_with_get_orders_behind_the_authorizer(
    synthesis: Synthesis,
) -> None:
    listing = _methods(synthesis)[("GET", "/orders")]
    assert listing["AuthorizationType"] == "COGNITO_USER_POOLS"
    assert listing["AuthorizerId"] == {"Ref": synthesis.logical_id(synthesis.stack.api.authorizer)}
    # The page size and the opaque token are declared, and optional.
    assert listing["RequestParameters"] == {
        "method.request.header.Authorization": True,
        "method.request.querystring.limit": False,
        "method.request.querystring.nextToken": False,
    }
    read = synthesis.logical_id(synthesis.stack.functions.functions["read"])
    assert {"Fn::GetAtt": [read, "Arn"]} in listing["Integration"]["Uri"]["Fn::Join"][1]


def test_the_stage_throttles_and_logs_errors_as_configured(synthesis: Synthesis) -> None:
    stage = synthesis.only("AWS::ApiGateway::Stage")["Properties"]
    assert stage["StageName"] == DEFAULT_SETTINGS.stage
    assert stage["MethodSettings"] == [
        {
            "HttpMethod": "*",
            "ResourcePath": "/*",
            "ThrottlingRateLimit": DEFAULT_SETTINGS.api.throttle_rate_limit,
            "ThrottlingBurstLimit": DEFAULT_SETTINGS.api.throttle_burst_limit,
            "LoggingLevel": "ERROR",
            "DataTraceEnabled": False,
            "MetricsEnabled": False,
        }
    ]
    assert stage["TracingEnabled"] is DEFAULT_SETTINGS.observability.tracing


def test_access_logs_are_one_json_object_per_request_without_addresses(
    synthesis: Synthesis,
) -> None:
    stage = synthesis.only("AWS::ApiGateway::Stage")["Properties"]
    access = stage["AccessLogSetting"]
    assert access["DestinationArn"] == {
        "Fn::GetAtt": [synthesis.logical_id(synthesis.stack.api.access_logs), "Arn"]
    }
    log_format = access["Format"]
    assert "sourceIp" not in log_format
    assert "Authorization" not in log_format
    # What API Gateway writes: each variable replaced by its value; messageString is quoted.
    line = log_format.replace("$context.error.messageString", '"Unauthorized"')
    parsed = json.loads(re.sub(r"\$context\.[\w.]+", "-", line))
    assert parsed["errorMessage"] == "Unauthorized"
    assert {"requestId", "status", "resourcePath", "wafStatus"} <= set(parsed)


def test_execution_logs_have_a_retention_and_exist_before_the_stage(
    synthesis: Synthesis,
) -> None:
    stack = synthesis.stack
    log_group_id = synthesis.logical_id(stack.api.execution_logs)
    log_group = synthesis.template["Resources"][log_group_id]["Properties"]
    assert log_group["RetentionInDays"] == DEFAULT_SETTINGS.observability.log_retention_days
    name = log_group["LogGroupName"]["Fn::Join"][1]
    assert name[0] == "API-Gateway-Execution-Logs_"
    assert name[2] == f"/{DEFAULT_SETTINGS.stage}"
    stage = synthesis.only("AWS::ApiGateway::Stage")
    account_id = next(iter(synthesis.resources("AWS::ApiGateway::Account")))
    assert {log_group_id, account_id} <= set(stage["DependsOn"])


def test_api_gateways_own_error_responses_share_one_json_body(synthesis: Synthesis) -> None:
    responses = synthesis.resources("AWS::ApiGateway::GatewayResponse").values()
    by_type = {response["Properties"]["ResponseType"]: response for response in responses}
    assert set(by_type) == {response.response_type for response in GATEWAY_RESPONSES}
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "UNAUTHORIZED", "ACCESS_DENIED", "WAF_FILTERED"} <= set(
        by_type
    )
    assert {"THROTTLED", "BAD_REQUEST_BODY", "EXPIRED_TOKEN"} <= set(by_type)
    for response in by_type.values():
        assert response["Properties"]["ResponseTemplates"] == {"application/json": ERROR_BODY}
        # A gateway response cannot test the origin: it echoes the caller's (see docs/cors.md).
        assert response["Properties"]["ResponseParameters"] == {
            "gatewayresponse.header.Access-Control-Allow-Origin": "method.request.header.Origin",
            "gatewayresponse.header.Access-Control-Expose-Headers": (
                f"'{','.join(API_CORS.expose_headers)}'"
            ),
            "gatewayresponse.header.Vary": "'Origin'",
        }
    assert json.loads(ERROR_BODY.replace("$context.error.messageString", '"Forbidden"')) == {
        "message": "Forbidden"
    }

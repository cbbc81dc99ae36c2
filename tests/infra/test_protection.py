"""The web ACL: the shared policy exactly, on the stage, logging without credentials."""

from __future__ import annotations

from synthesized import Synthesis

from infra.config import PROJECT_TAGS, InfraConfig
from orders_api.deployment.settings import DEFAULT_SETTINGS
from orders_api.deployment.waf_policy import DEFAULT_POLICY, render_web_acl


def test_the_web_acl_is_exactly_the_rendered_shared_policy(synthesis: Synthesis) -> None:
    config = InfraConfig()
    expected = render_web_acl(
        DEFAULT_POLICY, name=config.web_acl_name, metric_prefix=config.stack_name
    )
    properties = synthesis.only("AWS::WAFv2::WebACL")["Properties"]
    assert {key: value for key, value in properties.items() if key != "Tags"} == expected
    assert expected["Scope"] == "REGIONAL"


def test_the_web_acl_carries_the_projects_tags_like_every_taggable_resource(
    synthesis: Synthesis,
) -> None:
    tags = synthesis.only("AWS::WAFv2::WebACL")["Properties"]["Tags"]
    assert {tag["Key"]: tag["Value"] for tag in tags} == PROJECT_TAGS
    table = synthesis.only("AWS::DynamoDB::Table")["Properties"]["Tags"]
    assert {tag["Key"]: tag["Value"] for tag in table}.items() >= PROJECT_TAGS.items()


def test_the_web_acl_is_associated_with_the_api_stage(synthesis: Synthesis) -> None:
    stack = synthesis.stack
    association = synthesis.only("AWS::WAFv2::WebACLAssociation")["Properties"]
    assert association["WebACLArn"] == {
        "Fn::GetAtt": [stack.resolve(stack.protection.web_acl.logical_id), "Arn"]
    }
    arn_parts = association["ResourceArn"]["Fn::Join"][1]
    assert {"Ref": synthesis.logical_id(stack.api.api)} in arn_parts
    assert {"Ref": synthesis.logical_id(stack.api.stage)} in arn_parts
    assert any("/stages/" in str(part) for part in arn_parts)


def test_waf_logs_go_to_an_aws_waf_logs_group_with_retention(synthesis: Synthesis) -> None:
    stack = synthesis.stack
    log_group_id = synthesis.logical_id(stack.protection.log_group)
    log_group = synthesis.template["Resources"][log_group_id]["Properties"]
    assert log_group["LogGroupName"].startswith("aws-waf-logs-")
    assert log_group["RetentionInDays"] == DEFAULT_SETTINGS.observability.log_retention_days
    logging = synthesis.only("AWS::WAFv2::LoggingConfiguration")["Properties"]
    (destination,) = logging["LogDestinationConfigs"]
    parts = destination["Fn::Join"][1]
    # The group's bare ARN (its name via Ref, no ":*" suffix): what WAF logging accepts.
    assert parts[-2:] == [":log-group:", {"Ref": log_group_id}]


def test_waf_logs_never_hold_the_bearer_token(synthesis: Synthesis) -> None:
    logging = synthesis.only("AWS::WAFv2::LoggingConfiguration")["Properties"]
    assert logging["RedactedFields"] == [{"SingleHeader": {"Name": "authorization"}}]

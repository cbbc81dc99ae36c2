"""The web ACL as data, rendered to AWS::WAFv2::WebACL: checked against AWS WAF's schema rules."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest

from orders_api.deployment.waf_policy import (
    DEFAULT_POLICY,
    EVALUATION_WINDOWS_SECONDS,
    MAX_BASE_WCU,
    Action,
    AggregateKey,
    Fallback,
    ForwardedIp,
    IpList,
    PolicyError,
    capacity,
    render_ip_sets,
    render_web_acl,
    validate,
    with_ip_reputation,
    with_rate_limit,
)

RULE_NAME = re.compile(r"^[\w\-]{1,128}$")
METRIC_NAME = re.compile(r"^[\w#:.\-/]{1,255}$")


def render(policy: Any = DEFAULT_POLICY, **kwargs: Any) -> dict[str, Any]:
    return render_web_acl(policy, name="OrdersApiWebAcl", metric_prefix="OrdersApi-", **kwargs)


def rate_rule_of(acl: dict[str, Any]) -> dict[str, Any]:
    (rule,) = [r for r in acl["Rules"] if "RateBasedStatement" in r["Statement"]]
    return rule


def test_the_default_web_acl_is_regional_allows_by_default_and_inspects_16_kb_of_body() -> None:
    acl = render()
    assert acl["Scope"] == "REGIONAL"
    assert acl["DefaultAction"] == {"Allow": {}}
    assert acl["AssociationConfig"] == {
        "RequestBody": {"API_GATEWAY": {"DefaultSizeInspectionLimit": "KB_16"}}
    }
    assert acl["VisibilityConfig"]["MetricName"] == "OrdersApi-WebAcl"


def test_rule_priorities_and_names_are_unique_and_valid() -> None:
    rules = render()["Rules"]
    priorities = [rule["Priority"] for rule in rules]
    names = [rule["Name"] for rule in rules]
    assert len(set(priorities)) == len(priorities)
    assert len(set(names)) == len(names)
    assert all(RULE_NAME.match(name) for name in names)
    assert priorities == sorted(priorities)


def test_every_metric_name_is_valid_unique_and_not_reserved() -> None:
    acl = render()
    metrics = [acl["VisibilityConfig"]["MetricName"]]
    metrics += [rule["VisibilityConfig"]["MetricName"] for rule in acl["Rules"]]
    assert all(METRIC_NAME.match(metric) for metric in metrics)
    assert not {"All", "Default_Action"} & set(metrics)
    assert len(set(metrics)) == len(metrics)
    for rule in acl["Rules"]:
        assert rule["VisibilityConfig"]["SampledRequestsEnabled"] is True
        assert rule["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True


def test_every_rule_has_exactly_one_of_action_or_override_action() -> None:
    for rule in render()["Rules"]:
        statement = rule["Statement"]
        if "ManagedRuleGroupStatement" in statement:
            assert "Action" not in rule
            assert rule["OverrideAction"] == {"None": {}}
        else:
            assert "OverrideAction" not in rule
            assert len(rule["Action"]) == 1


def test_the_deployed_managed_groups_are_the_core_known_bad_inputs_and_sqli_sets() -> None:
    groups = [
        rule["Statement"]["ManagedRuleGroupStatement"]
        for rule in render()["Rules"]
        if "ManagedRuleGroupStatement" in rule["Statement"]
    ]
    assert {(group["VendorName"], group["Name"]) for group in groups} == {
        ("AWS", "AWSManagedRulesCommonRuleSet"),
        ("AWS", "AWSManagedRulesKnownBadInputsRuleSet"),
        ("AWS", "AWSManagedRulesSQLiRuleSet"),
    }


def test_the_rate_rule_limits_per_source_ip_scoped_down_to_the_api_paths() -> None:
    statement = rate_rule_of(render())["Statement"]["RateBasedStatement"]
    assert statement["Limit"] >= 10
    assert statement["EvaluationWindowSec"] in (60, 120, 300, 600)
    assert statement["AggregateKeyType"] == "IP"
    assert "ForwardedIPConfig" not in statement
    prefixes = {
        match["ByteMatchStatement"]["SearchString"]
        for match in statement["ScopeDownStatement"]["OrStatement"]["Statements"]
    }
    assert prefixes == {"/orders", "/prod/orders"}
    for match in statement["ScopeDownStatement"]["OrStatement"]["Statements"]:
        byte_match = match["ByteMatchStatement"]
        assert byte_match["FieldToMatch"] == {"UriPath": {}}
        assert byte_match["PositionalConstraint"] == "STARTS_WITH"
        assert byte_match["TextTransformations"] == [{"Priority": 0, "Type": "URL_DECODE"}]


def test_the_rate_rule_blocks_with_a_429_whose_body_is_defined_once_and_referenced() -> None:
    acl = render()
    custom = rate_rule_of(acl)["Action"]["Block"]["CustomResponse"]
    assert custom["ResponseCode"] == 429
    assert custom["ResponseHeaders"] == [{"Name": "Retry-After", "Value": "60"}]
    body = acl["CustomResponseBodies"][custom["CustomResponseBodyKey"]]
    assert body["ContentType"] == "APPLICATION_JSON"
    assert json.loads(body["Content"]) == {"message": "Too Many Requests"}


def test_every_custom_response_body_key_referenced_exists_with_a_valid_content_type() -> None:
    acl = render()
    referenced = {
        rule["Action"]["Block"]["CustomResponse"]["CustomResponseBodyKey"]
        for rule in acl["Rules"]
        if "Block" in rule.get("Action", {}) and "CustomResponse" in rule["Action"]["Block"]
    }
    assert referenced <= set(acl["CustomResponseBodies"])
    for key, body in acl["CustomResponseBodies"].items():
        assert RULE_NAME.match(key)
        assert body["ContentType"] in {"TEXT_PLAIN", "TEXT_HTML", "APPLICATION_JSON"}
        assert 1 <= len(body["Content"]) <= 10240


def test_the_default_policy_fits_the_1500_wcu_the_base_price_covers() -> None:
    assert capacity(DEFAULT_POLICY) == 26 + 700 + 200 + 200  # rate rule: 2 + 2 x (2 + 10)
    assert capacity(with_ip_reputation(DEFAULT_POLICY)) <= MAX_BASE_WCU


def test_every_rendered_rule_is_a_billed_rule_or_rule_group() -> None:
    assert len(render()["Rules"]) == 4  # $1/month each: rate rule + three managed groups


@pytest.mark.parametrize("limit", [9, 0, -1])
def test_a_rate_limit_below_10_is_refused(limit: int) -> None:
    with pytest.raises(PolicyError, match=">= 10"):
        with_rate_limit(DEFAULT_POLICY, limit)


def test_a_rate_limit_above_two_billion_is_refused() -> None:
    with pytest.raises(PolicyError, match="<="):
        with_rate_limit(DEFAULT_POLICY, 2_000_000_001)


@pytest.mark.parametrize("window", [1, 30, 90, 3600])
def test_an_evaluation_window_aws_does_not_offer_is_refused(window: int) -> None:
    with pytest.raises(PolicyError, match="evaluation window"):
        with_rate_limit(DEFAULT_POLICY, 100, window)


@pytest.mark.parametrize("window", EVALUATION_WINDOWS_SECONDS)
def test_a_rate_override_renders_its_limit_window_and_retry_after(window: int) -> None:
    acl = render(with_rate_limit(DEFAULT_POLICY, 25, window))
    rule = rate_rule_of(acl)
    assert rule["Statement"]["RateBasedStatement"]["Limit"] == 25
    assert rule["Statement"]["RateBasedStatement"]["EvaluationWindowSec"] == window
    headers = rule["Action"]["Block"]["CustomResponse"]["ResponseHeaders"]
    assert headers == [{"Name": "Retry-After", "Value": str(window)}]


def test_a_forwarded_ip_key_renders_its_header_and_fallback() -> None:
    rule = replace(
        DEFAULT_POLICY.rate_rule,
        aggregate_key=AggregateKey.FORWARDED_IP,
        forwarded_ip=ForwardedIp("X-Forwarded-For", Fallback.MATCH),
    )
    statement = rate_rule_of(render(replace(DEFAULT_POLICY, rate_rule=rule)))["Statement"]
    assert statement["RateBasedStatement"]["AggregateKeyType"] == "FORWARDED_IP"
    assert statement["RateBasedStatement"]["ForwardedIPConfig"] == {
        "HeaderName": "X-Forwarded-For",
        "FallbackBehavior": "MATCH",
    }


def test_a_forwarded_ip_key_without_its_header_config_is_refused() -> None:
    rule = replace(DEFAULT_POLICY.rate_rule, aggregate_key=AggregateKey.FORWARDED_IP)
    with pytest.raises(PolicyError, match="forwarded-IP"):
        validate(replace(DEFAULT_POLICY, rate_rule=rule))


def test_a_custom_response_referencing_an_undefined_body_is_refused() -> None:
    with pytest.raises(PolicyError, match="not defined"):
        validate(replace(DEFAULT_POLICY, response_bodies={}))


def test_a_custom_response_may_not_set_content_type() -> None:
    response = replace(
        DEFAULT_POLICY.rate_rule.response, headers=(("Content-Type", "application/json"),)
    )
    rule = replace(DEFAULT_POLICY.rate_rule, response=response)
    with pytest.raises(PolicyError, match="content-type"):
        validate(replace(DEFAULT_POLICY, rate_rule=rule))


def test_two_rules_with_one_priority_are_refused() -> None:
    clash = replace(DEFAULT_POLICY.managed_groups[0], priority=DEFAULT_POLICY.rate_rule.priority)
    with pytest.raises(PolicyError, match="priorities"):
        validate(
            replace(DEFAULT_POLICY, managed_groups=(clash, *DEFAULT_POLICY.managed_groups[1:]))
        )


def test_an_invalid_metric_prefix_is_refused() -> None:
    with pytest.raises(PolicyError, match="metric name"):
        render_web_acl(DEFAULT_POLICY, name="Acl", metric_prefix="has space ")


def test_an_unsupported_body_inspection_limit_is_refused() -> None:
    with pytest.raises(PolicyError, match="body inspection"):
        validate(replace(DEFAULT_POLICY, body_inspection_limit_kb=20))


def test_ip_lists_render_as_ipset_references_before_the_other_rules() -> None:
    policy = replace(
        DEFAULT_POLICY,
        allow_list=IpList("AllowList", 0, Action.ALLOW, ("203.0.113.7/32",)),
        deny_list=IpList("DenyList", 1, Action.BLOCK, ("198.51.100.0/24",)),
    )
    arns = {"AllowList": {"Fn::GetAtt": ["Allow", "Arn"]}, "DenyList": "arn:deny"}
    rules = render(policy, ip_set_arns=arns)["Rules"]
    assert [rule["Name"] for rule in rules[:2]] == ["AllowList", "DenyList"]
    assert rules[0]["Statement"] == {"IPSetReferenceStatement": {"Arn": arns["AllowList"]}}
    assert rules[0]["Action"] == {"Allow": {}}
    assert rules[1]["Action"] == {"Block": {}}
    ip_sets = render_ip_sets(policy, name_prefix="OrdersApi")
    assert ip_sets["DenyList"] == {
        "Name": "OrdersApi-DenyList",
        "Scope": "REGIONAL",
        "IPAddressVersion": "IPV4",
        "Addresses": ["198.51.100.0/24"],
    }


def test_empty_ip_lists_are_not_deployed() -> None:
    policy = replace(DEFAULT_POLICY, deny_list=IpList("DenyList", 1, Action.BLOCK, ()))
    assert [rule["Name"] for rule in render(policy)["Rules"]] == [
        rule["Name"] for rule in render()["Rules"]
    ]


def test_an_ip_list_without_its_ipset_arn_cannot_be_rendered() -> None:
    policy = replace(DEFAULT_POLICY, deny_list=IpList("DenyList", 1, Action.BLOCK, ("10.0.0.1",)))
    with pytest.raises(PolicyError, match="IPSet ARN"):
        render(policy)


def test_counting_rules_of_a_managed_group_renders_rule_action_overrides() -> None:
    group = replace(DEFAULT_POLICY.managed_groups[1], count_rules=("SizeRestrictions_BODY",))
    policy = replace(
        DEFAULT_POLICY,
        managed_groups=(
            DEFAULT_POLICY.managed_groups[0],
            group,
            *DEFAULT_POLICY.managed_groups[2:],
        ),
    )
    (rule,) = [r for r in render(policy)["Rules"] if r["Name"] == group.name]
    assert rule["Statement"]["ManagedRuleGroupStatement"]["RuleActionOverrides"] == [
        {"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}
    ]


def test_rendering_is_pure_and_json_serialisable() -> None:
    assert json.dumps(render(), sort_keys=True) == json.dumps(render(), sort_keys=True)


@pytest.mark.parametrize("name", ["Règle", "rule\n", "ルール", "rule name"])
def test_names_aws_waf_refuses_are_refused_here(name: str) -> None:
    # AWS's EntityName pattern ^[\w\-]+$ is ASCII (Java's \w); Python's \w is not, and `$` took
    # a trailing newline.
    with pytest.raises(PolicyError):
        render_web_acl(DEFAULT_POLICY, name=name, metric_prefix="OrdersApi")


@pytest.mark.parametrize("header", ["X Forwarded", "X-Forwarded-For\n", "Ünïcode", "x:y"])
def test_header_names_outside_aws_s_pattern_are_refused(header: str) -> None:
    policy = replace(
        DEFAULT_POLICY,
        rate_rule=replace(
            DEFAULT_POLICY.rate_rule,
            aggregate_key=AggregateKey.FORWARDED_IP,
            forwarded_ip=ForwardedIp(header, Fallback.MATCH),
        ),
    )
    with pytest.raises(PolicyError):
        validate(policy)

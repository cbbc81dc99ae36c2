"""The web ACL in front of the API, as data: one policy, rendered for AWS and enforced locally.

`render_web_acl` turns `DEFAULT_POLICY` into the `Properties` of an `AWS::WAFv2::WebACL`
(CloudFormation's PascalCase), which the CDK stack deploys unchanged; the local twin's engine
(`orders_api.twin.waf`) evaluates the very same objects. Every top-level rule rendered is a
billed rule or rule group ($1 per month each), which is what the cost model counts.

Managed rule groups, and why (prices: $1 per rule group per month; the web ACL's base price
covers 1,500 WCU):

- ``AWSManagedRulesCommonRuleSet`` (700 WCU): size limits, missing/bad user agents, XSS,
  LFI/RFI, EC2 metadata SSRF. The baseline for any web application. Deployed.
- ``AWSManagedRulesKnownBadInputsRuleSet`` (200 WCU): Log4Shell, Java deserialization,
  ``localhost`` host header, PROPFIND, exploitable paths. Scanners probe every public
  endpoint with these; blocking them here keeps them off Lambda. Deployed.
- ``AWSManagedRulesSQLiRuleSet`` (200 WCU): the Core rule set has no SQL injection rules at
  all. No SQL reaches DynamoDB, but the local twin stores in SQLite, the request bodies are
  free text that other systems (support tools, exports) will read, and SQL injection is the
  bulk of scanner traffic. $1/month and still within the 1,500 WCU base. Deployed.
- ``AWSManagedRulesAmazonIpReputationList`` (25 WCU): Amazon's threat-intelligence lists of
  bots, reconnaissance and DDoS sources. Not deployed by default: every route needs a Cognito
  token, so such traffic is already refused by the authorizer before Lambda runs (and API
  Gateway does not bill failed authorizations), the rate rule caps floods per address, and
  the list is not public, so the local twin could never test what it does. `ip_reputation`
  turns it on for $1/month when the logs show reconnaissance worth dropping earlier.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Literal

from orders_api.deployment.routes import ROUTES
from orders_api.deployment.settings import STAGE_NAME

EVALUATION_WINDOWS_SECONDS = (60, 120, 300, 600)
"""The only evaluation windows a rate-based rule accepts."""
MIN_RATE_LIMIT = 10
"""AWS refuses a rate-based rule with a lower limit."""
MAX_RATE_LIMIT = 2_000_000_000
"""Nor one with a higher limit."""
MAX_BASE_WCU = 1500
"""The capacity a web ACL's base price covers; above it each 500 WCU costs extra."""
BODY_INSPECTION_LIMITS_KB = (16, 32, 48, 64)
"""What `AssociationConfig` offers for API Gateway; 16 KB is the default and costs nothing extra."""

# The patterns of AWS WAF's own service model (wafv2's EntityName, MetricName and
# CustomHTTPHeaderName shapes), ASCII as AWS's Java regular expressions read `\w`.
NAME_PATTERN = re.compile(r"^[\w\-]{1,128}$", re.ASCII)
"""Rule names, web ACL names and custom response body keys."""
METRIC_NAME_PATTERN = re.compile(r"^[\w#:.\-/]{1,255}$", re.ASCII)
RESERVED_METRIC_NAMES = frozenset({"All", "Default_Action"})
HEADER_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9._$-]{1,64}$")

JSON_CONTENT_TYPE: Literal["APPLICATION_JSON"] = "APPLICATION_JSON"
CONTENT_TYPES = frozenset({"TEXT_PLAIN", "TEXT_HTML", JSON_CONTENT_TYPE})
ContentType = Literal["TEXT_PLAIN", "TEXT_HTML", "APPLICATION_JSON"]


class Action(StrEnum):
    """What a rule does when it matches. Block and Allow end the evaluation; Count does not."""

    ALLOW = "Allow"
    BLOCK = "Block"
    COUNT = "Count"


class AggregateKey(StrEnum):
    """Whose requests a rate-based rule counts together."""

    IP = "IP"
    """The source address of the connection: for a regional API, the client's own address."""
    FORWARDED_IP = "FORWARDED_IP"
    """The first address in a header, for an API behind a proxy or CDN that sets it."""


class Fallback(StrEnum):
    """What a forwarded-IP header that holds no valid address counts as."""

    MATCH = "MATCH"
    NO_MATCH = "NO_MATCH"


@dataclass(frozen=True, slots=True)
class ForwardedIp:
    """Read the client's address from a header. Only trustworthy behind a proxy that sets it.

    As in AWS, a request without the header is not evaluated by the rule at all, and a
    header without a valid address is treated as `fallback` says.
    """

    header_name: str = "X-Forwarded-For"
    fallback: Fallback = Fallback.NO_MATCH


@dataclass(frozen=True, slots=True)
class ResponseBody:
    content_type: ContentType
    content: str


@dataclass(frozen=True, slots=True)
class CustomResponse:
    """A Block action's own response. Its body is named by key and defined once per web ACL."""

    status: int
    body_key: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class RateRule:
    """A rate-based rule: more than `limit` requests from one key within the window are refused.

    Counting is restricted to `path_prefixes` (the scope-down statement): traffic to any other
    path is neither counted nor limited.
    """

    name: str
    priority: int
    limit: int
    window_seconds: int
    path_prefixes: tuple[str, ...]
    aggregate_key: AggregateKey = AggregateKey.IP
    forwarded_ip: ForwardedIp | None = None
    action: Action = Action.BLOCK
    response: CustomResponse | None = None


@dataclass(frozen=True, slots=True)
class ManagedGroup:
    """An AWS managed rule group, referenced by name; AWS maintains its rules."""

    name: str
    """The rule's name in this web ACL."""
    priority: int
    group_name: str
    """AWS's name for the group, e.g. AWSManagedRulesCommonRuleSet."""
    capacity: int
    """Its fixed WCU, as AWS publishes it."""
    vendor: str = "AWS"
    version: str | None = None
    """A pinned static version, or None for AWS's default version."""
    count_only: bool = False
    """Override the whole group to Count: evaluate and label, never block."""
    count_rules: tuple[str, ...] = ()
    """Rules of the group whose action is overridden to Count."""


@dataclass(frozen=True, slots=True)
class IpList:
    """Addresses (CIDR) that are always allowed or always blocked, by the connection's source.

    Deployed as an `AWS::WAFv2::IPSet` referenced by ARN; an empty list is not deployed.
    """

    name: str
    priority: int
    action: Action
    addresses: tuple[str, ...] = ()

    @property
    def ip_version(self) -> Literal["IPV4", "IPV6"]:
        versions = {ipaddress.ip_network(a, strict=False).version for a in self.addresses}
        return "IPV6" if versions == {6} else "IPV4"


Rule = RateRule | ManagedGroup | IpList

# Published WCU of the managed groups (AWS WAF developer guide, AWS Managed Rules).
COMMON_RULE_SET_WCU = 700
KNOWN_BAD_INPUTS_WCU = 200
SQLI_RULE_SET_WCU = 200
IP_REPUTATION_WCU = 25


@dataclass(frozen=True, slots=True)
class WafPolicy:
    """The whole web ACL: its rules, its default action and what it inspects."""

    rate_rule: RateRule
    managed_groups: tuple[ManagedGroup, ...]
    allow_list: IpList | None = None
    deny_list: IpList | None = None
    response_bodies: Mapping[str, ResponseBody] = field(default_factory=dict)
    default_action: Action = Action.ALLOW
    body_inspection_limit_kb: int = 16
    """How much of a body API Gateway forwards to WAF; beyond it the rules see a truncated body."""

    def rules(self) -> tuple[Rule, ...]:
        """Every deployed rule in evaluation order (ascending priority); empty IP lists skipped."""
        candidates: list[Rule] = [self.rate_rule, *self.managed_groups]
        candidates += [ip for ip in (self.allow_list, self.deny_list) if ip and ip.addresses]
        return tuple(sorted(candidates, key=lambda rule: rule.priority))

    @property
    def body_inspection_limit_bytes(self) -> int:
        return self.body_inspection_limit_kb * 1024


class PolicyError(ValueError):
    """The policy would be refused by AWS WAF."""


def api_path_prefixes(stage: str = STAGE_NAME) -> tuple[str, ...]:
    """The paths the API serves, with and without the stage: API Gateway's default endpoint
    shows WAF `/prod/orders`, a custom domain or the local twin `/orders`."""
    roots = sorted({"/" + route.resource.strip("/").split("/")[0] for route in ROUTES})
    return tuple(prefix for root in roots for prefix in (f"/{stage}{root}", root))


RATE_LIMITED_BODY_KEY = "rate-limited"

DEFAULT_RATE_RULE = RateRule(
    name="RateLimitPerClient",
    priority=10,
    # A person places a few orders a minute; 100 a minute from one address is a script.
    # Clients behind one NAT share the budget; raise it rather than key on a forged header.
    limit=100,
    window_seconds=60,
    path_prefixes=api_path_prefixes(),
    response=CustomResponse(
        status=429,
        body_key=RATE_LIMITED_BODY_KEY,
        # A custom response is static: the window is the longest a client can have to wait.
        headers=(("Retry-After", "60"),),
    ),
)

BODY_RULES_COUNTED: dict[str, tuple[str, ...]] = {
    "AWSManagedRulesKnownBadInputsRuleSet": ("JavaDeserializationRCE_BODY", "Log4JRCE_BODY"),
    "AWSManagedRulesCommonRuleSet": (
        "SizeRestrictions_BODY",
        "EC2MetaDataSSRF_BODY",
        "GenericLFI_BODY",
        "GenericRFI_BODY",
        "CrossSiteScripting_BODY",
    ),
    "AWSManagedRulesSQLiRuleSet": ("SQLi_BODY", "SQLiExtendedPatterns_BODY"),
}
"""The managed rules that read the request body, set to Count: they label and log what they
match, and never block. A body holds an order, whose free text (the note, the address) is a
customer's own words; AWS does not publish these rules' signatures, so no test can prove they
spare honest text, and a refusal is a lost sale. What they would guard is guarded otherwise:
the structured fields by API Gateway's request model (patterns, an integer, an enum) before
the function runs, free text by length limits, no control characters, and output that is only
ever JSON. Paths, query strings, headers and cookies stay under every blocking rule. AWS
recommends exactly this tuning for false positives: "set the rule action to Count", then
narrow ("Testing and tuning your AWS WAF protections", AWS WAF developer guide). See
docs/waf.md for the threat model, rule by rule."""


def _group(name: str, priority: int, capacity: int) -> ManagedGroup:
    return ManagedGroup(
        name=name,
        priority=priority,
        group_name=name,
        capacity=capacity,
        count_rules=BODY_RULES_COUNTED[name],
    )


DEFAULT_POLICY = WafPolicy(
    rate_rule=DEFAULT_RATE_RULE,
    managed_groups=(
        _group("AWSManagedRulesKnownBadInputsRuleSet", 20, KNOWN_BAD_INPUTS_WCU),
        _group("AWSManagedRulesCommonRuleSet", 30, COMMON_RULE_SET_WCU),
        _group("AWSManagedRulesSQLiRuleSet", 40, SQLI_RULE_SET_WCU),
    ),
    response_bodies={
        RATE_LIMITED_BODY_KEY: ResponseBody(
            content_type=JSON_CONTENT_TYPE,
            content='{"message":"Too Many Requests"}',
        )
    },
)

IP_REPUTATION_GROUP = ManagedGroup(
    name="AWSManagedRulesAmazonIpReputationList",
    priority=5,
    group_name="AWSManagedRulesAmazonIpReputationList",
    capacity=IP_REPUTATION_WCU,
)


def with_rate_limit(policy: WafPolicy, limit: int, window_seconds: int | None = None) -> WafPolicy:
    """The same policy with another rate limit (and window); `Retry-After` follows the window.

    For local runs: load tests raise the limit so that every rule still evaluates without the
    rate rule tripping. The result is validated like any policy.
    """
    rule = policy.rate_rule
    window = rule.window_seconds if window_seconds is None else window_seconds
    response = rule.response
    if response is not None:
        headers = tuple(
            (name, str(window) if name.lower() == "retry-after" else value)
            for name, value in response.headers
        )
        response = replace(response, headers=headers)
    changed = replace(
        policy,
        rate_rule=replace(rule, limit=limit, window_seconds=window, response=response),
    )
    validate(changed)
    return changed


def with_ip_reputation(policy: WafPolicy) -> WafPolicy:
    """The policy with Amazon's IP reputation list in front of every other rule."""
    return replace(policy, managed_groups=(IP_REPUTATION_GROUP, *policy.managed_groups))


def capacity(policy: WafPolicy) -> int:
    """The web ACL's WCU, after AWS's published costs for each statement."""
    total = 0
    for rule in policy.rules():
        if isinstance(rule, ManagedGroup):
            total += rule.capacity
        elif isinstance(rule, IpList):
            total += 1  # IP set reference
        else:
            # Rate-based: 2, plus its scope-down statement (each STARTS_WITH string match: 2,
            # and 10 for its URL_DECODE transformation).
            total += 2 + (2 + 10) * len(rule.path_prefixes)
    return total


def validate(policy: WafPolicy) -> None:
    """Raise PolicyError for anything AWS WAF would refuse to create."""
    rules = policy.rules()
    _require(bool(rules), "a web ACL needs at least one rule")
    names = [rule.name for rule in rules]
    _require(len(set(names)) == len(names), f"rule names must be unique: {names}")
    priorities = [rule.priority for rule in rules]
    _require(len(set(priorities)) == len(priorities), f"priorities must be unique: {priorities}")
    for rule in rules:
        _require(rule.priority >= 0, f"{rule.name}: priority must not be negative")
        _require(bool(NAME_PATTERN.fullmatch(rule.name)), f"invalid rule name {rule.name!r}")
    _validate_rate_rule(policy.rate_rule, policy.response_bodies)
    for key, body in policy.response_bodies.items():
        _require(bool(NAME_PATTERN.fullmatch(key)), f"invalid custom response body key {key!r}")
        _require(body.content_type in CONTENT_TYPES, f"{key}: bad content type")
        _require(1 <= len(body.content) <= 10240, f"{key}: content must be 1-10240 characters")
    for ip_list, action in ((policy.allow_list, Action.ALLOW), (policy.deny_list, Action.BLOCK)):
        if ip_list is not None:
            _require(ip_list.action is action, f"{ip_list.name} must {action}")
            for address in ip_list.addresses:
                ipaddress.ip_network(address, strict=False)  # raises ValueError
            versions = {ipaddress.ip_network(a, strict=False).version for a in ip_list.addresses}
            _require(len(versions) <= 1, f"{ip_list.name}: one IP version per IP set")
    _require(
        policy.default_action in (Action.ALLOW, Action.BLOCK), "default action: Allow or Block"
    )
    _require(
        policy.body_inspection_limit_kb in BODY_INSPECTION_LIMITS_KB,
        f"body inspection limit must be one of {BODY_INSPECTION_LIMITS_KB} KB",
    )
    _require(capacity(policy) <= MAX_BASE_WCU, f"{capacity(policy)} WCU > {MAX_BASE_WCU}")


def _validate_rate_rule(rule: RateRule, bodies: Mapping[str, ResponseBody]) -> None:
    _require(rule.limit >= MIN_RATE_LIMIT, f"rate limit must be >= {MIN_RATE_LIMIT}")
    _require(rule.limit <= MAX_RATE_LIMIT, f"rate limit must be <= {MAX_RATE_LIMIT}")
    _require(
        rule.window_seconds in EVALUATION_WINDOWS_SECONDS,
        f"evaluation window must be one of {EVALUATION_WINDOWS_SECONDS}",
    )
    _require(rule.action in (Action.BLOCK, Action.COUNT), "rate rule: Block or Count")
    _require(bool(rule.path_prefixes), "rate rule: scope it to at least one path")
    if rule.aggregate_key is AggregateKey.FORWARDED_IP:
        _require(rule.forwarded_ip is not None, "FORWARDED_IP needs a forwarded-IP config")
    else:
        _require(rule.forwarded_ip is None, "a forwarded-IP config needs FORWARDED_IP")
    if rule.forwarded_ip is not None:
        _require(
            bool(HEADER_NAME_PATTERN.fullmatch(rule.forwarded_ip.header_name)), "bad header name"
        )
    response = rule.response
    if response is not None:
        _require(rule.action is Action.BLOCK, "only a Block action has a custom response")
        _require(200 <= response.status <= 599, "custom response status must be 200-599")
        _require(
            response.body_key is None or response.body_key in bodies,
            f"custom response body {response.body_key!r} is not defined",
        )
        header_names = [name.lower() for name, _ in response.headers]
        _require(len(set(header_names)) == len(header_names), "duplicate response headers")
        for name, value in response.headers:
            _require(bool(HEADER_NAME_PATTERN.fullmatch(name)), f"bad header name {name!r}")
            _require(name.lower() != "content-type", "content-type comes from the body")
            _require(1 <= len(value) <= 255, f"{name}: value must be 1-255 characters")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PolicyError(message)


def render_web_acl(
    policy: WafPolicy,
    *,
    name: str,
    metric_prefix: str,
    ip_set_arns: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The `Properties` of an `AWS::WAFv2::WebACL` (REGIONAL) enforcing `policy`.

    `ip_set_arns` maps an IP list's name to its IPSet's ARN (a CloudFormation token); it is
    needed only for non-empty lists, whose IPSets `render_ip_sets` describes.
    """
    validate(policy)
    _require(bool(NAME_PATTERN.fullmatch(name)), f"invalid web ACL name {name!r}")
    arns = ip_set_arns or {}
    properties: dict[str, Any] = {
        "Name": name,
        "Scope": "REGIONAL",
        "Description": "Orders API: rate limit per client and AWS managed rules",
        "DefaultAction": {policy.default_action.value: {}},
        "Rules": [_render_rule(rule, metric_prefix, arns) for rule in policy.rules()],
        "VisibilityConfig": _visibility(metric_prefix, "WebAcl"),
        "AssociationConfig": {
            "RequestBody": {
                "API_GATEWAY": {
                    "DefaultSizeInspectionLimit": f"KB_{policy.body_inspection_limit_kb}"
                }
            }
        },
    }
    if policy.response_bodies:
        properties["CustomResponseBodies"] = {
            key: {"ContentType": body.content_type, "Content": body.content}
            for key, body in policy.response_bodies.items()
        }
    return properties


def render_ip_sets(policy: WafPolicy, *, name_prefix: str) -> dict[str, dict[str, Any]]:
    """`AWS::WAFv2::IPSet` properties for each non-empty IP list, keyed by the list's name."""
    return {
        ip_list.name: {
            "Name": f"{name_prefix}-{ip_list.name}",
            "Scope": "REGIONAL",
            "IPAddressVersion": ip_list.ip_version,
            "Addresses": [
                str(ipaddress.ip_network(address, strict=False)) for address in ip_list.addresses
            ],
        }
        for ip_list in policy.rules()
        if isinstance(ip_list, IpList)
    }


def _render_rule(rule: Rule, metric_prefix: str, arns: Mapping[str, Any]) -> dict[str, Any]:
    rendered: dict[str, Any] = {"Name": rule.name, "Priority": rule.priority}
    if isinstance(rule, ManagedGroup):
        statement: dict[str, Any] = {"VendorName": rule.vendor, "Name": rule.group_name}
        if rule.version:
            statement["Version"] = rule.version
        if rule.count_rules:
            statement["RuleActionOverrides"] = [
                {"Name": name, "ActionToUse": {"Count": {}}} for name in rule.count_rules
            ]
        rendered["Statement"] = {"ManagedRuleGroupStatement": statement}
        rendered["OverrideAction"] = {"Count": {}} if rule.count_only else {"None": {}}
    elif isinstance(rule, IpList):
        _require(rule.name in arns, f"no IPSet ARN given for {rule.name}")
        rendered["Statement"] = {"IPSetReferenceStatement": {"Arn": arns[rule.name]}}
        rendered["Action"] = {rule.action.value: {}}
    else:
        rendered["Statement"] = {"RateBasedStatement": _rate_statement(rule)}
        rendered["Action"] = {rule.action.value: _block_settings(rule)}
    rendered["VisibilityConfig"] = _visibility(metric_prefix, rule.name)
    return rendered


def _rate_statement(rule: RateRule) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Limit": rule.limit,
        "EvaluationWindowSec": rule.window_seconds,
        "AggregateKeyType": rule.aggregate_key.value,
    }
    if rule.forwarded_ip is not None:
        statement["ForwardedIPConfig"] = {
            "HeaderName": rule.forwarded_ip.header_name,
            "FallbackBehavior": rule.forwarded_ip.fallback.value,
        }
    # API Gateway routes the decoded path: /prod/%6Frders reaches the orders route, so the
    # scope-down decodes it too, or an encoded letter would slip past the rate limit.
    matches = [
        {
            "ByteMatchStatement": {
                "FieldToMatch": {"UriPath": {}},
                "PositionalConstraint": "STARTS_WITH",
                "SearchString": prefix,
                "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}],
            }
        }
        for prefix in rule.path_prefixes
    ]
    statement["ScopeDownStatement"] = (
        matches[0] if len(matches) == 1 else {"OrStatement": {"Statements": matches}}
    )
    return statement


def _block_settings(rule: RateRule) -> dict[str, Any]:
    if rule.response is None:
        return {}
    custom: dict[str, Any] = {"ResponseCode": rule.response.status}
    if rule.response.body_key:
        custom["CustomResponseBodyKey"] = rule.response.body_key
    if rule.response.headers:
        custom["ResponseHeaders"] = [
            {"Name": name, "Value": value} for name, value in rule.response.headers
        ]
    return {"CustomResponse": custom}


def _visibility(metric_prefix: str, suffix: str) -> dict[str, Any]:
    metric_name = f"{metric_prefix}{suffix}"
    _require(
        bool(METRIC_NAME_PATTERN.fullmatch(metric_name))
        and metric_name not in RESERVED_METRIC_NAMES,
        f"invalid metric name {metric_name!r}",
    )
    return {
        "SampledRequestsEnabled": True,
        "CloudWatchMetricsEnabled": True,
        "MetricName": metric_name,
    }

"""AWS managed rule groups, emulated rule by rule after AWS's published rule tables.

Each rule keeps AWS's name (what a WAF log's `ruleGroupList[].terminatingRule.ruleId`
shows) and label. Rules run in the order AWS lists them; within a group the first rule
whose action is Block ends the group's evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from orders_api.edge.waf import detectors
from orders_api.edge.waf.inspection import Inspection

SIZE_LIMIT_QUERY_STRING = 2048
SIZE_LIMIT_COOKIE = 10240
SIZE_LIMIT_BODY = 8192
SIZE_LIMIT_URI_PATH = 1024


@dataclass(frozen=True, slots=True)
class ManagedRule:
    name: str
    """AWS's rule name, e.g. CrossSiteScripting_BODY."""
    label: str
    """The full label AWS adds on a match, e.g. awswaf:managed:aws:core-rule-set:..."""
    matches: Callable[[Inspection], bool]


def _any(views: Iterable[str], detector: Callable[[str], bool]) -> bool:
    return any(detector(view) for view in views)


def _rule(
    namespace: str, name: str, label: str, matches: Callable[[Inspection], bool]
) -> ManagedRule:
    return ManagedRule(name, f"awswaf:managed:aws:{namespace}:{label}", matches)


def _core(name: str, label: str, matches: Callable[[Inspection], bool]) -> ManagedRule:
    return _rule("core-rule-set", name, label, matches)


def _known_bad(name: str, label: str, matches: Callable[[Inspection], bool]) -> ManagedRule:
    return _rule("known-bad-inputs", name, label, matches)


def _sqli(name: str, label: str, matches: Callable[[Inspection], bool]) -> ManagedRule:
    return _rule("sql-database", name, label, matches)


def _no_user_agent(request: Inspection) -> bool:
    agent = request.request.header("user-agent")
    return agent is None or not agent.strip()


def _bad_bot(request: Inspection) -> bool:
    return any(detectors.is_bad_bot(agent) for agent in request.request.header_values("user-agent"))


def _host_is_localhost(request: Inspection) -> bool:
    return any(detectors.is_localhost(host) for host in request.request.header_values("host"))


def _restricted_extension_in_arguments(request: Inspection) -> bool:
    return _any(request.views_of_arguments(), detectors.has_restricted_extension)


def _restricted_extension_in_path(request: Inspection) -> bool:
    return _any(request.views_of_path(), detectors.has_restricted_extension)


COMMON_RULE_SET: tuple[ManagedRule, ...] = (
    _core("NoUserAgent_HEADER", "NoUserAgent_Header", _no_user_agent),
    _core("UserAgent_BadBots_HEADER", "BadBots_Header", _bad_bot),
    _core(
        "SizeRestrictions_QUERYSTRING",
        "SizeRestrictions_QueryString",
        lambda r: len(r.query_string.encode()) > SIZE_LIMIT_QUERY_STRING,
    ),
    _core(
        "SizeRestrictions_Cookie_HEADER",
        "SizeRestrictions_Cookie_Header",
        lambda r: r.cookie_header_size > SIZE_LIMIT_COOKIE,
    ),
    _core(
        "SizeRestrictions_BODY",
        "SizeRestrictions_Body",
        lambda r: r.body_size > SIZE_LIMIT_BODY,
    ),
    _core(
        "SizeRestrictions_URIPATH",
        "SizeRestrictions_URIPath",
        lambda r: len(r.uri_path.encode()) > SIZE_LIMIT_URI_PATH,
    ),
    _core(
        "EC2MetaDataSSRF_BODY",
        "EC2MetaDataSSRF_Body",
        lambda r: _any(r.views_of_body(), detectors.is_ec2_metadata_ssrf),
    ),
    _core(
        "EC2MetaDataSSRF_COOKIE",
        "EC2MetaDataSSRF_Cookie",
        lambda r: _any(r.views_of_cookies(), detectors.is_ec2_metadata_ssrf),
    ),
    _core(
        "EC2MetaDataSSRF_URIPATH",
        "EC2MetaDataSSRF_URIPath",
        lambda r: _any(r.views_of_path(), detectors.is_ec2_metadata_ssrf),
    ),
    _core(
        "EC2MetaDataSSRF_QUERYARGUMENTS",
        "EC2MetaDataSSRF_QueryArguments",
        lambda r: _any(r.views_of_arguments(), detectors.is_ec2_metadata_ssrf),
    ),
    _core(
        "GenericLFI_QUERYARGUMENTS",
        "GenericLFI_QueryArguments",
        lambda r: _any(r.views_of_arguments(), detectors.is_local_file_inclusion),
    ),
    _core(
        "GenericLFI_URIPATH",
        "GenericLFI_URIPath",
        lambda r: _any(r.views_of_path(), detectors.is_local_file_inclusion),
    ),
    _core(
        "GenericLFI_BODY",
        "GenericLFI_Body",
        lambda r: _any(r.views_of_body(), detectors.is_local_file_inclusion),
    ),
    _core(
        "RestrictedExtensions_URIPATH",
        "RestrictedExtensions_URIPath",
        _restricted_extension_in_path,
    ),
    _core(
        "RestrictedExtensions_QUERYARGUMENTS",
        "RestrictedExtensions_QueryArguments",
        _restricted_extension_in_arguments,
    ),
    _core(
        "GenericRFI_QUERYARGUMENTS",
        "GenericRFI_QueryArguments",
        lambda r: _any(r.views_of_arguments(), detectors.is_remote_file_inclusion),
    ),
    _core(
        "GenericRFI_BODY",
        "GenericRFI_Body",
        lambda r: _any(r.views_of_body(), detectors.is_remote_file_inclusion),
    ),
    _core(
        "GenericRFI_URIPATH",
        "GenericRFI_URIPath",
        lambda r: _any(r.views_of_path(), detectors.is_remote_file_inclusion),
    ),
    _core(
        "CrossSiteScripting_COOKIE",
        "CrossSiteScripting_Cookie",
        lambda r: _any(r.views_of_cookies(), detectors.is_cross_site_scripting),
    ),
    _core(
        "CrossSiteScripting_QUERYARGUMENTS",
        "CrossSiteScripting_QueryArguments",
        lambda r: _any(r.views_of_arguments(), detectors.is_cross_site_scripting),
    ),
    _core(
        "CrossSiteScripting_BODY",
        "CrossSiteScripting_Body",
        lambda r: (
            _any(r.views_of_body(), detectors.is_cross_site_scripting)
            or _any(r.views_of_body_values(), detectors.is_cross_site_scripting)
        ),
    ),
    _core(
        "CrossSiteScripting_URIPATH",
        "CrossSiteScripting_URIPath",
        lambda r: (
            _any(r.views_of_path(), detectors.is_cross_site_scripting)
            or _any(r.views_of_path_segments(), detectors.is_cross_site_scripting)
        ),
    ),
)

KNOWN_BAD_INPUTS: tuple[ManagedRule, ...] = (
    _known_bad(
        "JavaDeserializationRCE_HEADER",
        "JavaDeserializationRCE_Header",
        lambda r: _any(r.views_of_headers(), detectors.is_java_deserialization),
    ),
    _known_bad(
        "JavaDeserializationRCE_BODY",
        "JavaDeserializationRCE_Body",
        lambda r: _any(r.views_of_body(), detectors.is_java_deserialization),
    ),
    _known_bad(
        "JavaDeserializationRCE_URIPATH",
        "JavaDeserializationRCE_URIPath",
        lambda r: _any(r.views_of_path(), detectors.is_java_deserialization),
    ),
    _known_bad(
        "JavaDeserializationRCE_QUERYSTRING",
        "JavaDeserializationRCE_QueryString",
        lambda r: _any(r.views_of_query_string(), detectors.is_java_deserialization),
    ),
    _known_bad("Host_localhost_HEADER", "Host_Localhost_Header", _host_is_localhost),
    _known_bad("PROPFIND_METHOD", "Propfind_Method", lambda r: r.method.upper() == "PROPFIND"),
    _known_bad(
        "ExploitablePaths_URIPATH",
        "ExploitablePaths_URIPath",
        lambda r: _any(r.views_of_path(), detectors.is_exploitable_path),
    ),
    _known_bad(
        "Log4JRCE_HEADER",
        "Log4JRCE_Header",
        lambda r: _any(r.views_of_headers(), detectors.is_log4j_lookup),
    ),
    _known_bad(
        "Log4JRCE_QUERYSTRING",
        "Log4JRCE_QueryString",
        lambda r: _any(r.views_of_query_string(), detectors.is_log4j_lookup),
    ),
    _known_bad(
        "Log4JRCE_BODY",
        "Log4JRCE_Body",
        lambda r: _any(r.views_of_body(), detectors.is_log4j_lookup),
    ),
    _known_bad(
        "Log4JRCE_URIPATH",
        "Log4JRCE_URIPath",
        lambda r: _any(r.views_of_path(), detectors.is_log4j_lookup),
    ),
)

SQL_DATABASE: tuple[ManagedRule, ...] = (
    _sqli(
        "SQLiExtendedPatterns_QUERYARGUMENTS",
        "SQLiExtendedPatterns_QueryArguments",
        lambda r: _any(r.views_of_arguments(), detectors.is_sql_injection_extended),
    ),
    _sqli(
        "SQLi_QUERYARGUMENTS",
        "SQLi_QueryArguments",
        lambda r: _any(r.views_of_arguments(), detectors.is_sql_injection),
    ),
    _sqli(
        "SQLi_BODY",
        "SQLi_Body",
        lambda r: (
            _any(r.views_of_body(), detectors.is_sql_injection)
            or _any(r.views_of_body_values(), detectors.is_sql_injection)
        ),
    ),
    _sqli(
        "SQLiExtendedPatterns_BODY",
        "SQLiExtendedPatterns_Body",
        lambda r: _any(r.views_of_body(), detectors.is_sql_injection_extended),
    ),
    _sqli(
        "SQLi_COOKIE",
        "SQLi_Cookie",
        lambda r: _any(r.views_of_cookies(), detectors.is_sql_injection),
    ),
    _sqli(
        "SQLi_URIPATH",
        "SQLi_URIPath",
        lambda r: (
            _any(r.views_of_path(), detectors.is_sql_injection)
            or _any(r.views_of_path_segments(), detectors.is_sql_injection)
        ),
    ),
)

IP_REPUTATION: tuple[ManagedRule, ...] = ()
"""Amazon's reputation lists are not public: locally this group never matches."""

GROUPS: dict[str, tuple[ManagedRule, ...]] = {
    "AWSManagedRulesCommonRuleSet": COMMON_RULE_SET,
    "AWSManagedRulesKnownBadInputsRuleSet": KNOWN_BAD_INPUTS,
    "AWSManagedRulesSQLiRuleSet": SQL_DATABASE,
    "AWSManagedRulesAmazonIpReputationList": IP_REPUTATION,
}
"""Emulated groups by AWS's group name."""

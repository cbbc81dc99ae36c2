"""AWS managed rule groups, emulated rule by rule after AWS's published rule tables.

Each rule keeps AWS's name (what a WAF log's `ruleGroupList[].terminatingRule.ruleId`
shows) and label. Rules run in the order AWS lists them; within a group the first rule
whose action is Block ends the group's evaluation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import orders_api.twin.waf.detectors as detectors
from orders_api.twin.waf.inspection import Inspection

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


def _scan(
    component: Callable[[Inspection], tuple[str, ...]],
    detector: Callable[[str], bool],
    anchors: tuple[str, ...] | None = None,
) -> Callable[[Inspection], bool]:
    """A rule body: `detector` over each view of a component, skipped outright when the
    component mentions none of the detector's anchors."""

    def matches(request: Inspection) -> bool:
        views = component(request)
        if anchors is not None and not request.mentions(views, anchors):
            return False
        for view in views:
            if detector(view):
                request.matched_text = view
                return True
        return False

    return matches


def _either(
    first: Callable[[Inspection], bool], second: Callable[[Inspection], bool]
) -> Callable[[Inspection], bool]:
    return lambda request: first(request) or second(request)


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
        _scan(Inspection.views_of_body, detectors.is_ec2_metadata_ssrf, detectors.EC2_ANCHORS),
    ),
    _core(
        "EC2MetaDataSSRF_COOKIE",
        "EC2MetaDataSSRF_Cookie",
        _scan(Inspection.views_of_cookies, detectors.is_ec2_metadata_ssrf, detectors.EC2_ANCHORS),
    ),
    _core(
        "EC2MetaDataSSRF_URIPATH",
        "EC2MetaDataSSRF_URIPath",
        _scan(Inspection.views_of_path, detectors.is_ec2_metadata_ssrf, detectors.EC2_ANCHORS),
    ),
    _core(
        "EC2MetaDataSSRF_QUERYARGUMENTS",
        "EC2MetaDataSSRF_QueryArguments",
        _scan(Inspection.views_of_arguments, detectors.is_ec2_metadata_ssrf, detectors.EC2_ANCHORS),
    ),
    _core(
        "GenericLFI_QUERYARGUMENTS",
        "GenericLFI_QueryArguments",
        _scan(
            Inspection.views_of_arguments, detectors.is_local_file_inclusion, detectors.LFI_ANCHORS
        ),
    ),
    _core(
        "GenericLFI_URIPATH",
        "GenericLFI_URIPath",
        _scan(Inspection.views_of_path, detectors.is_local_file_inclusion, detectors.LFI_ANCHORS),
    ),
    _core(
        "GenericLFI_BODY",
        "GenericLFI_Body",
        _scan(Inspection.views_of_body, detectors.is_local_file_inclusion, detectors.LFI_ANCHORS),
    ),
    _core(
        "RestrictedExtensions_URIPATH",
        "RestrictedExtensions_URIPath",
        _scan(Inspection.views_of_path, detectors.has_restricted_extension),
    ),
    _core(
        "RestrictedExtensions_QUERYARGUMENTS",
        "RestrictedExtensions_QueryArguments",
        _scan(Inspection.views_of_arguments, detectors.has_restricted_extension),
    ),
    _core(
        "GenericRFI_QUERYARGUMENTS",
        "GenericRFI_QueryArguments",
        _scan(
            Inspection.views_of_arguments, detectors.is_remote_file_inclusion, detectors.RFI_ANCHORS
        ),
    ),
    _core(
        "GenericRFI_BODY",
        "GenericRFI_Body",
        _scan(Inspection.views_of_body, detectors.is_remote_file_inclusion, detectors.RFI_ANCHORS),
    ),
    _core(
        "GenericRFI_URIPATH",
        "GenericRFI_URIPath",
        _scan(Inspection.views_of_path, detectors.is_remote_file_inclusion, detectors.RFI_ANCHORS),
    ),
    _core(
        "CrossSiteScripting_COOKIE",
        "CrossSiteScripting_Cookie",
        _scan(Inspection.views_of_cookies, detectors.is_cross_site_scripting),
    ),
    _core(
        "CrossSiteScripting_QUERYARGUMENTS",
        "CrossSiteScripting_QueryArguments",
        _scan(Inspection.views_of_arguments, detectors.is_cross_site_scripting),
    ),
    _core(
        "CrossSiteScripting_BODY",
        "CrossSiteScripting_Body",
        _scan(Inspection.views_of_body_for_injection, detectors.is_cross_site_scripting),
    ),
    _core(
        "CrossSiteScripting_URIPATH",
        "CrossSiteScripting_URIPath",
        _either(
            _scan(Inspection.views_of_path, detectors.is_cross_site_scripting),
            _scan(Inspection.views_of_path_segments, detectors.is_cross_site_scripting),
        ),
    ),
)

KNOWN_BAD_INPUTS: tuple[ManagedRule, ...] = (
    _known_bad(
        "JavaDeserializationRCE_HEADER",
        "JavaDeserializationRCE_Header",
        _scan(
            Inspection.views_of_headers, detectors.is_java_deserialization, detectors.JAVA_ANCHORS
        ),
    ),
    _known_bad(
        "JavaDeserializationRCE_BODY",
        "JavaDeserializationRCE_Body",
        _scan(Inspection.views_of_body, detectors.is_java_deserialization, detectors.JAVA_ANCHORS),
    ),
    _known_bad(
        "JavaDeserializationRCE_URIPATH",
        "JavaDeserializationRCE_URIPath",
        _scan(Inspection.views_of_path, detectors.is_java_deserialization, detectors.JAVA_ANCHORS),
    ),
    _known_bad(
        "JavaDeserializationRCE_QUERYSTRING",
        "JavaDeserializationRCE_QueryString",
        _scan(
            Inspection.views_of_query_string,
            detectors.is_java_deserialization,
            detectors.JAVA_ANCHORS,
        ),
    ),
    _known_bad("Host_localhost_HEADER", "Host_Localhost_Header", _host_is_localhost),
    _known_bad("PROPFIND_METHOD", "Propfind_Method", lambda r: r.method.upper() == "PROPFIND"),
    _known_bad(
        "ExploitablePaths_URIPATH",
        "ExploitablePaths_URIPath",
        _scan(
            Inspection.views_of_path,
            detectors.is_exploitable_path,
            detectors.EXPLOITABLE_PATH_ANCHORS,
        ),
    ),
    _known_bad(
        "Log4JRCE_HEADER",
        "Log4JRCE_Header",
        _scan(Inspection.views_of_headers, detectors.is_log4j_lookup, detectors.LOG4J_ANCHORS),
    ),
    _known_bad(
        "Log4JRCE_QUERYSTRING",
        "Log4JRCE_QueryString",
        _scan(Inspection.views_of_query_string, detectors.is_log4j_lookup, detectors.LOG4J_ANCHORS),
    ),
    _known_bad(
        "Log4JRCE_BODY",
        "Log4JRCE_Body",
        _scan(Inspection.views_of_body, detectors.is_log4j_lookup, detectors.LOG4J_ANCHORS),
    ),
    _known_bad(
        "Log4JRCE_URIPATH",
        "Log4JRCE_URIPath",
        _scan(Inspection.views_of_path, detectors.is_log4j_lookup, detectors.LOG4J_ANCHORS),
    ),
)

SQL_DATABASE: tuple[ManagedRule, ...] = (
    _sqli(
        "SQLiExtendedPatterns_QUERYARGUMENTS",
        "SQLiExtendedPatterns_QueryArguments",
        _scan(
            Inspection.views_of_arguments,
            detectors.is_sql_injection_extended,
            detectors.SQLI_EXTENDED_ANCHORS,
        ),
    ),
    _sqli(
        "SQLi_QUERYARGUMENTS",
        "SQLi_QueryArguments",
        _scan(Inspection.views_of_arguments, detectors.is_sql_injection),
    ),
    _sqli(
        "SQLi_BODY",
        "SQLi_Body",
        _scan(Inspection.views_of_body_for_injection, detectors.is_sql_injection),
    ),
    _sqli(
        "SQLiExtendedPatterns_BODY",
        "SQLiExtendedPatterns_Body",
        _scan(
            Inspection.views_of_body,
            detectors.is_sql_injection_extended,
            detectors.SQLI_EXTENDED_ANCHORS,
        ),
    ),
    _sqli(
        "SQLi_COOKIE",
        "SQLi_Cookie",
        _scan(Inspection.views_of_cookies, detectors.is_sql_injection),
    ),
    _sqli(
        "SQLi_URIPATH",
        "SQLi_URIPath",
        _either(
            _scan(Inspection.views_of_path, detectors.is_sql_injection),
            _scan(Inspection.views_of_path_segments, detectors.is_sql_injection),
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

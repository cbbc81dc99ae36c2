"""One JSON line per decision, shaped like an AWS WAF log record.

Field names and value forms follow AWS WAF's log format (formatVersion 1). Credentials are
never written: `Authorization` and `Cookie` values appear as "REDACTED", as AWS writes
fields that the logging configuration redacts; anything shaped like a token, wherever else the
client put it (a query string, a header of its own), is masked the same way.
"""

from __future__ import annotations

import json
import time
from typing import Any

from orders_api.twin.http import HttpRequest
from orders_api.twin.redaction import REDACTED, mask_tokens
from orders_api.twin.waf.decision import Decision

REDACTED_HEADERS = frozenset({"authorization", "cookie", "x-amz-security-token"})
LOCAL_WEB_ACL_ID = "arn:aws:wafv2:local:000000000000:regional/webacl/OrdersApiLocal/local"


def log_record(
    decision: Decision, request: HttpRequest, *, request_id: str, web_acl_id: str
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "timestamp": int(time.time() * 1000),
        "formatVersion": 1,
        "webaclId": web_acl_id,
        "terminatingRuleId": decision.terminating_rule_id,
        "terminatingRuleType": decision.terminating_rule_type,
        "action": decision.action.upper(),
        "terminatingRuleMatchDetails": [],
        "httpSourceName": "APIGW",
        "httpSourceId": "local:prod",
        "ruleGroupList": decision.rule_group_list,
        "rateBasedRuleList": decision.rate_based_rule_list,
        "nonTerminatingMatchingRules": decision.non_terminating_rules,
        "requestHeadersInserted": None,
        "responseCodeSent": (
            decision.response.status if decision.custom_response and decision.response else None
        ),
        "httpRequest": {
            "clientIp": request.client_ip,
            "country": "-",
            "headers": [
                {
                    "name": name,
                    "value": REDACTED if name.lower() in REDACTED_HEADERS else mask_tokens(value),
                }
                for name, value in request.headers
            ],
            "uri": mask_tokens(request.path),
            "args": mask_tokens(request.raw_query),
            "httpVersion": "HTTP/1.1",
            "httpMethod": request.method,
            "requestId": request_id,
        },
        "labels": [{"name": label} for label in decision.labels],
        "requestBodySize": len(request.body),
        "requestBodySizeInspectedByWAF": decision.body_bytes_inspected,
    }
    return record


def to_line(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)

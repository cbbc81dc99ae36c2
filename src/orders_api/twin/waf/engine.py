"""The local web ACL: the deployed WAF policy evaluated in-process, in front of the gateway.

Rules run in priority order and the first terminating action (Allow or Block) wins; Count
matches only count and label, and evaluation goes on. A Block answers 403
`{"message":"Forbidden"}` as API Gateway does for a WAF block, or the rule's custom response
(the rate rule's 429 with `Retry-After`). Nothing behind the engine runs for a blocked request.
"""

from __future__ import annotations

import ipaddress
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from orders_api.deployment import gateway_responses
from orders_api.deployment.waf_policy import (
    Action,
    AggregateKey,
    Fallback,
    IpList,
    ManagedGroup,
    RateRule,
    WafPolicy,
    validate,
)
from orders_api.twin.http import HttpRequest, HttpResponse
from orders_api.twin.waf.decision import Decision
from orders_api.twin.waf.inspection import Inspection
from orders_api.twin.waf.log import LOCAL_WEB_ACL_ID, log_record, to_line
from orders_api.twin.waf.managed import GROUPS
from orders_api.twin.waf.rate import SlidingWindowCounter

FORBIDDEN = HttpResponse.from_gateway(gateway_responses.WAF_FILTERED)
"""API Gateway's WAF_FILTERED response: what a client sees when the web ACL blocks."""
DEFAULT_ACTION_ID = "Default_Action"
_CONTENT_TYPES = {
    "APPLICATION_JSON": "application/json",
    "TEXT_PLAIN": "text/plain",
    "TEXT_HTML": "text/html",
}


class _GroupResult:
    def __init__(self, group: ManagedGroup) -> None:
        self.group = group
        self.labels: list[str] = []
        self.evidence: list[tuple[str, str | None]] = []
        self.blocking_rule: str | None = None
        self.counted_rules: list[dict[str, Any]] = []

    def as_log_entry(self) -> dict[str, Any]:
        return {
            "ruleGroupId": f"{self.group.vendor}#{self.group.group_name}",
            "terminatingRule": (
                {"ruleId": self.blocking_rule, "action": "BLOCK", "ruleMatchDetails": None}
                if self.blocking_rule
                else None
            ),
            "nonTerminatingMatchingRules": self.counted_rules,
            "excludedRules": None,
            "customerConfig": None,
        }


class WafEngine:
    """The gateway's request filter: `inspect` answers None (allowed) or the blocking response.

    `clock` drives the rate rule's window (seconds, monotonic); `log`, when given, receives one
    JSON line per request, shaped like an AWS WAF log record. Safe to call from several threads.
    """

    def __init__(
        self,
        policy: WafPolicy,
        clock: Callable[[], float] = time.monotonic,
        log: Callable[[str], None] | None = None,
        web_acl_id: str = LOCAL_WEB_ACL_ID,
    ) -> None:
        validate(policy)
        self.policy = policy
        self._rules = policy.rules()
        self._log = log
        self._web_acl_id = web_acl_id
        rate = policy.rate_rule
        self._rate = SlidingWindowCounter(rate.limit, rate.window_seconds, clock)
        self._prefixes = tuple(rate.path_prefixes)
        self._networks = {
            ip_list.name: tuple(ipaddress.ip_network(a, strict=False) for a in ip_list.addresses)
            for ip_list in self._rules
            if isinstance(ip_list, IpList)
        }
        self._rate_response = self._custom_response(rate)
        self._lock = threading.Lock()
        self._totals: Counter[str] = Counter()
        self._per_rule: dict[str, Counter[str]] = {
            rule.name: Counter({"blocked": 0, "allowed": 0, "counted": 0}) for rule in self._rules
        }
        self._per_managed_rule: Counter[str] = Counter()

    def inspect(self, request: HttpRequest) -> HttpResponse | None:
        decision = self.evaluate(request)
        if self._log is not None:
            record = log_record(
                decision, request, request_id=str(uuid.uuid4()), web_acl_id=self._web_acl_id
            )
            self._log(to_line(record))
        return decision.response

    def evaluate(self, request: HttpRequest) -> Decision:
        """Run the web ACL over `request`, count the outcome and return the decision."""
        inspection = Inspection(request, self.policy.body_inspection_limit_bytes)
        decision = self._decide(inspection)
        self._count(decision)
        return decision

    def stats(self) -> dict[str, object]:
        """Counters since start: totals, per web ACL rule and per managed rule that matched."""
        with self._lock:
            return {
                "requests": self._totals["requests"],
                "allowed": self._totals["ALLOW"],
                "blocked": self._totals["BLOCK"],
                "rules": {name: dict(counts) for name, counts in self._per_rule.items()},
                "managedRules": dict(sorted(self._per_managed_rule.items())),
                "rateLimit": {
                    "rule": self.policy.rate_rule.name,
                    "limit": self.policy.rate_rule.limit,
                    "windowSeconds": self.policy.rate_rule.window_seconds,
                    "aggregateKey": self.policy.rate_rule.aggregate_key.value,
                    "limitedKeys": self._rate.limited_keys(),
                },
            }

    def _decide(self, request: Inspection) -> Decision:
        labels: list[str] = []
        evidence: list[tuple[str, str | None]] = []
        groups: list[dict[str, Any]] = []
        rate_list: list[dict[str, Any]] = []
        counted: list[dict[str, Any]] = []
        base: dict[str, Any] = {
            "labels": labels,
            "evidence": evidence,
            "rule_group_list": groups,
            "rate_based_rule_list": rate_list,
            "non_terminating_rules": counted,
            "body_bytes_inspected": len(request.inspected_body),
        }
        for rule in self._rules:
            if isinstance(rule, IpList):
                if self._source_in(rule, request.request.client_ip):
                    if rule.action is Action.COUNT:
                        counted.append({"ruleId": rule.name, "action": "COUNT"})
                        continue
                    return self._terminate(rule.name, "REGULAR", rule.action, None, base)
            elif isinstance(rule, RateRule):
                if self._rate_limited(rule, request):
                    rate_list.append(self._rate_entry(rule))
                    if rule.action is Action.COUNT:
                        counted.append({"ruleId": rule.name, "action": "COUNT"})
                        continue
                    return self._terminate(
                        rule.name, "RATE_BASED", Action.BLOCK, self._rate_response, base
                    )
            else:
                result = self._run_group(rule, request)
                labels.extend(result.labels)
                evidence.extend(result.evidence)
                groups.append(result.as_log_entry())
                if result.blocking_rule is not None:
                    if rule.count_only:
                        counted.append({"ruleId": rule.name, "action": "COUNT"})
                        continue
                    return self._terminate(
                        rule.name,
                        "MANAGED_RULE_GROUP",
                        Action.BLOCK,
                        None,
                        base,
                        managed_rule=result.blocking_rule,
                    )
        return Decision(
            action=self.policy.default_action.value.upper(),
            terminating_rule_id=DEFAULT_ACTION_ID,
            terminating_rule_type="REGULAR",
            response=FORBIDDEN if self.policy.default_action is Action.BLOCK else None,
            **_frozen(base),
        )

    def _terminate(
        self,
        rule_id: str,
        rule_type: str,
        action: Action,
        response: HttpResponse | None,
        base: dict[str, Any],
        managed_rule: str | None = None,
    ) -> Decision:
        blocked = action is Action.BLOCK
        return Decision(
            action=action.value.upper(),
            terminating_rule_id=rule_id,
            terminating_rule_type=rule_type,
            managed_rule=managed_rule,
            response=(response or FORBIDDEN) if blocked else None,
            custom_response=blocked and response is not None,
            **_frozen(base),
        )

    def _run_group(self, group: ManagedGroup, request: Inspection) -> _GroupResult:
        result = _GroupResult(group)
        for managed_rule in GROUPS.get(group.group_name, ()):
            request.matched_text = None
            if not managed_rule.matches(request):
                continue
            result.labels.append(managed_rule.label)
            result.evidence.append((managed_rule.name, request.matched_text))
            if managed_rule.name in group.count_rules:
                result.counted_rules.append(
                    {"ruleId": managed_rule.name, "action": "COUNT", "overriddenAction": "BLOCK"}
                )
                continue
            result.blocking_rule = managed_rule.name
            break
        return result

    def _source_in(self, ip_list: IpList, client_ip: str) -> bool:
        try:
            address = ipaddress.ip_address(client_ip)
        except ValueError:
            return False
        return any(address in network for network in self._networks[ip_list.name])

    def _rate_limited(self, rule: RateRule, request: Inspection) -> bool:
        if not request.decoded_uri_path.startswith(self._prefixes):
            return False  # outside the scope-down statement: neither counted nor limited
        key = request.request.client_ip
        if rule.aggregate_key is AggregateKey.FORWARDED_IP and rule.forwarded_ip is not None:
            header = request.request.header(rule.forwarded_ip.header_name)
            if header is None:
                return False  # AWS does not apply the rule to a request without the header
            first = header.split(",", 1)[0].strip()
            try:
                key = str(ipaddress.ip_address(first))
            except ValueError:
                return rule.forwarded_ip.fallback is Fallback.MATCH
        return self._rate.hit(key)

    def _rate_entry(self, rule: RateRule) -> dict[str, Any]:
        return {
            "rateBasedRuleId": rule.name,
            "rateBasedRuleName": rule.name,
            "limitKey": rule.aggregate_key.value,
            "maxRateAllowed": rule.limit,
            "evaluationWindowSec": str(rule.window_seconds),
            "customValues": [],
        }

    def _custom_response(self, rule: RateRule) -> HttpResponse | None:
        if rule.response is None:
            return None
        headers: list[tuple[str, str]] = []
        body = b""
        if rule.response.body_key is not None:
            definition = self.policy.response_bodies[rule.response.body_key]
            headers.append(("Content-Type", _CONTENT_TYPES[definition.content_type]))
            body = definition.content.encode()
        headers.extend(rule.response.headers)
        return HttpResponse(status=rule.response.status, body=body, headers=tuple(headers))

    def _count(self, decision: Decision) -> None:
        with self._lock:
            self._totals["requests"] += 1
            self._totals[decision.action] += 1
            if decision.terminating_rule_id in self._per_rule:
                outcome = "blocked" if decision.blocked else "allowed"
                self._per_rule[decision.terminating_rule_id][outcome] += 1
            for entry in decision.non_terminating_rules:
                self._per_rule[entry["ruleId"]]["counted"] += 1
            for group in decision.rule_group_list:
                group_name = group["ruleGroupId"].split("#", 1)[1]
                if group["terminatingRule"]:
                    self._per_managed_rule[
                        f"{group_name}:{group['terminatingRule']['ruleId']}"
                    ] += 1
                for counted in group["nonTerminatingMatchingRules"]:
                    self._per_managed_rule[f"{group_name}:{counted['ruleId']}"] += 1


def _frozen(base: dict[str, Any]) -> dict[str, Any]:
    return {**base, "labels": tuple(base["labels"]), "evidence": tuple(base["evidence"])}

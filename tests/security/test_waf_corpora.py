"""The local web ACL over both corpora, in-process: every attack blocked by the rule we
expect, every awkward but legitimate order let through (target: 0 false positives)."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter

import pytest

from orders_api.deployment.waf_policy import DEFAULT_POLICY, with_rate_limit
from orders_api.domain import NewOrder
from orders_api.twin.http import HttpRequest
from orders_api.twin.waf.engine import WafEngine
from orders_api.twin.waf.managed import GROUPS
from tests.security.waf_corpora import (
    CorpusRequest,
    legitimate_orders,
    legitimate_requests,
    malicious_requests,
)

MALICIOUS = malicious_requests()
LABELS = {(group, rule.name): rule.label for group, rules in GROUPS.items() for rule in rules}
GROUP_NAMESPACES = {group: group for group in GROUPS}
LEGITIMATE = legitimate_requests()
# The corpora come from one client; the rate rule is exercised by its own tests.
POLICY = with_rate_limit(DEFAULT_POLICY, 2_000_000_000)


def as_http(request: CorpusRequest) -> HttpRequest:
    return HttpRequest(
        request.method, request.path, request.query, request.headers, request.body, "198.51.100.9"
    )


@pytest.fixture(scope="module")
def engine() -> WafEngine:
    return WafEngine(POLICY)


def test_the_malicious_corpus_holds_at_least_150_attacks_of_every_required_kind() -> None:
    assert len(MALICIOUS) >= 150
    kinds = Counter(request.id.split("-")[0] for request in MALICIOUS)
    for kind in ("sqli", "xss", "lfi", "ssrf", "log4j", "size", "scanner"):
        assert kinds[kind] >= 5, kind


@pytest.mark.parametrize("attack", MALICIOUS, ids=lambda attack: attack.id)
def test_each_attack_is_blocked_or_labelled_by_the_rule_expected_for_it(
    engine: WafEngine, attack: CorpusRequest
) -> None:
    decision = engine.evaluate(as_http(attack))
    if attack.counted:
        # A body rule counts: it labels the request, which goes on to the request model.
        group = GROUP_NAMESPACES[attack.expected_group or ""]
        expected_label = LABELS[(attack.expected_group, attack.expected_rule)]
        assert expected_label in decision.labels, group
        return
    assert decision.blocked
    assert (decision.terminating_rule_id, decision.managed_rule) == (
        attack.expected_group,
        attack.expected_rule,
    )
    assert decision.response is not None
    assert decision.response.status == 403


def test_the_legitimate_corpus_holds_at_least_150_awkward_orders_all_valid() -> None:
    orders = legitimate_orders()
    assert len(orders) >= 150
    for entry in orders:
        NewOrder.model_validate_json(json.dumps(entry["order"]))
    text = json.dumps([entry["order"] for entry in orders], ensure_ascii=False)
    for awkward in ("O'Brien", "select the blue one; drop it at the door", "Zoë", "🎁"):
        assert awkward in text
    bidi = {unicodedata.bidirectional(char) for char in text}
    assert {"R", "AL"} <= bidi  # Hebrew and Arabic
    longest_line = max(
        len(entry["order"].get("shippingAddress", {}).get("line1", "")) for entry in orders
    )
    assert longest_line > 150


def test_no_legitimate_order_is_blocked(engine: WafEngine) -> None:
    decisions = {request.id: engine.evaluate(as_http(request)) for request in LEGITIMATE}
    blocked = {
        key: decision.managed_rule for key, decision in decisions.items() if decision.blocked
    }
    rate = len(blocked) / len(LEGITIMATE)
    print(f"\nWAF false-positive rate: {len(blocked)}/{len(LEGITIMATE)} = {rate:.1%}")
    assert blocked == {}, f"false-positive rate {rate:.1%}: {blocked}"

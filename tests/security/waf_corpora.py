"""The WAF corpora (tests/security/corpora/) as requests: in-process and on the wire.

`malicious_requests.json`: attacks from public payload lists, each with the managed rule
expected to block it. `legitimate_orders.json`: awkward but valid orders that must pass.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from orders_api.deployment.waf_policy import DEFAULT_POLICY
from tests.paths import TESTS

CORPORA = TESTS / "security" / "corpora"
DEFAULT_HOST = "orders.example.test"
BROWSER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@dataclass(frozen=True)
class CorpusRequest:
    id: str
    method: str
    target: str
    """The request target exactly as sent: path and query, percent-encoded where needed."""
    headers: tuple[tuple[str, str], ...]
    body: bytes
    expected_group: str | None = None
    expected_rule: str | None = None

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def counted(self) -> bool:
        """Whether the deployed policy counts its expected rule (a body rule) instead of
        blocking: the request is labelled and logged, and goes on to the API."""
        return any(
            group.name == self.expected_group and self.expected_rule in group.count_rules
            for group in DEFAULT_POLICY.managed_groups
        )

    @property
    def query(self) -> str:
        return self.target.split("?", 1)[1] if "?" in self.target else ""


def malicious_requests() -> list[CorpusRequest]:
    document = json.loads((CORPORA / "malicious_requests.json").read_text(encoding="utf-8"))
    return [_malicious(entry) for entry in document["requests"]]


def legitimate_orders() -> list[dict[str, Any]]:
    document = json.loads((CORPORA / "legitimate_orders.json").read_text(encoding="utf-8"))
    orders: list[dict[str, Any]] = document["orders"]
    return orders


def legitimate_requests(path: str = "/prod/orders") -> list[CorpusRequest]:
    """Each legitimate order as the POST a client sends, with that client's user agent."""
    return [
        CorpusRequest(
            id=entry["id"],
            method="POST",
            target=path,
            headers=(
                ("Host", DEFAULT_HOST),
                ("User-Agent", entry.get("userAgent", BROWSER_AGENT)),
                ("Content-Type", "application/json"),
            ),
            body=json.dumps(entry["order"], ensure_ascii=entry.get("asciiEscaped", False)).encode(),
        )
        for entry in legitimate_orders()
    ]


def _malicious(entry: dict[str, Any]) -> CorpusRequest:
    headers: dict[str, str] = {"Host": DEFAULT_HOST, "User-Agent": BROWSER_AGENT}
    for name, value in entry.get("headers", {}).items():
        for existing in [key for key in headers if key.lower() == name.lower()]:
            del headers[existing]
        headers[name] = value
    for omitted in entry.get("omitHeaders", ()):
        headers = {k: v for k, v in headers.items() if k.lower() != omitted.lower()}
    target = entry["target"]
    body = entry.get("body", "").encode()
    pad = entry.get("pad")
    if pad:
        filler = "a" * pad["bytes"]
        if pad["part"] == "body":
            body += (filler + pad.get("suffix", "")).encode()
        elif pad["part"] in ("query", "path"):
            target += filler
        elif pad["part"] == "cookie":
            headers["Cookie"] += filler
    return CorpusRequest(
        id=entry["id"],
        method=entry["method"],
        target=target,
        headers=tuple(headers.items()),
        body=body,
        expected_group=entry["expect"]["ruleGroup"],
        expected_rule=entry["expect"]["rule"],
    )

"""What the web ACL decided for one request: read by the engine's caller and the WAF log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orders_api.twin.http import HttpResponse


@dataclass(frozen=True, slots=True)
class Decision:
    """What the web ACL decided for one request, with what a WAF log record reports."""

    action: str
    """ALLOW or BLOCK."""
    terminating_rule_id: str
    """The web ACL rule that decided, or Default_Action."""
    terminating_rule_type: str
    """REGULAR, RATE_BASED or MANAGED_RULE_GROUP."""
    managed_rule: str | None = None
    """The rule inside a managed group that blocked, e.g. CrossSiteScripting_BODY."""
    response: HttpResponse | None = None
    custom_response: bool = False
    labels: tuple[str, ...] = ()
    rule_group_list: list[dict[str, Any]] = field(default_factory=list)
    rate_based_rule_list: list[dict[str, Any]] = field(default_factory=list)
    non_terminating_rules: list[dict[str, Any]] = field(default_factory=list)
    body_bytes_inspected: int = 0
    evidence: tuple[tuple[str, str | None], ...] = ()
    """(managed rule, the text it matched as inspected) for each rule that matched, blocking or
    counted; None for rules that match on something else (a size, a missing header)."""

    @property
    def blocked(self) -> bool:
        return self.action == "BLOCK"

"""The web ACL's rate rule: a client over the limit gets 429 `{"message":"Too Many Requests"}`
with `Retry-After`, the custom response the stack deploys.

Sources: "Rate-based rule high-level settings in AWS WAF" (limit at least 10 per evaluation
window of 60-600 s; WAF applies the limit "near" the value set, not exactly):
https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html;
"Custom responses for Block actions" (a Block action's own status, headers and body, which
take precedence over the protected resource's, API Gateway's gateway responses included):
https://docs.aws.amazon.com/waf/latest/developerguide/customizing-the-response-for-blocked-requests.html.

Tripping the rule throttles the sending address for a window, so: against the suite's own twin
the case starts one more twin with the lowest limit AWS allows; against any other target it
runs only when ORDERS_API_PARITY_RATE_LIMIT=1, and after every other case (conftest.py).
The requests carry no token: WAF counts them before the authorizer refuses them, and refused
requests invoke no function.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orders_api.cli.api_client import StackOutputs
from tests.e2e.conftest import start_twin
from tests.parity.conftest import (
    RATE_LIMIT_ENV,
    UNAUTHORIZED,
    Target,
    announce,
    opted_in,
)

TOO_MANY = {"message": "Too Many Requests"}
LOWEST_LIMIT = 10  # the lowest rate limit AWS WAF accepts
MAX_REQUESTS = 5_000
MAX_SECONDS = 180.0


@pytest.fixture(scope="module")
def limited(target: Target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    if not target.started_here:
        if not opted_in(RATE_LIMIT_ENV):
            pytest.skip(
                announce(
                    "rate rule: tripping it throttles this address on the target for a whole "
                    f"window; set {RATE_LIMIT_ENV}=1 to run it (last, after every other case)"
                )
            )
        yield target
        return
    twin = start_twin(
        tmp_path_factory.mktemp("rate-limited") / "data",
        "--rate-limit",
        str(LOWEST_LIMIT),
        "--rate-window",
        "60",
    )
    try:
        yield Target(StackOutputs.load(Path(twin.outputs_path)), started_here=True)
    finally:
        twin.stop()


def test_a_client_over_the_rate_limit_gets_429_too_many_requests(limited: Target) -> None:
    statuses: list[int] = []
    deadline = time.monotonic() + MAX_SECONDS
    with limited.client() as client:
        while len(statuses) < MAX_REQUESTS and time.monotonic() < deadline:
            response = client.get("orders")
            statuses.append(response.status_code)
            if response.status_code == 429:
                break
            assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    assert statuses[-1] == 429, f"no 429 after {len(statuses)} requests"
    assert len(statuses) > LOWEST_LIMIT  # the limit let the first ones through
    assert response.json() == TOO_MANY
    assert response.headers["retry-after"].isdigit()

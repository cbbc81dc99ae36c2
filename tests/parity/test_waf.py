"""The web ACL in front of the stage: a request a managed rule blocks gets API Gateway's
WAF_FILTERED answer, 403 `{"message":"Forbidden"}`, whoever sends it.

Sources: "Baseline rule groups", core rule set `GenericLFI_QUERYARGUMENTS` (path traversal such
as `../../` in query arguments) and `CrossSiteScripting_QUERYARGUMENTS`:
https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html;
"Gateway response types for API Gateway" (WAF_FILTERED, 403):
https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html.
"""

from __future__ import annotations

import httpx
import pytest

from tests.parity.conftest import FORBIDDEN, ORDER


@pytest.mark.parametrize(
    "query",
    [{"file": "../../../../etc/passwd"}, {"q": "<script>alert(1)</script>"}],
    ids=["path-traversal", "script"],
)
def test_a_signed_in_customer_whose_query_string_carries_an_attack_is_forbidden(
    api: httpx.Client, query: dict[str, str]
) -> None:
    """The customer's valid ID token changes nothing: the web ACL decides before API Gateway
    looks at the token, and the request never reaches the function."""
    response = api.get("orders", params=query)
    assert (response.status_code, response.json()) == (403, FORBIDDEN)


def test_the_same_request_without_the_attack_is_served(api: httpx.Client) -> None:
    """The control: the refusal above is the web ACL's, not the route's or the token's."""
    placed = api.post("orders", json=ORDER, params={"file": "receipt.pdf"})
    assert placed.status_code == 201, placed.text

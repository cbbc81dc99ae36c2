"""Schemathesis against the running twin, from the committed openapi.json, with a real ID token.

Every generated request (valid and invalid bodies, headers and paths; other methods; missing and
wrong credentials, which schemathesis probes on its own) must get a documented status with a
body that matches the documented schema, and never a 5xx. The web ACL stays on, so requests it
blocks get its documented 403; only its rate rule is raised, or the fuzzer would be throttled.
"""

from __future__ import annotations

import os
import secrets
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from tests.e2e.conftest import Twin, User, new_user, start_twin
from tests.e2e.reliability.orders import UNLIMITED_RATE
from tests.e2e.reliability.report import SOAK, record, scaled
from tests.paths import ROOT

OPENAPI = ROOT / "openapi.json"
MIN_GENERATED_REQUESTS = 1000
EXAMPLES_PER_OPERATION = scaled(500, 5000)
ACCEPTED_OR_400 = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
"""Schemathesis' statuses for a schema-valid request (its default), and 400."""
SEED = int(os.environ.get("ORDERS_FUZZ_SEED") or (secrets.randbelow(2**32) if SOAK else 20261125))
"""Fixed under `make test`, random under `make soak`; ORDERS_FUZZ_SEED=N replays a run."""


@pytest.fixture(scope="module")
def answered() -> Counter[tuple[str, int]]:
    """How many generated requests got each (method, status): filled by the fuzzing test,
    summed up by the next one."""
    return Counter()


@pytest.fixture(scope="module")
def fuzzed_twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twin]:
    root = tmp_path_factory.mktemp("fuzz")
    twin = start_twin(
        root / "data",
        *UNLIMITED_RATE,
        "--access-log",
        "--function-logs",
        "--waf-log",
        str(root / "waf.log"),  # scanned by the log-hygiene test, with every other *.log
    )
    try:
        yield twin
    finally:
        twin.stop()


@pytest.fixture(scope="module")
def fuzzing_user(fuzzed_twin: Twin) -> User:
    return new_user(fuzzed_twin)


@pytest.fixture(scope="module")
def api_schema(fuzzed_twin: Twin, fuzzing_user: User) -> Any:
    generation: dict[str, Any] = {"mode": "all", "max-examples": EXAMPLES_PER_OPERATION}
    settings_: dict[str, Any] = {
        "base-url": fuzzed_twin.api_url.rstrip("/"),
        "auth": {"openapi": {"CognitoIdToken": {"api_key": fuzzing_user.id_token}}},
        "generation": generation,
        "operations": [
            {
                # A nextToken is valid when it names a position this API handed out: no schema
                # can say that, so a generated string is answered 400 naming it, as documented.
                "include-path": "/orders",
                "include-method": "GET",
                "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED_OR_400}},
            }
        ],
    }
    print(f"\nfuzzing with seed {SEED} (ORDERS_FUZZ_SEED={SEED} replays it)")
    settings_["seed"] = SEED
    return schemathesis.openapi.from_path(OPENAPI, config=SchemathesisConfig.from_dict(settings_))


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_every_generated_request_gets_a_documented_answer_and_never_a_5xx(
    case: Any, answered: Counter[tuple[str, int]]
) -> None:
    response = case.call_and_validate()
    answered[(case.method, response.status_code)] += 1
    assert response.status_code < 500, response.text


def test_the_fuzzer_sent_at_least_a_thousand_requests_through_the_whole_path(
    fuzzed_twin: Twin, answered: Counter[tuple[str, int]]
) -> None:
    generated = sum(answered.values())
    if not generated:
        pytest.skip("sums up the fuzzing test of this module; run it with it")
    web_acl = fuzzed_twin.ready()["requestFilter"]
    record(
        "fuzzing",
        generatedRequests=generated,
        requestsSeenByTheTwin=web_acl["requests"],
        blockedByTheWebAcl=web_acl["blocked"],
        statuses={
            f"{method} {status}": count for (method, status), count in sorted(answered.items())
        },
        examplesPerOperation=EXAMPLES_PER_OPERATION,
        seed=SEED,
    )
    assert generated >= MIN_GENERATED_REQUESTS
    # schemathesis adds its own probes (no token, a bad token...) to the generated requests.
    assert web_acl["requests"] >= generated
    assert not [status for (_, status) in answered if status >= 500]

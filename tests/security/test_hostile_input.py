"""Hostile input, generated: whatever a client sends, every component answers with a 4xx (or a
success), never a 5xx or an exception, and memory stays bounded.

Hypothesis drives each component in-process with what broke them before: lone UTF-16
surrogates, invalid UTF-8, nesting thousands deep, numbers of thousands of digits, strings of
hundreds of kilobytes, control characters, duplicate keys and duplicate headers. The
components: the twin's whole front (web ACL, CORS, gateway, authorizer, the Lambda handler),
the Cognito authorizer alone, every identity-provider action, and the handler alone.
`make test` runs a short share; `make soak` (ORDERS_SOAK=1) many more examples. Each test
records what it sent and what came back in test-artifacts/reliability.json.
"""

from __future__ import annotations

import base64
import json
import resource
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders_api.adapters.memory import InMemoryOrderRepository
from orders_api.deployment.waf_policy import DEFAULT_POLICY, with_rate_limit
from orders_api.function import bootstrap, handler
from orders_api.service import OrderService
from orders_api.twin.apigateway.authorizer import AuthorizerDenied, CognitoAuthorizer
from orders_api.twin.awslambda.context import LambdaHandler
from orders_api.twin.cognito import IdentityProvider
from orders_api.twin.cognito.actions import ACTIONS, dispatch
from orders_api.twin.cognito.protocol import TARGET_PREFIX
from orders_api.twin.run import load_function
from orders_api.twin.server import TwinApp
from orders_api.twin.waf.engine import WafEngine
from tests.asgi import exchange, whole
from tests.e2e.reliability.report import record, scaled
from tests.fake_issuer import NOW, Clock, FakeIssuer, new_rsa_key
from tests.fakes import FakeLambdaContext, post_event
from tests.fast_hashes import FAST_HASHES
from tests.security.front import in_memory_front, quiet_function_output

EXAMPLES = scaled(120, 5000)
MEMORY_GROWTH_LIMIT_MB = scaled(150, 800)
"""How much the test process's peak resident memory may grow over the whole module (the
authorizer's cache of 10,000 tokens and the challenge registry fill up under soak sizes)."""

ORDER = {"items": [{"sku": "MUG-01", "quantity": 1}]}
_HOSTILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# What broke the components before, and its neighbours.
lone_surrogates = st.text(
    alphabet=st.one_of(st.characters(categories=["Cs"]), st.characters(codec="utf-8")),
    min_size=1,
    max_size=20,
)
control_text = st.text(alphabet=st.characters(categories=["Cc"]), min_size=1, max_size=20)
hostile_strings = st.one_of(
    lone_surrogates,
    control_text,
    st.text(max_size=50),
    st.integers(1_000, 300_000).map(lambda size: "x" * size),
)


def _with_note(note: str) -> str:
    return json.dumps({**ORDER, "note": note})  # ensure_ascii: a surrogate becomes \\udXXX


hostile_bodies = st.one_of(
    hostile_strings.map(_with_note),
    st.binary(max_size=300),
    st.integers(50, 6_000).map(lambda depth: '{"items":' + "[" * depth + "]" * depth + "}"),
    st.integers(10, 6_000).map(
        lambda digits: '{"items":[{"sku":"MUG-01","quantity":' + "9" * digits + "}]}"
    ),
    st.sampled_from(
        [
            '{"items":[],"items":[{"sku":"MUG-01","quantity":1}],"note":"a","note":"b"}',
            '{"items":[{"sku":"MUG-01","quantity":1,"quantity":2}]}',
            '{"items":[{"sku":"MUG-01","quantity":NaN}]}',
            '{"items":[{"sku":"MUG-01","quantity":-Infinity}]}',
            '{"items":[{"sku":"MUG-01","quantity":1}],"note":"\\ud800"}',
            "\ufeff" + json.dumps(ORDER),
        ]
    ),
    st.recursive(
        st.none() | st.booleans() | st.floats() | st.integers() | hostile_strings,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(hostile_strings, children, max_size=4)
        ),
        max_leaves=12,
    ).map(json.dumps),
).map(lambda body: body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass"))

header_values = st.one_of(
    hostile_strings.map(lambda text: text.encode("utf-8", "replace").decode("latin-1")[:2000]),
    st.just("application/json"),
    st.just("APPLICATION/JSON; charset=utf-8"),
)


@pytest.fixture(scope="module")
def peak_memory() -> Iterator[None]:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    yield
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    record("hostileInputMemory", peakGrowthMb=round(grown_mb, 1), examplesPerTest=EXAMPLES)
    assert grown_mb < MEMORY_GROWTH_LIMIT_MB


@pytest.fixture(scope="module")
def issuer() -> FakeIssuer:
    return FakeIssuer(new_rsa_key())


@pytest.fixture(scope="module")
def authorizer(issuer: FakeIssuer) -> CognitoAuthorizer:
    return issuer.authorizer(Clock(NOW + 60))


@pytest.fixture(scope="module")
def quiet_function() -> Iterator[None]:
    with quiet_function_output():
        yield


@pytest.fixture(scope="module")
def front(authorizer: CognitoAuthorizer) -> Iterator[TwinApp]:
    web_acl = WafEngine(with_rate_limit(DEFAULT_POLICY, 2_000_000_000))
    with in_memory_front(authorizer, web_acl) as app:
        yield app


def _status_of(app: TwinApp, method: str, path: str, headers: list[Any], body: bytes) -> int:
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode("latin-1", "replace"),
        "query_string": b"",
        "headers": [(b"content-length", str(len(body)).encode()), *headers],
        "client": ("127.0.0.1", 50000),
    }
    sent = exchange(app, scope, whole(body))
    return int(sent[0]["status"])


@pytest.fixture(scope="module")
def front_answers() -> Iterator[Counter[int]]:
    answers: Counter[int] = Counter()
    yield answers
    record("hostileInputFront", statuses=dict(sorted(answers.items())), examples=EXAMPLES)


@_HOSTILE
@given(
    # Mostly what reaches the function, POST /prod/orders; the rest of the surface too.
    method=st.sampled_from(["POST", "POST", "POST", "GET", "OPTIONS", "PUT", "HEAD"]),
    path=st.one_of(
        st.just("/prod/orders"),
        st.just("/prod/orders"),
        st.just("/prod/orders"),
        hostile_strings.map(lambda segment: "/prod/orders/" + segment[:200]),
        st.text(max_size=40).map(lambda text: "/" + text),
    ),
    extra_headers=st.lists(
        st.tuples(
            st.sampled_from(
                ["x-a", "cookie", "user-agent", "content-type", "authorization", "origin"]
            ),
            header_values,
        ),
        max_size=4,
    ),
    body=hostile_bodies,
    signed_in=st.booleans(),
)
def test_the_whole_front_never_answers_5xx(
    front: TwinApp,
    issuer: FakeIssuer,
    front_answers: Counter[int],
    peak_memory: None,
    method: str,
    path: str,
    extra_headers: list[tuple[str, str]],
    body: bytes,
    signed_in: bool,
) -> None:
    headers = [(b"host", b"127.0.0.1:3000"), (b"user-agent", b"hostile-input-test/1.0")]
    if signed_in:
        headers.append((b"authorization", issuer.sign(issuer.id_claims()).encode()))
    headers += [
        (name.encode(), value.encode("latin-1", "replace")) for name, value in extra_headers
    ]
    status = _status_of(
        front, method, path.encode("utf-8", "replace").decode("latin-1"), headers, body
    )
    front_answers[status] += 1
    assert status < 500


@_HOSTILE
@given(
    header=st.one_of(
        hostile_strings,
        st.just("Bearer "),
        st.text(alphabet="abcXYZ0123-_.", max_size=400),
    ),
    claims=st.dictionaries(
        st.sampled_from(
            ["exp", "iat", "nbf", "auth_time", "sub", "aud", "token_use", "scope", "iss"]
        ),
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.integers(min_value=-(10**30), max_value=10**30),
            hostile_strings,
            st.lists(st.integers(), max_size=3),
            st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
            st.booleans(),
            st.none(),
        ),
        max_size=4,
    ),
)
def test_the_authorizer_only_ever_grants_claims_or_refuses(
    authorizer: CognitoAuthorizer,
    issuer: FakeIssuer,
    peak_memory: None,
    header: str,
    claims: dict[str, Any],
) -> None:
    try:
        token = issuer.sign({**issuer.id_claims(), **claims})
    except (TypeError, ValueError, UnicodeEncodeError):
        token = header  # claims no JWT library would sign: send the header text instead
    for candidate in (header, token):
        assert _authorizer_answer(authorizer, candidate) in ("granted", 401)


def _authorizer_answer(authorizer: CognitoAuthorizer, header: str) -> str | int:
    """ "granted" when every claim comes back a string, else the refusal's status."""
    try:
        granted = authorizer.authorize(header)
    except AuthorizerDenied as denied:
        return denied.response.status
    return "granted" if all(isinstance(value, str) for value in granted.values()) else "not str"


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdentityProvider]:
    provider = IdentityProvider.open(
        Path(tmp_path_factory.mktemp("hostile-idp")),
        region="us-east-1",
        host="127.0.0.1",
        port=9229,
        log=lambda line: None,
        hashes=FAST_HASHES,
    )
    yield provider
    provider.close()


@pytest.fixture(scope="module")
def idp_answers() -> Iterator[Counter[str]]:
    answers: Counter[str] = Counter()
    yield answers
    record("hostileInputIdentityProvider", errors=dict(answers.most_common()), examples=EXAMPLES)


@_HOSTILE
@given(action=st.sampled_from(sorted(ACTIONS)), body=hostile_bodies, signed=st.booleans())
def test_every_identity_provider_action_answers_hostile_bodies_with_a_4xx(
    identity: IdentityProvider,
    idp_answers: Counter[str],
    peak_memory: None,
    action: str,
    body: bytes,
    signed: bool,
) -> None:
    status, payload = dispatch(identity.pool, TARGET_PREFIX + action, body, signed=signed)
    idp_answers[payload.get("__type", "ok")] += 1
    assert status < 500, payload


@pytest.fixture(scope="module")
def installed_handler(quiet_function: None) -> Iterator[LambdaHandler]:
    """The handler as the twin loads it: with metrics off, their set is cleared after each
    invocation (Powertools would keep it, and the next module's tests would see it)."""
    bootstrap.install(OrderService(InMemoryOrderRepository()))
    yield load_function()
    bootstrap.install(None)
    handler.metrics.clear_metrics()


@_HOSTILE
@given(
    body=hostile_bodies,
    base64_encoded=st.booleans(),
    content_type=header_values,
    key=st.one_of(st.none(), hostile_strings),
)
def test_the_handler_never_answers_5xx(
    installed_handler: LambdaHandler,
    peak_memory: None,
    body: bytes,
    base64_encoded: bool,
    content_type: str,
    key: str | None,
) -> None:
    text = base64.b64encode(body).decode() if base64_encoded else body.decode("utf-8", "replace")
    headers = {"Content-Type": content_type}
    if key is not None:
        headers["Idempotency-Key"] = key
    event = post_event(text, headers=headers, isBase64Encoded=base64_encoded)
    result = installed_handler(event, FakeLambdaContext())
    assert result["statusCode"] < 500, result["body"]

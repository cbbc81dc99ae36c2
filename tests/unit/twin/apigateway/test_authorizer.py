"""The Cognito authorizer's accepting side: which tokens pass, what the handler sees, caching."""

from __future__ import annotations

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from orders_api.twin.apigateway import authorizer as authorizer_module
from orders_api.twin.apigateway.authorizer import (
    EXPIRED,
    UNAUTHORIZED,
    AuthorizerDenied,
    claims_as_strings,
)
from tests.fake_issuer import CLIENT_ID, ISSUER, NOW, Clock, FakeIssuer, new_rsa_key


@pytest.fixture(scope="module")
def issuer_key() -> rsa.RSAPrivateKey:
    return new_rsa_key()


@pytest.fixture
def issuer(issuer_key: rsa.RSAPrivateKey) -> FakeIssuer:
    return FakeIssuer(issuer_key)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens whose signature the authorizer verified, in order."""
    verified: list[str] = []
    real_decode = jwt.decode

    def counting_decode(token: str, *args: object, **kwargs: object) -> object:
        verified.append(token)
        return real_decode(token, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(authorizer_module.jwt, "decode", counting_decode)
    return verified


def test_an_id_token_of_the_app_client_passes_with_its_claims_as_strings(
    issuer: FakeIssuer, clock: Clock
) -> None:
    claims = issuer.authorizer(clock).authorize(issuer.sign(issuer.id_claims()))

    assert claims["sub"] == "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    assert claims["cognito:username"] == "ada@example.com"
    assert claims["email_verified"] == "true"
    assert claims["auth_time"] == "1700000000"
    assert claims["iat"] == "Tue Nov 14 22:13:20 UTC 2023"
    assert claims["exp"] == "Tue Nov 14 23:13:20 UTC 2023"
    assert all(isinstance(value, str) for value in claims.values())


def test_claims_are_formatted_as_in_a_real_api_gateway_event() -> None:
    # From a REST API event carrying a Cognito ID token (exp/iat as Java dates, auth_time as
    # digits, booleans lowercase, groups comma-joined).
    token_claims = {
        "auth_time": 1513492092,
        "iat": 1513492092,
        "exp": 1513495692,
        "email_verified": True,
        "cognito:groups": ["group-a", "group-b"],
        "identities": {"providerName": "Google"},
    }

    assert claims_as_strings(token_claims) == {
        "auth_time": "1513492092",
        "iat": "Sun Dec 17 06:28:12 UTC 2017",
        "exp": "Sun Dec 17 07:28:12 UTC 2017",
        "email_verified": "true",
        "cognito:groups": "group-a,group-b",
        "identities": '{"providerName":"Google"}',
    }


def test_a_bearer_prefix_is_tolerated_as_the_deployed_authorizer_does(
    issuer: FakeIssuer, clock: Clock
) -> None:
    token = issuer.sign(issuer.id_claims())

    claims = issuer.authorizer(clock).authorize(f"Bearer {token}")

    assert claims["token_use"] == "id"


def test_the_jwks_is_read_from_the_issuers_well_known_url_by_default(
    issuer: FakeIssuer, clock: Clock
) -> None:
    issuer.authorizer(clock).authorize(issuer.sign(issuer.id_claims()))

    assert issuer.fetched == [f"{ISSUER}/.well-known/jwks.json"]


def test_an_explicit_jwks_url_is_honoured(issuer: FakeIssuer, clock: Clock) -> None:
    authorizer = issuer.authorizer(clock, jwks_url="http://127.0.0.1:1/keys")

    authorizer.authorize(issuer.sign(issuer.id_claims()))

    assert issuer.fetched == ["http://127.0.0.1:1/keys"]


def test_a_method_with_scopes_accepts_an_access_token_holding_one_of_them(
    issuer: FakeIssuer, clock: Clock
) -> None:
    token = issuer.sign(issuer.access_claims())

    claims = issuer.authorizer(clock).authorize(token, scopes=("orders/read", "orders/write"))

    assert claims["client_id"] == CLIENT_ID
    assert claims["scope"] == "orders/write aws.cognito.signin.user.admin"


def test_a_method_with_scopes_refuses_an_access_token_without_them(
    issuer: FakeIssuer, clock: Clock
) -> None:
    token = issuer.sign(issuer.access_claims(scope="aws.cognito.signin.user.admin"))

    with pytest.raises(AuthorizerDenied) as denied:
        issuer.authorizer(clock).authorize(token, scopes=("orders/write",))

    assert denied.value.response == UNAUTHORIZED


def test_a_method_with_scopes_refuses_an_id_token(issuer: FakeIssuer, clock: Clock) -> None:
    with pytest.raises(AuthorizerDenied) as denied:
        issuer.authorizer(clock).authorize(
            issuer.sign(issuer.id_claims()), scopes=("orders/write",)
        )

    assert denied.value.response == UNAUTHORIZED


def test_an_accepted_token_is_not_verified_again_within_the_cache_ttl(
    issuer: FakeIssuer, clock: Clock, decodes: list[str]
) -> None:
    authorizer = issuer.authorizer(clock, cache_ttl_seconds=300)
    token = issuer.sign(issuer.id_claims())

    first = authorizer.authorize(token)
    clock.now += 299
    second = authorizer.authorize(token)
    clock.now += 2
    third = authorizer.authorize(token)

    assert first == second == third
    assert len(decodes) == 2


def test_with_a_zero_ttl_every_request_is_verified(
    issuer: FakeIssuer, clock: Clock, decodes: list[str]
) -> None:
    authorizer = issuer.authorizer(clock, cache_ttl_seconds=0)
    token = issuer.sign(issuer.id_claims())

    authorizer.authorize(token)
    authorizer.authorize(token)

    assert len(decodes) == 2


def test_a_cached_token_still_expires_at_its_exp(issuer: FakeIssuer, clock: Clock) -> None:
    authorizer = issuer.authorizer(clock, cache_ttl_seconds=300)
    token = issuer.sign(issuer.id_claims(exp=int(NOW) + 10))
    authorizer.authorize(token)

    clock.now = NOW + 10
    with pytest.raises(AuthorizerDenied) as denied:
        authorizer.authorize(token)

    assert denied.value.response == EXPIRED


def test_the_cache_is_bounded(issuer: FakeIssuer, clock: Clock) -> None:
    authorizer = issuer.authorizer(clock, cache_max_entries=2)
    tokens = [issuer.sign(issuer.id_claims(jti=f"jti-{n}")) for n in range(3)]

    for token in tokens:
        authorizer.authorize(token)

    assert len(authorizer._cache) == 2


def test_a_key_added_by_rotation_is_found_by_refetching_the_jwks(
    issuer: FakeIssuer, clock: Clock
) -> None:
    authorizer = issuer.authorizer(clock)
    authorizer.authorize(issuer.sign(issuer.id_claims()))

    issuer.keys = {"rotated-key": new_rsa_key()}
    clock.now += 31
    token = issuer.sign(issuer.id_claims(jti="after-rotation"), kid="rotated-key")
    claims = authorizer.authorize(token)

    assert claims["jti"] == "after-rotation"
    assert len(issuer.fetched) == 2


def test_an_unreachable_issuer_refuses_and_is_retried_later(
    issuer: FakeIssuer, clock: Clock
) -> None:
    authorizer = issuer.authorizer(clock)
    token = issuer.sign(issuer.id_claims())
    issuer.available = False

    with pytest.raises(AuthorizerDenied) as denied:
        authorizer.authorize(token)
    issuer.available = True
    clock.now += 2

    assert denied.value.response == UNAUTHORIZED
    assert authorizer.authorize(token)["sub"]


def test_the_aws_bodies_are_exact() -> None:
    assert (UNAUTHORIZED.status, UNAUTHORIZED.body) == (401, b'{"message":"Unauthorized"}')
    assert (EXPIRED.status, EXPIRED.body) == (401, b'{"message":"The incoming token has expired"}')


def test_keys_loaded_ahead_serve_the_first_request_without_a_fetch(
    issuer: FakeIssuer, clock: Clock
) -> None:
    authorizer = issuer.authorizer(clock)
    assert authorizer.load_keys()
    assert len(issuer.fetched) == 1
    issuer.available = False
    assert authorizer.authorize(issuer.sign(issuer.id_claims()))["token_use"] == "id"
    assert len(issuer.fetched) == 1


def test_loading_keys_from_an_unreachable_issuer_says_so(issuer: FakeIssuer, clock: Clock) -> None:
    issuer.available = False
    assert not issuer.authorizer(clock).load_keys()


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("exp", float("nan")),
        ("exp", float("inf")),
        ("exp", 1e300),
        ("iat", float("nan")),
        ("iat", 1e300),
        ("nbf", float("-inf")),
        ("auth_time", "yesterday"),
    ],
)
def test_a_signed_token_whose_times_are_not_times_is_refused_not_a_crash(
    issuer: FakeIssuer, clock: Clock, claim: str, value: object
) -> None:
    # json.dumps writes NaN and Infinity, and PyJWT reads them back: a token signed with the
    # pool's key can carry them. `now >= NaN` is False, so exp = NaN once passed as unexpired.
    token = issuer.sign({**issuer.id_claims(), claim: value})
    with pytest.raises(AuthorizerDenied) as denied:
        issuer.authorizer(clock).authorize(token)
    assert denied.value.response == UNAUTHORIZED


@pytest.mark.parametrize("header", ["\ud800", "Bearer é.x.y", "eyJ\u2028.a.b"])
def test_a_header_that_no_token_could_be_is_refused_not_a_crash(
    issuer: FakeIssuer, clock: Clock, header: str
) -> None:
    # Found by tests/security/test_hostile_input.py at soak size: PyJWT encodes the token first.
    with pytest.raises(AuthorizerDenied) as denied:
        issuer.authorizer(clock).authorize(header)
    assert denied.value.response == UNAUTHORIZED

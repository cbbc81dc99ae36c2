"""Forged, tampered and misused tokens: each is refused with API Gateway's exact 401."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from orders_api.twin.apigateway.authorizer import (
    EXPIRED,
    UNAUTHORIZED,
    AuthorizerDenied,
    CognitoAuthorizer,
)
from orders_api.twin.http import HttpResponse
from tests.fake_issuer import (
    KID,
    NOW,
    OTHER_CLIENT_ID,
    Clock,
    FakeIssuer,
    b64url,
    new_rsa_key,
    public_jwk,
)

UNAUTHORIZED_WIRE = (401, b'{"message":"Unauthorized"}')
EXPIRED_WIRE = (401, b'{"message":"The incoming token has expired"}')


@pytest.fixture(scope="module")
def issuer_key() -> Any:
    return new_rsa_key()


@pytest.fixture
def issuer(issuer_key: Any) -> FakeIssuer:
    return FakeIssuer(issuer_key)


@pytest.fixture(scope="module")
def attacker_key() -> Any:
    return new_rsa_key()


@pytest.fixture
def authorizer(issuer: FakeIssuer) -> CognitoAuthorizer:
    return issuer.authorizer(Clock())


def refusal(authorizer: CognitoAuthorizer, header: str | None, **kwargs: Any) -> HttpResponse:
    with pytest.raises(AuthorizerDenied) as denied:
        authorizer.authorize(header, **kwargs)
    return denied.value.response


def wire(response: HttpResponse) -> tuple[int, bytes]:
    return response.status, response.body


def segment(part: dict[str, Any]) -> str:
    return b64url(json.dumps(part, separators=(",", ":")).encode())


def unsigned_token(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return f"{segment(header)}.{segment(claims)}.{b64url(signature)}"


@pytest.mark.parametrize("header", [None, "", "   ", "Bearer", "Bearer   "])
def test_a_missing_token_gets_401_unauthorized(
    authorizer: CognitoAuthorizer, header: str | None
) -> None:
    assert wire(refusal(authorizer, header)) == UNAUTHORIZED_WIRE


@pytest.mark.parametrize(
    "header",
    [
        "not-a-jwt",
        "a.b.c",
        "eyJhbGciOiJSUzI1NiJ9.e30",
        "Basic dXNlcjpwYXNz",
        "eyJ!!!.eyJ!!!.sig",
        "x" * 10_000,
    ],
)
def test_a_malformed_token_gets_401_unauthorized(
    authorizer: CognitoAuthorizer, header: str
) -> None:
    assert wire(refusal(authorizer, header)) == UNAUTHORIZED_WIRE


def test_a_token_signed_by_another_key_under_the_known_kid_is_refused(
    issuer: FakeIssuer, authorizer: CognitoAuthorizer, attacker_key: Any
) -> None:
    forged = issuer.sign(issuer.id_claims(), key=attacker_key, kid=KID)

    assert refusal(authorizer, forged) == UNAUTHORIZED


def test_a_token_naming_an_unknown_kid_is_refused(
    issuer: FakeIssuer, authorizer: CognitoAuthorizer, attacker_key: Any
) -> None:
    forged = issuer.sign(issuer.id_claims(), key=attacker_key, kid="attacker-key")

    assert refusal(authorizer, forged) == UNAUTHORIZED


def test_a_token_without_a_kid_is_refused(
    issuer: FakeIssuer, authorizer: CognitoAuthorizer
) -> None:
    token = jwt.encode(issuer.id_claims(), issuer.keys[KID], algorithm="RS256")

    assert refusal(authorizer, token) == UNAUTHORIZED


def test_a_key_embedded_in_the_token_header_is_not_trusted(
    issuer: FakeIssuer, authorizer: CognitoAuthorizer, attacker_key: Any
) -> None:
    forged = issuer.sign(
        issuer.id_claims(),
        key=attacker_key,
        kid="attacker-key",
        extra_headers={
            "jwk": public_jwk(attacker_key, "attacker-key"),
            "jku": "http://127.0.0.1:9/keys.json",
        },
    )

    assert refusal(authorizer, forged) == UNAUTHORIZED
    assert all("127.0.0.1:9" not in url for url in issuer.fetched)


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_an_unsigned_alg_none_token_is_refused(
    issuer: FakeIssuer, authorizer: CognitoAuthorizer, alg: str
) -> None:
    token = unsigned_token({"alg": alg, "kid": KID}, issuer.id_claims())

    assert refusal(authorizer, token) == UNAUTHORIZED


def test_an_hs256_token_keyed_with_the_public_key_is_refused(
    issuer: FakeIssuer, authorizer: CognitoAuthorizer
) -> None:
    public_pem = (
        issuer.keys[KID]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = {"alg": "HS256", "kid": KID, "typ": "JWT"}
    signing_input = f"{segment(header)}.{segment(issuer.id_claims())}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()

    assert refusal(authorizer, f"{signing_input}.{b64url(mac)}") == UNAUTHORIZED


@pytest.mark.parametrize("alg", ["RS384", "RS512", "PS256"])
def test_a_token_signed_with_another_rsa_algorithm_is_refused(
    issuer: FakeIssuer, authorizer: CognitoAuthorizer, alg: str
) -> None:
    token = issuer.sign(issuer.id_claims(), algorithm=alg)

    assert refusal(authorizer, token) == UNAUTHORIZED


def test_an_expired_token_gets_the_expired_message(
    issuer: FakeIssuer, authorizer: CognitoAuthorizer
) -> None:
    token = issuer.sign(issuer.id_claims(iat=int(NOW) - 7200, exp=int(NOW) - 1))

    assert wire(refusal(authorizer, token)) == EXPIRED_WIRE


def test_a_token_is_expired_at_the_second_of_its_exp(issuer: FakeIssuer) -> None:
    authorizer = issuer.authorizer(Clock(NOW + 3600))

    assert refusal(authorizer, issuer.sign(issuer.id_claims())) == EXPIRED


def test_a_forged_expired_token_does_not_learn_it_is_expired(
    issuer: FakeIssuer, authorizer: CognitoAuthorizer, attacker_key: Any
) -> None:
    forged = issuer.sign(issuer.id_claims(exp=int(NOW) - 1), key=attacker_key, kid=KID)

    assert refusal(authorizer, forged) == UNAUTHORIZED


def test_a_token_from_another_issuer_is_refused(
    issuer: FakeIssuer, authorizer: CognitoAuthorizer
) -> None:
    token = issuer.sign(
        issuer.id_claims(iss="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other0000")
    )

    assert refusal(authorizer, token) == UNAUTHORIZED


def test_a_token_for_another_app_client_is_refused(
    issuer: FakeIssuer, authorizer: CognitoAuthorizer
) -> None:
    token = issuer.sign(issuer.id_claims(aud=OTHER_CLIENT_ID))

    assert refusal(authorizer, token) == UNAUTHORIZED


def test_an_audience_list_is_not_accepted_for_an_id_token(
    issuer: FakeIssuer, authorizer: CognitoAuthorizer
) -> None:
    token = issuer.sign(issuer.id_claims(aud=[OTHER_CLIENT_ID, "x"]))

    assert refusal(authorizer, token) == UNAUTHORIZED


def test_an_access_token_where_an_id_token_is_required_is_refused(
    issuer: FakeIssuer, authorizer: CognitoAuthorizer
) -> None:
    assert refusal(authorizer, issuer.sign(issuer.access_claims())) == UNAUTHORIZED


def test_an_access_token_of_another_client_is_refused_on_a_scoped_method(
    issuer: FakeIssuer, authorizer: CognitoAuthorizer
) -> None:
    token = issuer.sign(issuer.access_claims(client_id=OTHER_CLIENT_ID))

    assert refusal(authorizer, token, scopes=("orders/write",)) == UNAUTHORIZED


@pytest.mark.parametrize("missing", ["iss", "exp", "token_use"])
def test_a_token_missing_a_required_claim_is_refused(
    issuer: FakeIssuer, authorizer: CognitoAuthorizer, missing: str
) -> None:
    claims = issuer.id_claims()
    del claims[missing]

    assert refusal(authorizer, issuer.sign(claims)) == UNAUTHORIZED


def test_a_token_with_a_non_numeric_exp_is_refused(
    issuer: FakeIssuer, authorizer: CognitoAuthorizer
) -> None:
    token = issuer.sign(issuer.id_claims(exp="never"))

    assert refusal(authorizer, token) == UNAUTHORIZED


@pytest.mark.parametrize(
    "tamper",
    [
        {"sub": "someone-else"},
        {"exp": int(NOW) + 10 * 365 * 86400},
        {"aud": OTHER_CLIENT_ID},
        {"token_use": "access"},
    ],
)
def test_a_token_with_altered_claims_is_refused(
    issuer: FakeIssuer, authorizer: CognitoAuthorizer, tamper: dict[str, Any]
) -> None:
    header, _, signature = issuer.sign(issuer.id_claims()).split(".")
    altered = segment(issuer.id_claims(**tamper))

    assert refusal(authorizer, f"{header}.{altered}.{signature}") == UNAUTHORIZED


def test_a_token_with_a_swapped_header_is_refused(
    issuer: FakeIssuer, authorizer: CognitoAuthorizer
) -> None:
    _, payload, signature = issuer.sign(issuer.id_claims()).split(".")
    header = b64url(json.dumps({"alg": "RS256", "kid": KID, "typ": "JWT", "x": 1}).encode())

    assert refusal(authorizer, f"{header}.{payload}.{signature}") == UNAUTHORIZED


def test_tokens_with_made_up_kids_do_not_flood_the_issuer(issuer: FakeIssuer) -> None:
    authorizer = issuer.authorizer(Clock())
    authorizer.authorize(issuer.sign(issuer.id_claims()))

    for n in range(50):
        token = unsigned_token({"alg": "RS256", "kid": f"made-up-{n}"}, issuer.id_claims(), b"x")
        refusal(authorizer, token)

    assert len(issuer.fetched) == 1


def test_a_refused_token_is_not_cached_as_accepted(
    issuer: FakeIssuer, authorizer: CognitoAuthorizer, attacker_key: Any
) -> None:
    forged = issuer.sign(issuer.id_claims(), key=attacker_key, kid=KID)
    refusal(authorizer, forged)

    assert refusal(authorizer, forged) == UNAUTHORIZED


def test_the_reason_never_contains_the_token(
    issuer: FakeIssuer, authorizer: CognitoAuthorizer, attacker_key: Any
) -> None:
    forged = issuer.sign(issuer.id_claims(), key=attacker_key, kid=KID)

    with pytest.raises(AuthorizerDenied) as denied:
        authorizer.authorize(forged)

    assert forged not in str(denied.value)
    assert forged.split(".")[1] not in denied.value.reason

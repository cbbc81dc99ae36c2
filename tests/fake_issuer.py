"""A user pool issuer of the tests' own: an RSA key pair, its JWKS, and tokens shaped like
Cognito's, so the authorizer is tested without the local identity provider."""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from orders_api.twin.apigateway.authorizer import CognitoAuthorizer

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool9"
CLIENT_ID = "1example23456789abcdefghij"
OTHER_CLIENT_ID = "9other87654321zyxwvutsrqpo"
KID = "test-key-2024"
NOW = 1_700_000_000.0


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeIssuer:
    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self.keys = {KID: key}
        self.fetched: list[str] = []
        self.available = True

    def jwks(self) -> dict[str, Any]:
        return {"keys": [public_jwk(key, kid) for kid, key in self.keys.items()]}

    def fetch(self, url: str) -> dict[str, Any]:
        """An injected JWKS fetcher: no sockets in unit tests."""
        self.fetched.append(url)
        if not self.available:
            raise ConnectionRefusedError("issuer down")
        return self.jwks()

    def authorizer(self, clock: Clock, **options: Any) -> CognitoAuthorizer:
        return CognitoAuthorizer(
            issuer=ISSUER, client_id=CLIENT_ID, clock=clock, fetch_jwks=self.fetch, **options
        )

    @staticmethod
    def id_claims(**overrides: Any) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "sub": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            "email_verified": True,
            "iss": ISSUER,
            "cognito:username": "ada@example.com",
            "origin_jti": "5e1c3b4a-0000-4000-8000-000000000001",
            "aud": CLIENT_ID,
            "event_id": "5e1c3b4a-0000-4000-8000-000000000002",
            "token_use": "id",
            "auth_time": int(NOW),
            "exp": int(NOW) + 3600,
            "iat": int(NOW),
            "jti": "5e1c3b4a-0000-4000-8000-000000000003",
            "email": "ada@example.com",
        }
        return {**claims, **overrides}

    @staticmethod
    def access_claims(**overrides: Any) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "sub": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            "iss": ISSUER,
            "client_id": CLIENT_ID,
            "origin_jti": "5e1c3b4a-0000-4000-8000-000000000001",
            "event_id": "5e1c3b4a-0000-4000-8000-000000000002",
            "token_use": "access",
            "scope": "orders/write aws.cognito.signin.user.admin",
            "auth_time": int(NOW),
            "exp": int(NOW) + 3600,
            "iat": int(NOW),
            "jti": "5e1c3b4a-0000-4000-8000-000000000004",
            "username": "ada@example.com",
        }
        return {**claims, **overrides}

    def sign(
        self,
        claims: dict[str, Any],
        *,
        key: rsa.RSAPrivateKey | None = None,
        kid: str = KID,
        algorithm: str = "RS256",
        extra_headers: dict[str, Any] | None = None,
    ) -> str:
        return jwt.encode(
            claims,
            key or self.keys[kid],
            algorithm=algorithm,
            headers={"kid": kid, **(extra_headers or {})},
        )

"""Tokens shaped like Cognito's: RS256 ID and access JWTs, and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from orders_api.deployment.settings import TokenLifetimes
from orders_api.twin.cognito.errors import NotAuthorized
from orders_api.twin.cognito.keys import SigningKey
from orders_api.twin.cognito.records import User

USER_ADMIN_SCOPE = "aws.cognito.signin.user.admin"
_ACCESS_USE = "access"
_BOOLEAN_ATTRIBUTES = frozenset({"email_verified", "phone_number_verified"})


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    id_token: str
    access_token: str
    expires_in: int
    """Seconds the access token is valid, as AuthenticationResult.ExpiresIn reports it."""


def new_refresh_token() -> str:
    """Opaque to clients, as Cognito's (encrypted) refresh tokens are."""
    return secrets.token_urlsafe(96)


def refresh_token_hash(token: str) -> str:
    """Only this digest is stored, so a copy of the database does not yield usable tokens."""
    return hashlib.sha256(token.encode()).hexdigest()


class TokenIssuer:
    def __init__(
        self,
        key: SigningKey,
        *,
        issuer: str,
        client_id: str,
        lifetimes: TokenLifetimes,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = key
        self._issuer = issuer
        self._client_id = client_id
        self._lifetimes = lifetimes
        self._clock = clock

    def issue(self, user: User, *, origin_jti: str, auth_time: int) -> IssuedTokens:
        now = int(self._clock())
        event_id = str(uuid.uuid4())
        id_claims: dict[str, Any] = {
            "sub": user.sub,
            **{
                name: value == "true" if name in _BOOLEAN_ATTRIBUTES else value
                for name, value in user.attributes.items()
            },
            "iss": self._issuer,
            "cognito:username": user.username,
            "origin_jti": origin_jti,
            "aud": self._client_id,
            "event_id": event_id,
            "token_use": "id",
            "auth_time": auth_time,
            "exp": now + self._lifetimes.id_token_minutes * 60,
            "iat": now,
            "jti": str(uuid.uuid4()),
        }
        access_lifetime = self._lifetimes.access_token_minutes * 60
        access_claims: dict[str, Any] = {
            "sub": user.sub,
            "iss": self._issuer,
            "client_id": self._client_id,
            "origin_jti": origin_jti,
            "event_id": event_id,
            "token_use": "access",
            "scope": USER_ADMIN_SCOPE,
            "auth_time": auth_time,
            "exp": now + access_lifetime,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "username": user.username,
        }
        return IssuedTokens(self._sign(id_claims), self._sign(access_claims), access_lifetime)

    def verify_access_token(self, token: str) -> dict[str, Any]:
        """The claims of an access token this pool issued; NotAuthorized otherwise."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key.private_key.public_key(),
                algorithms=["RS256"],
                issuer=self._issuer,
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "require": ["exp", "token_use", "username"],
                },
            )
        except jwt.InvalidTokenError as exc:
            raise NotAuthorized("Invalid Access Token") from exc
        if claims.get("token_use") != _ACCESS_USE or claims.get("client_id") != self._client_id:
            raise NotAuthorized("Invalid Access Token")
        if self._clock() >= claims["exp"]:
            raise NotAuthorized("Access Token has expired")
        return claims

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(
            claims,
            self._key.private_key,
            algorithm="RS256",
            headers={"kid": self._key.kid, "typ": None},
        )

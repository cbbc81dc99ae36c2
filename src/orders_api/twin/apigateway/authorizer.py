"""API Gateway's Cognito user pool authorizer (REST APIs), for any user pool issuer.

What it reproduces:

- The token is the `Authorization` header's value as sent; a `Bearer ` prefix is tolerated, as
  the deployed authorizer accepts `Authorization: Bearer <id token>` too.
- A method without OAuth scopes accepts only an ID token whose `aud` is the app client; a method
  with scopes accepts only an access token of that client whose `scope` holds one of them.
- RS256 signatures are checked against the issuer's JWKS; `alg: none`, HMAC and unknown key ids
  are refused. `iss`, `exp` and `token_use` are checked; nothing here knows the local identity
  provider, so pointed at `https://cognito-idp.<region>.amazonaws.com/<pool id>` it verifies
  real Cognito tokens.
- A refusal is 401 `{"message":"Unauthorized"}`, or 401 `{"message":"The incoming token has
  expired"}` for a genuine token past its `exp`.
- An accepted token is remembered for the cache TTL (never past its `exp`), as API Gateway
  caches an authorizer's result per token.
- Claims reach the handler as strings, formatted as API Gateway formats them.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import jwt

from orders_api.deployment import gateway_responses
from orders_api.twin.apigateway.jwks import JwksFetcher, JwksKeySet, fetch_jwks_over_http
from orders_api.twin.http import HttpResponse

UNAUTHORIZED = HttpResponse.from_gateway(gateway_responses.UNAUTHORIZED)
EXPIRED = HttpResponse.from_gateway(gateway_responses.TOKEN_EXPIRED)

_SIGNING_ALGORITHM = "RS256"
_BEARER_PREFIX = "bearer "
_ID_USE = "id"
_ACCESS_USE = "access"
_DATE_CLAIMS = frozenset({"exp", "iat"})
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class AuthorizerDenied(Exception):
    """The request may not pass; `response` is exactly what API Gateway answers."""

    def __init__(self, response: HttpResponse, reason: str) -> None:
        super().__init__(reason)
        self.response = response
        self.reason = reason
        """Why, for logs and tests: never the token itself."""


def _unauthorized(reason: str) -> AuthorizerDenied:
    return AuthorizerDenied(UNAUTHORIZED, reason)


class CognitoAuthorizer:
    """Verifies the tokens of one user pool app client. Safe to share between threads."""

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        cache_ttl_seconds: int = 300,
        jwks_url: str | None = None,
        clock: Callable[[], float] = time.time,
        fetch_jwks: JwksFetcher = fetch_jwks_over_http,
        cache_max_entries: int = 10_000,
    ) -> None:
        self._issuer = issuer
        self._client_id = client_id
        self._cache_ttl = cache_ttl_seconds
        self._clock = clock
        self._keys = JwksKeySet(
            jwks_url or f"{issuer.rstrip('/')}/.well-known/jwks.json", fetch=fetch_jwks, clock=clock
        )
        self._cache: OrderedDict[tuple[str, tuple[str, ...]], tuple[float, dict[str, str]]] = (
            OrderedDict()
        )
        self._cache_max_entries = cache_max_entries
        self._cache_lock = threading.Lock()

    @property
    def issuer(self) -> str:
        return self._issuer

    @property
    def client_id(self) -> str:
        return self._client_id

    def load_keys(self) -> bool:
        """Fetch the issuer's JWKS now, so that the first request does not wait for it (or fail
        with 401 should the issuer be slow to answer). False when it could not be fetched."""
        return self._keys.refresh()

    def authorize(
        self, authorization_header: str | None, scopes: tuple[str, ...] = ()
    ) -> dict[str, str]:
        """The verified token's claims, every value a string as API Gateway passes them in
        requestContext.authorizer.claims; raises AuthorizerDenied."""
        token = _token_from(authorization_header)
        now = self._clock()
        cached = self._cached(token, scopes, now)
        if cached is not None:
            return cached
        claims = self._verify(token, scopes, now)
        as_strings = claims_as_strings(claims)
        self._remember(token, scopes, min(now + self._cache_ttl, float(claims["exp"])), as_strings)
        return dict(as_strings)

    def authorize_from_cache(
        self, authorization_header: str | None, scopes: tuple[str, ...] = ()
    ) -> dict[str, str] | None:
        """What `authorize` answers when its verdict on this token is cached (no signature
        check, no fetch: safe on an event loop); None when the token must be verified. Raises
        AuthorizerDenied for a header that carries no token."""
        return self._cached(_token_from(authorization_header), scopes, self._clock())

    def _verify(self, token: str, scopes: tuple[str, ...], now: float) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise _unauthorized("not a JWS compact token") from exc
        if header.get("alg") != _SIGNING_ALGORITHM:
            raise _unauthorized("signing algorithm is not RS256")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise _unauthorized("no key id")
        key = self._keys.key_for(kid)
        if key is None:
            raise _unauthorized("unknown key id")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[_SIGNING_ALGORITHM],
                # Time and audience are checked below against the injected clock and the rules
                # of the token's use; the signature is always checked here.
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "verify_aud": False,
                    "verify_iss": False,
                    "require": ["iss", "exp", "token_use"],
                },
            )
        except jwt.InvalidTokenError as exc:
            raise _unauthorized("signature or claims invalid") from exc
        if claims["iss"] != self._issuer:
            raise _unauthorized("issuer mismatch")
        exp = claims["exp"]
        if not _is_epoch(exp):
            raise _unauthorized("exp is not a time")
        if now >= exp:
            raise AuthorizerDenied(EXPIRED, "token expired")
        for optional in ("iat", "nbf", "auth_time"):
            if optional in claims and not _is_epoch(claims[optional]):
                raise _unauthorized(f"{optional} is not a time")
        nbf = claims.get("nbf")
        if nbf is not None and now < nbf:
            raise _unauthorized("token not yet valid")
        if scopes:
            self._check_access_token(claims, scopes)
        else:
            self._check_id_token(claims)
        return claims

    def _check_id_token(self, claims: Mapping[str, Any]) -> None:
        if claims.get("token_use") != _ID_USE:
            raise _unauthorized("an ID token is required")
        if claims.get("aud") != self._client_id:
            raise _unauthorized("audience is not the app client")

    def _check_access_token(self, claims: Mapping[str, Any], scopes: tuple[str, ...]) -> None:
        if claims.get("token_use") != _ACCESS_USE:
            raise _unauthorized("an access token is required")
        if claims.get("client_id") != self._client_id:
            raise _unauthorized("client_id is not the app client")
        granted = claims.get("scope")
        if not isinstance(granted, str) or not set(granted.split()) & set(scopes):
            raise _unauthorized("none of the method's scopes granted")

    def _cached(self, token: str, scopes: tuple[str, ...], now: float) -> dict[str, str] | None:
        if self._cache_ttl <= 0:
            return None
        with self._cache_lock:
            entry = self._cache.get((token, scopes))
            if entry is None:
                return None
            valid_until, claims = entry
            if now >= valid_until:
                del self._cache[(token, scopes)]
                return None
            self._cache.move_to_end((token, scopes))
            return dict(claims)

    def _remember(
        self, token: str, scopes: tuple[str, ...], valid_until: float, claims: dict[str, str]
    ) -> None:
        if self._cache_ttl <= 0:
            return
        with self._cache_lock:
            self._cache[(token, scopes)] = (valid_until, claims)
            self._cache.move_to_end((token, scopes))
            while len(self._cache) > self._cache_max_entries:
                self._cache.popitem(last=False)


_LATEST_EPOCH = 253_402_300_799
"""9999-12-31T23:59:59Z: the last second a date claim can name and still be formatted."""


def _is_epoch(value: object) -> bool:
    """A NumericDate (RFC 7519): a finite number of seconds, one a date can be made of. NaN,
    infinities and years past 9999 are not (they would compare false or fail to format)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return 0 <= value <= _LATEST_EPOCH  # NaN fails both comparisons


def _token_from(authorization_header: str | None) -> str:
    value = (authorization_header or "").strip()
    if value[: len(_BEARER_PREFIX)].lower() == _BEARER_PREFIX:
        value = value[len(_BEARER_PREFIX) :].strip()
    if not value:
        raise _unauthorized("no token")
    if not value.isascii():  # a JWS compact token is base64url and dots
        raise _unauthorized("not a JWS compact token")
    return value


def claims_as_strings(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as API Gateway hands them to a REST proxy integration: `exp` and `iat` as Java
    dates ("Sun Dec 17 07:28:12 UTC 2017"), other numbers as digits, booleans as "true"/"false",
    lists comma-joined ("group-a,group-b"), objects as compact JSON."""
    return {
        name: _java_date(value) if name in _DATE_CLAIMS and _is_epoch(value) else _as_string(value)
        for name, value in claims.items()
    }


def _as_string(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list | tuple):
        return ",".join(_as_string(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _java_date(epoch_seconds: float) -> str:
    """java.util.Date#toString in UTC, independent of the process locale."""
    moment = datetime.fromtimestamp(int(epoch_seconds), tz=UTC)
    return (
        f"{_WEEKDAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment.day:02d} "
        f"{moment:%H:%M:%S} UTC {moment.year}"
    )

"""An issuer's signing keys, fetched from its JWKS document and kept by `kid`.

A token naming a `kid` the set does not hold triggers a refetch (keys rotate), but at most once
per `refresh_interval_seconds`: tokens with made-up key ids must not turn into a flood of
requests against the issuer.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

import jwt

JwksFetcher = Callable[[str], Mapping[str, Any]]
"""Fetches a JWKS document (a mapping with a "keys" list) from a URL; raises OSError on failure."""

_MAX_DOCUMENT_BYTES = 1024 * 1024
_FETCH_TIMEOUT_SECONDS = 5.0


class JwksUnavailable(Exception):
    """The JWKS document could not be fetched or parsed."""


def fetch_jwks_over_http(url: str) -> Mapping[str, Any]:
    """GET the document at an http(s) URL, bounded in time and size."""
    if urllib.parse.urlsplit(url).scheme not in {"http", "https"}:
        raise JwksUnavailable("a JWKS URL must be http or https")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    # The scheme was checked above: no file:// or custom schemes reach urlopen.
    with urllib.request.urlopen(request, timeout=_FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310 # nosec B310
        raw = response.read(_MAX_DOCUMENT_BYTES + 1)
    if len(raw) > _MAX_DOCUMENT_BYTES:
        raise JwksUnavailable(f"a JWKS document is at most {_MAX_DOCUMENT_BYTES} bytes")
    document = json.loads(raw)
    if not isinstance(document, dict):
        raise JwksUnavailable("a JWKS document is a JSON object")
    return document


def signing_keys_of(document: Mapping[str, Any]) -> dict[str, jwt.PyJWK]:
    """The RSA signature keys of a JWKS document by kid; keys for other uses are ignored."""
    keys = document.get("keys")
    if not isinstance(keys, list):
        raise JwksUnavailable("a JWKS document has a keys list")
    usable: dict[str, jwt.PyJWK] = {}
    for entry in keys:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            continue
        if entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
            continue
        if entry.get("alg", "RS256") != "RS256":
            continue
        try:
            usable[entry["kid"]] = jwt.PyJWK(entry, algorithm="RS256")
        except jwt.PyJWKError:
            continue
    return usable


class JwksKeySet:
    """Thread-safe: many request threads may ask for keys at once."""

    def __init__(
        self,
        url: str,
        *,
        fetch: JwksFetcher = fetch_jwks_over_http,
        clock: Callable[[], float] = time.time,
        refresh_interval_seconds: float = 30.0,
        retry_after_failure_seconds: float = 1.0,
    ) -> None:
        self._url = url
        self._fetch = fetch
        self._clock = clock
        self._refresh_interval = refresh_interval_seconds
        self._retry_after_failure = retry_after_failure_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._next_fetch_allowed_at = float("-inf")
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return self._url

    def refresh(self) -> bool:
        """Fetch the document now, whatever the schedule; False when it could not be had."""
        with self._lock:
            return self._fetch_locked(self._clock())

    def key_for(self, kid: str) -> jwt.PyJWK | None:
        """The key with this id, refetching the document if it is unknown and a fetch is due."""
        with self._lock:
            key = self._keys.get(kid)
            if key is not None:
                return key
            now = self._clock()
            if now < self._next_fetch_allowed_at or not self._fetch_locked(now):
                return None
            return self._keys.get(kid)

    def _fetch_locked(self, now: float) -> bool:
        try:
            self._keys = signing_keys_of(self._fetch(self._url))
        except (OSError, ValueError, http.client.HTTPException, JwksUnavailable):
            self._next_fetch_allowed_at = now + self._retry_after_failure
            return False
        self._next_fetch_allowed_at = now + self._refresh_interval
        return True

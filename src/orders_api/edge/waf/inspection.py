"""The parts of a request that WAF rules inspect, decoded once and shared by every rule.

AWS WAF inspects components (URI path, query string, query arguments, headers, cookies,
body) after text transformations such as URL and HTML-entity decoding; `views` gives each
component in the forms the emulated rules compare against.
"""

from __future__ import annotations

import html
import json
from functools import cached_property
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, unquote

from orders_api.edge.http import HttpRequest

_MAX_DECODE_ROUNDS = 3
"""Percent-decoding repeats (against double encoding, %252e), a bounded number of times."""


def decoded_forms(text: str) -> tuple[str, ...]:
    """`text` as sent, repeatedly URL-decoded, and HTML-entity-decoded: what AWS's
    URL_DECODE and HTML_ENTITY_DECODE transformations expose to a rule. No duplicates."""
    forms = [text]
    current = text
    for _ in range(_MAX_DECODE_ROUNDS):
        decoded = unquote(current, errors="replace")
        if decoded == current:
            break
        forms.append(decoded)
        current = decoded
    entities = html.unescape(current)
    if entities != current:
        forms.append(entities)
    return tuple(dict.fromkeys(forms))


class Inspection:
    """A request as WAF sees it. Built per request; every property is computed at most once."""

    def __init__(self, request: HttpRequest, body_inspection_limit: int) -> None:
        self.request = request
        self.body_inspection_limit = body_inspection_limit

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def uri_path(self) -> str:
        return self.request.path

    @property
    def query_string(self) -> str:
        return self.request.raw_query

    @property
    def body_size(self) -> int:
        return len(self.request.body)

    @cached_property
    def inspected_body(self) -> bytes:
        """Only the first `body_inspection_limit` bytes reach WAF (oversize handling: CONTINUE)."""
        return self.request.body[: self.body_inspection_limit]

    @cached_property
    def body_text(self) -> str:
        """The body as text, as AWS's managed rules read it: no JSON parsing."""
        return self.inspected_body.decode("utf-8", errors="replace")

    @cached_property
    def query_arguments(self) -> tuple[tuple[str, str], ...]:
        return tuple(parse_qsl(self.query_string, keep_blank_values=True, errors="replace"))

    @cached_property
    def cookie_values(self) -> tuple[str, ...]:
        values: list[str] = []
        for header in self.request.header_values("cookie"):
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(header)
            except Exception:  # a malformed cookie header is inspected as one raw value
                values.append(header)
                continue
            values.extend(morsel.value for morsel in jar.values())
            if not jar:
                values.append(header)
        return tuple(values)

    @cached_property
    def cookie_header_size(self) -> int:
        return sum(len(value.encode()) for value in self.request.header_values("cookie"))

    @cached_property
    def header_items(self) -> tuple[tuple[str, str], ...]:
        return self.request.headers

    def views_of_path(self) -> tuple[str, ...]:
        return self._views("path", self.uri_path)

    def views_of_query_string(self) -> tuple[str, ...]:
        return self._views("query", self.query_string)

    def views_of_body(self) -> tuple[str, ...]:
        return self._views("body", self.body_text)

    def views_of_path_segments(self) -> tuple[str, ...]:
        """Each segment of the path on its own: where a REST API carries its values."""
        cached = self._cache.get("segments")
        if cached is None:
            forms: list[str] = []
            for segment in self.uri_path.split("/"):
                if segment:
                    forms.extend(decoded_forms(segment))
            cached = self._cache["segments"] = tuple(dict.fromkeys(forms))
        return cached

    def views_of_body_values(self) -> tuple[str, ...]:
        """Every string in a JSON body, unescaped: what the libinjection detectors are built
        for (single values). Empty when the inspected body is not JSON."""
        cached = self._cache.get("json")
        if cached is None:
            forms: list[str] = []
            for value in _json_strings(self.body_text):
                forms.extend(decoded_forms(value))
            cached = self._cache["json"] = tuple(dict.fromkeys(forms))
        return cached

    def views_of_arguments(self) -> tuple[str, ...]:
        """Every query argument's value (AWS's 'all query arguments, values')."""
        cached = self._cache.get("args")
        if cached is None:
            forms: list[str] = []
            for _, value in self.query_arguments:
                forms.extend(decoded_forms(value))
            cached = self._cache["args"] = tuple(dict.fromkeys(forms))
        return cached

    def views_of_cookies(self) -> tuple[str, ...]:
        cached = self._cache.get("cookies")
        if cached is None:
            forms: list[str] = []
            for value in self.cookie_values:
                forms.extend(decoded_forms(value))
            cached = self._cache["cookies"] = tuple(dict.fromkeys(forms))
        return cached

    def views_of_headers(self) -> tuple[str, ...]:
        cached = self._cache.get("headers")
        if cached is None:
            forms: list[str] = []
            for _, value in self.header_items:
                forms.extend(decoded_forms(value))
            cached = self._cache["headers"] = tuple(dict.fromkeys(forms))
        return cached

    @cached_property
    def _cache(self) -> dict[str, tuple[str, ...]]:
        return {}

    def _views(self, key: str, text: str) -> tuple[str, ...]:
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = decoded_forms(text)
        return cached


def _json_strings(text: str) -> list[str]:
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return []
    try:
        document = json.loads(stripped)
    except ValueError:
        return []
    found: list[str] = []
    pending = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return found

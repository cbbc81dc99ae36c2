"""The parts of a request that WAF rules inspect, decoded once and shared by every rule.

AWS WAF inspects components (URI path, query string, query arguments, headers, cookies,
body) after text transformations such as URL and HTML-entity decoding; `views` gives each
component in the forms the emulated rules compare against.
"""

from __future__ import annotations

import html
import json
import re
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl, unquote

from orders_api.twin.http import HttpRequest
from orders_api.twin.waf.detectors import is_inert

_JSON_STRING = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"')
_MAX_DECODE_ROUNDS = 3
"""Percent-decoding repeats (against double encoding, %252e), a bounded number of times."""


def decoded_forms(text: str) -> tuple[str, ...]:
    """`text` as sent, repeatedly URL-decoded, and HTML-entity-decoded: what AWS's
    URL_DECODE and HTML_ENTITY_DECODE transformations expose to a rule. No duplicates."""
    if "%" not in text and "&" not in text:
        return (text,)
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
        self._body_is_json = False
        self.matched_text: str | None = None
        """The text, as inspected (after decoding), that the last matching rule matched."""

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def uri_path(self) -> str:
        return self.request.path

    @cached_property
    def decoded_uri_path(self) -> str:
        """The path URL-decoded once, as the rate rule's URL_DECODE transformation sees it."""
        return unquote(self.request.path, errors="replace")

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
        """Every cookie's value, split as RFC 6265 (5.4) says a Cookie header is: pairs
        separated by `;`, each `name=value` (the value whole, spaces and all, its optional
        double quotes removed); a pair without `=` is inspected whole."""
        values: list[str] = []
        for header in self.request.header_values("cookie"):
            for pair in header.split(";"):
                name, separator, value = pair.strip().partition("=")
                value = value.strip() if separator else name
                if len(value) >= 2 and value[0] == value[-1] == '"':
                    value = value[1:-1]
                if value:
                    values.append(value)
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
        """The body as text (URL- and entity-decoded forms), and for a JSON body each of its
        strings unescaped too, so that a rule reading the body sees `${jndi:` whether it was
        sent as is or as `\\u0024{jndi:`, as AWS's JSON body inspection parses it."""
        cached = self._cache.get("body+json")
        if cached is None:
            cached = self._views("body", self.body_text) + self.views_of_body_values()
            self._cache["body+json"] = tuple(dict.fromkeys(cached))
        return cached

    def views_of_path_segments(self) -> tuple[str, ...]:
        """Each segment of the path on its own, where a REST API carries its values; only those
        that are not inert (the segments are read by the libinjection detectors alone)."""
        cached = self._cache.get("segments")
        if cached is None:
            forms: list[str] = []
            for segment in self.uri_path.split("/"):
                if segment:
                    forms.extend(decoded_forms(segment))
            cached = self._cache["segments"] = _not_inert(forms)
        return cached

    def views_of_body_values(self) -> tuple[str, ...]:
        """Every string in a JSON body, unescaped: what the libinjection detectors are built
        for (single values); inert ones left out. Empty when the body is not JSON."""
        cached = self._cache.get("json")
        if cached is None:
            forms: list[str] = []
            strings = _parsed_json_strings(self.body_text)
            self._body_is_json = strings is not None
            unique = dict.fromkeys(
                strings if strings is not None else _json_strings(self.body_text)
            )
            for value in unique:
                if not is_inert(value):  # an inert value decodes to itself
                    forms.extend(decoded_forms(value))
            cached = self._cache["json"] = _not_inert(forms)
        return cached

    def views_of_body_for_injection(self) -> tuple[str, ...]:
        """What the SQLi and XSS detectors read in a body: a JSON body's strings one by one
        (libinjection reads single values), any other body as text, whole."""
        cached = self._cache.get("injection")
        if cached is None:
            values = self.views_of_body_values()  # decides _body_is_json
            cached = values if self._body_is_json else self.views_of_body()  # values included
            self._cache["injection"] = cached
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

    def mentions(self, views: tuple[str, ...], anchors: tuple[str, ...]) -> bool:
        """Whether any of `views` contains one of the lower-case `anchors`, case-insensitively;
        the lower-cased text of each component is built once per request."""
        lowered = self._lowered.get(id(views))
        if lowered is None:
            lowered = self._lowered[id(views)] = "\n".join(views).lower()
        for anchor in anchors:  # noqa: SIM110 - no generator per call: this runs ~20x a request
            if anchor in lowered:
                return True
        return False

    @cached_property
    def _cache(self) -> dict[str, tuple[str, ...]]:
        return {}

    @cached_property
    def _lowered(self) -> dict[int, str]:
        return {}

    def _views(self, key: str, text: str) -> tuple[str, ...]:
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = decoded_forms(text)
        return cached


def _not_inert(forms: list[str]) -> tuple[str, ...]:
    return tuple(form for form in dict.fromkeys(forms) if form and not is_inert(form))


def _json_strings(text: str) -> list[str]:
    """Every string of a JSON text (keys and values); for text that only looks like JSON, every
    quoted string in it; none for other text."""
    parsed = _parsed_json_strings(text)
    if parsed is not None:
        return parsed
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return []
    return [_unescaped(raw) if "\\" in raw else raw for raw in _JSON_STRING.findall(stripped)]


def _parsed_json_strings(text: str) -> list[str] | None:
    """The strings of a valid JSON document (keys and values), or None when `text` is not one.

    Collected while the C decoder builds each object, rather than by walking the result."""
    if not text.lstrip().startswith(("{", "[")):
        return None
    found: list[str] = []

    def collect(value: Any) -> None:
        if type(value) is str:
            found.append(value)
        elif type(value) is list:
            for item in value:
                collect(item)

    def on_object(pairs: list[tuple[str, Any]]) -> None:
        for key, value in pairs:
            found.append(key)
            collect(value)

    try:
        collect(json.loads(text, object_pairs_hook=on_object))
    except (ValueError, RecursionError):
        return None
    return found


def _unescaped(raw: str) -> str:
    try:
        value: str = json.loads(f'"{raw}"')
    except ValueError:
        return raw
    return value

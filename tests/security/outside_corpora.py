"""Material nobody on this project wrote, as requests to the Orders API.

- The OWASP CRS regression tests (`../shared/corpora/owasp-crs-regression`, Apache-2.0, read in
  place, never copied): their attack cases (`expect_ids`) and their benign look-alikes
  (`no_expect_ids`), each replayed in the parts of a request where this API would receive it.
- Faker's locales: names, addresses, companies and phone numbers in 14 locales and scripts, and
  delivery and gift notes assembled from each locale's own phrase material.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.paths import ROOT

CRS = ROOT.parent / "shared" / "corpora" / "owasp-crs-regression"
"""Beside the checkout, as the workplace lays it out; tests skip with this path when absent."""

LOCALES = (
    "en_US", "de_DE", "fr_FR", "es_ES", "it_IT", "pt_BR", "pl_PL", "ru_RU",
    "el_GR", "he_IL", "ja_JP", "zh_CN", "ko_KR", "hi_IN",
)  # fmt: skip
"""Fourteen locales, ten scripts: Latin, Cyrillic, Greek, Hebrew, kana and kanji, hanzi, hangul,
Devanagari."""

FAMILIES = {
    "913": "scanner",
    "920": "protocol",
    "921": "protocol",
    "930": "LFI",
    "931": "RFI",
    "932": "RCE",
    "933": "PHP",
    "934": "generic",
    "941": "XSS",
    "942": "SQLi",
    "943": "session fixation",
    "944": "Java/Log4j",
}
"""The CRS rule families this API could meet (others are left out: methods, multipart)."""

ORDER_ITEMS = [{"sku": "MUG-01", "quantity": 1}]


@dataclass(frozen=True)
class Sample:
    """One request the API could receive, and where its interesting text travels."""

    corpus: str
    family: str
    case: str
    """Where it came from: the CRS rule and test id, or the Faker locale and field."""
    part: str
    """Which part of the request carries it: note, address, sku, query, path, header."""
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: dict[str, Any] | None

    @property
    def free_text(self) -> bool:
        """In a field a customer writes freely (stored inertly, echoed only as JSON)."""
        return self.part in ("note", "address")


def crs_available() -> bool:
    return CRS.is_dir()


def _crs_cases() -> Iterator[tuple[str, str, dict[str, Any], bool]]:
    """(family, case id, input, is an attack) for every CRS test of the families above."""
    import yaml

    for path in sorted(CRS.glob("REQUEST-*/*.yaml")):
        family = FAMILIES.get(path.stem[:3])
        if family is None:
            continue
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for test in document.get("tests", []):
            for stage in test.get("stages", []):
                output = stage.get("output", {}).get("log", {})
                attack = bool(output.get("expect_ids"))
                if not attack and not output.get("no_expect_ids"):
                    continue
                yield family, f"{path.stem}#{test.get('test_id')}", stage.get("input", {}), attack


def _text_of(data: Any) -> str:
    if isinstance(data, list):
        return "\n".join(str(line) for line in data)
    return "" if data is None else str(data)


def _body_values(data: str) -> list[str]:
    """What a form or raw body carried, as the values a customer's field would hold."""
    if "=" in data and "\n" not in data.strip():
        values = [value for _, value in parse_qsl(data, keep_blank_values=True) if value]
        if values:
            return values
    return [data] if data.strip() else []


_OWN_HEADERS = {"host", "content-length", "content-type", "connection", "accept-encoding"}


def crs_samples(attacks: bool) -> Iterator[Sample]:
    """Each CRS case's payloads placed where this API would receive them: its query string
    after /prod/orders, its path under /prod/orders/, its headers as sent (Host excepted),
    and its body's values as an order's note (free text) and as a line's sku (structured)."""
    corpus = "CRS attacks" if attacks else "CRS look-alikes"
    for family, case, given, attack in _crs_cases():
        if attack != attacks:
            continue
        uri = str(given.get("uri", "/"))
        parts = urlsplit(uri if uri.startswith("/") else "/" + uri)
        if parts.query:
            yield Sample(
                corpus, family, case, "query", "GET", "/prod/orders/o-1", parts.query, (), None
            )
        if parts.path.strip("/") and parts.path not in ("/", "/get", "/post", "/index.html"):
            yield Sample(
                corpus, family, case, "path", "GET", "/prod/orders" + parts.path, "", (), None
            )
        headers = tuple(
            (str(name), str(value))
            for name, value in (given.get("headers") or {}).items()
            if str(name).lower() not in _OWN_HEADERS and value is not None
        )
        if headers and any(name.lower() != "user-agent" or attack for name, _ in headers):
            yield Sample(
                corpus, family, case, "header", "GET", "/prod/orders/o-1", "", headers, None
            )
        for value in _body_values(_text_of(given.get("data")))[:3]:
            note = {"items": ORDER_ITEMS, "note": value[:500]}
            yield Sample(corpus, family, case, "note", "POST", "/prod/orders", "", (), note)
            sku = {"items": [{"sku": value[:200], "quantity": 1}]}
            yield Sample(corpus, family, case, "sku", "POST", "/prod/orders", "", (), sku)


def faker_samples(per_locale: int) -> Iterator[Sample]:
    """Honest orders from Faker: each locale's names, streets, cities, postcodes, companies
    and phone numbers in a shipping address, and a note assembled from its own sentences,
    company names, addresses and phone numbers (a door code, who to ask, a gift message)."""
    from faker import Faker

    for locale in LOCALES:
        fake = Faker(locale)
        fake.seed_instance(20261205)
        for number in range(per_locale):
            address = {
                "name": fake.name()[:100],
                "line1": fake.street_address()[:200],
                "city": fake.city()[:100],
                "postalCode": fake.postcode()[:20],
                "country": locale.split("_")[1],
            }
            body = {"items": ORDER_ITEMS, "shippingAddress": address}
            yield Sample(
                "Faker",
                locale,
                f"{locale}#{number}",
                "address",
                "POST",
                "/prod/orders",
                "",
                (),
                body,
            )
            note = " ".join(
                [
                    fake.sentence(),
                    f"{fake.company()} — {fake.phone_number()}",
                    fake.sentence(),
                    fake.building_number() if hasattr(fake, "building_number") else "",
                ]
            ).strip()[:500]
            body = {"items": ORDER_ITEMS, "note": note}
            yield Sample(
                "Faker", locale, f"{locale}#{number}", "note", "POST", "/prod/orders", "", (), body
            )
            agent = fake.user_agent()
            yield Sample(
                "Faker",
                locale,
                f"{locale}#{number}",
                "header",
                "GET",
                "/prod/orders/o-1",
                "",
                (("User-Agent", agent),),
                None,
            )


def as_json(body: dict[str, Any] | None) -> bytes:
    return b"" if body is None else json.dumps(body, ensure_ascii=False).encode()


def crs_licence() -> Path:
    return CRS / "LICENSE"

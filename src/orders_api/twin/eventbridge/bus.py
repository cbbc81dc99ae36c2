"""The orders event bus, locally: EventBridge's envelope, a durable log, the rules' targets.

Every event is wrapped as EventBridge delivers events to targets (`version`, `id`,
`detail-type`, `source`, `account`, `time`, `region`, `resources`, `detail`:
https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html), appended to
`<data dir>/events.jsonl` (owner-only: details hold addresses) and fsync'd, told in the twin's
log in one line without personal data, and then delivered to the twin's rule targets: the
order e-mail (shown in the log as the deployed SNS topic would send it, the address masked) and
an optional loopback webhook that gets each event as a JSON POST, as an EventBridge API
destination would. A webhook that fails three times gets the event appended to
`events-failed.jsonl` instead, as a rule's dead-letter queue would hold it.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from orders_api.deployment.order_events import mail_text
from orders_api.domain.events import EVENT_SOURCE, ORDER_PLACED

EVENTS_FILE = "events.jsonl"
FAILED_EVENTS_FILE = "events-failed.jsonl"
WEBHOOK_ATTEMPTS = 3
WEBHOOK_TIMEOUT_SECONDS = 2.0


def mask_address(address: str) -> str:
    """`ops@example.com` -> `o***@example.com`: enough to recognise, not to harvest."""
    local, at, domain = address.partition("@")
    return f"{local[:1]}***{at}{domain}" if at else "***"


def _append(path: Path, line: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, line.encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class EventBus:
    def __init__(
        self,
        data_dir: Path,
        *,
        region: str,
        account: str,
        log: Callable[[str], None],
        orders_email: str | None = None,
        webhook: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._events = data_dir / EVENTS_FILE
        self._failed = data_dir / FAILED_EVENTS_FILE
        self._region = region
        self._account = account
        self._log = log
        self._orders_email = orders_email
        self._webhook = webhook
        self._clock = clock
        self._client = httpx.Client(timeout=WEBHOOK_TIMEOUT_SECONDS) if webhook else None

    @property
    def events_path(self) -> Path:
        return self._events

    def put_events(self, entries: Iterable[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """Publish each (detail-type, detail); the envelopes, once all are durably logged."""
        envelopes = [self._envelope(detail_type, detail) for detail_type, detail in entries]
        if envelopes:
            _append(self._events, "".join(_line(envelope) for envelope in envelopes))
        for envelope in envelopes:
            self._deliver(envelope)
        return envelopes

    def dead_letter(self, records: list[dict[str, Any]], reason: str) -> None:
        """Keep what could not become events in `events-failed.jsonl`, as a pipe's dead-letter
        queue keeps the batches it gave up on."""
        _append(self._failed, "".join(_line({"reason": reason, "record": r}) for r in records))
        self._log(
            f"{len(records)} change(s) could not become events ({reason}): see {self._failed.name}"
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def _envelope(self, detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": detail_type,
            "source": EVENT_SOURCE,
            "account": self._account,
            "time": self._clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self._region,
            "resources": [],
            "detail": detail,
        }

    def _deliver(self, envelope: dict[str, Any]) -> None:
        detail = envelope["detail"]
        self._log(f"{envelope['detail-type']} {detail.get('orderId')} {detail.get('status')}")
        if envelope["detail-type"] == ORDER_PLACED and self._orders_email:
            self._log(f"e-mail to {mask_address(self._orders_email)}: {mail_text(detail)}")
        if self._client is not None and self._webhook is not None:
            self._post(self._client, self._webhook, envelope)

    def _post(self, client: httpx.Client, url: str, envelope: dict[str, Any]) -> None:
        problem = ""
        for attempt in range(WEBHOOK_ATTEMPTS):
            if attempt:
                time.sleep(0.2 * 2**attempt)
            try:
                answer = client.post(url, json=envelope)
            except httpx.HTTPError as exc:
                problem = type(exc).__name__
                continue
            if answer.is_success:
                return
            problem = f"HTTP {answer.status_code}"
        self._log(
            f"webhook failed ({problem}) for event {envelope['id']}: kept in {self._failed.name}"
        )
        _append(self._failed, _line(envelope))


def _line(envelope: dict[str, Any]) -> str:
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False) + "\n"

"""Across the whole e2e session, no log line holds a token, a password, an Authorization header
value or a shipping address.

The e2e fixtures register every password and token they create and every twin's captured
stdout/stderr; tests register the addresses they send. This module runs last (see conftest)
and scans every registered log, and every other *.log of the session, for every registered
secret and for any JWT at all.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.e2e import log_secrets
from tests.e2e.reliability.report import record


def _session_logs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    logs = set(log_secrets.registered_logs())
    logs.update(tmp_path_factory.getbasetemp().rglob("*.log"))
    return sorted(path for path in logs if path.is_file())


def test_the_scan_finds_a_planted_secret_and_any_jwt(tmp_path: Path) -> None:
    lines = [
        "an innocent line",
        "reason=validation customer=Aa1!plantedpassword",
        "token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzb21lb25lIn0.c2lnbmF0dXJl",
    ]
    secrets = {"Aa1!plantedpassword": "password"}
    leaks = list(log_secrets.leaks_in(lines, tmp_path / "serve.log", secrets))
    assert [(leak.line_number, leak.kind) for leak in leaks] == [(2, "password"), (3, "JWT")]
    assert "plantedpassword" not in str(leaks[0])


def test_no_log_line_holds_a_token_password_authorization_value_or_address(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    logs = _session_logs(tmp_path_factory)
    if not logs:
        pytest.skip("no twin ran in this session, so there is no log to scan")
    secrets = log_secrets.registered_secrets()
    lines = 0
    leaks: list[log_secrets.Leak] = []
    for log in logs:
        content = log.read_text(encoding="utf-8", errors="replace").splitlines()
        lines += len(content)
        leaks.extend(log_secrets.leaks_in(content, log, secrets))
    record(
        "logHygiene",
        logsScanned=len(logs),
        linesScanned=lines,
        secretsSearched=len(secrets),
        secretsByKind=dict(Counter(secrets.values())),
        leaks=len(leaks),
    )
    assert [str(leak) for leak in leaks] == []

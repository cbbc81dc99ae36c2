"""Fixtures for the identity provider's unit tests: a provider on a temporary data dir with
cheap argon2 parameters, its pool and the log lines it prints. A module using them defines
the `clock` fixture it wants."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orders_api.twin.cognito import IdentityProvider
from orders_api.twin.cognito.userpool import UserPool
from tests.fake_issuer import Clock
from tests.fast_hashes import FAST_HASHES


@pytest.fixture
def logs() -> list[str]:
    return []


@pytest.fixture
def provider(tmp_path: Path, clock: Clock, logs: list[str]) -> Iterator[IdentityProvider]:
    idp = IdentityProvider.open(
        tmp_path,
        region="us-east-1",
        host="127.0.0.1",
        port=9229,
        log=logs.append,
        clock=clock,
        hashes=FAST_HASHES,
    )
    yield idp
    idp.close()


@pytest.fixture
def pool(provider: IdentityProvider) -> UserPool:
    return provider.pool

"""Opening the local identity provider on a data dir: its pool, app client, keys and users."""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Callable
from pathlib import Path

from starlette.applications import Starlette

from orders_api.deployment.settings import DEFAULT_SETTINGS, AuthSettings
from orders_api.twin.cognito.app import build_app
from orders_api.twin.cognito.keys import SigningKey
from orders_api.twin.cognito.passwords import PasswordHashes
from orders_api.twin.cognito.store import IdentityStore
from orders_api.twin.cognito.userpool import UserPool
from orders_api.twin.http import url_host

IDP_DIRECTORY = "identity"
STORE_FILE = "users.sqlite3"
KEY_FILE = "signing-key.pem"


def new_user_pool_id(region: str) -> str:
    """`<region>_` and nine alphanumerics, like us-east-1_AbC123xYz."""
    alphabet = string.ascii_letters + string.digits
    return f"{region}_" + "".join(secrets.choice(alphabet) for _ in range(9))


def new_client_id() -> str:
    """26 lowercase alphanumerics, like a Cognito app client id."""
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(26))


def base_url(host: str, port: int) -> str:
    """http://host:port; a wildcard bind address is reached on the loopback."""
    return f"http://{url_host(host)}:{port}"


class IdentityProvider:
    def __init__(self, pool: UserPool, *, endpoint: str, host: str) -> None:
        self.pool = pool
        self.endpoint = endpoint
        self._host = host

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        region: str,
        host: str,
        port: int,
        settings: AuthSettings = DEFAULT_SETTINGS.auth,
        log: Callable[[str], None] = print,
        clock: Callable[[], float] = time.time,
        hashes: PasswordHashes | None = None,
    ) -> IdentityProvider:
        """The pool kept in `data_dir` (created on first use). Its ids, keys and users persist;
        the issuer follows host and port, so tokens issued under another port stop verifying."""
        directory = Path(data_dir) / IDP_DIRECTORY
        store = IdentityStore(directory / STORE_FILE)
        key = SigningKey.load_or_create(directory / KEY_FILE)
        user_pool_id = store.setting("user_pool_id", new_user_pool_id(region))
        client_id = store.setting("client_id", new_client_id())
        endpoint = base_url(host, port)
        pool = UserPool(
            store,
            key,
            user_pool_id=user_pool_id,
            client_id=client_id,
            issuer=f"{endpoint}/{user_pool_id}",
            settings=settings,
            log=log,
            clock=clock,
            hashes=hashes,
        )
        return cls(pool, endpoint=endpoint, host=host)

    @property
    def user_pool_id(self) -> str:
        return self.pool.user_pool_id

    @property
    def client_id(self) -> str:
        return self.pool.client_id

    @property
    def issuer(self) -> str:
        return self.pool.issuer

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/.well-known/jwks.json"

    def asgi_app(self) -> Starlette:
        return build_app(self.pool, host=self._host)

    def close(self) -> None:
        self.pool.store.close()

"""What the twin is asked to run: its options, as data, and the error when it cannot start."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from orders_api.deployment.settings import DEFAULT_SETTINGS, DeploymentSettings
from orders_api.twin.server import RequestFilter

DEFAULT_DATA_DIR = Path(".orders-api")


@dataclass(frozen=True)
class TwinOptions:
    host: str = "127.0.0.1"
    port: int = 3000
    idp_port: int = 9229
    data_dir: Path = DEFAULT_DATA_DIR
    dynamodb_endpoint: str | None = None
    table_name: str | None = None
    """With `dynamodb_endpoint`: the table (created, on demand, if missing)."""
    access_log: bool = False
    function_logs: bool = False
    settings: DeploymentSettings = field(default_factory=lambda: DEFAULT_SETTINGS)
    request_filter: RequestFilter | None = None
    """The web ACL's local engine, evaluated before everything else; None: no filter."""
    orders_email: str | None = None
    """Where the e-mail for each new order would go (shown in the log, masked); None: none."""
    events_webhook: str | None = None
    """A loopback URL that gets every order event as a JSON POST; None: none."""


class TwinStartupError(RuntimeError):
    """The twin cannot start; the message says why and what to do."""

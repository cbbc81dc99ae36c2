"""The running twin and signed-in users, for every end-to-end test.

`twin` (module scope) is `orders-api serve` as a subprocess on free loopback ports with its own
data dir; it is stopped (SIGTERM, then SIGKILL if it hangs) when the module is done. Extra CLI
arguments: override `twin_args` in a test module, or parametrize it indirectly:

    @pytest.fixture(scope="module")
    def twin_args() -> tuple[str, ...]:
        return ("--access-log",)

`start_twin(data_dir, *args)` starts one more (for restarts, crashes...); the `twin_factory`
fixture stops whatever it started. `new_user(twin)` creates a confirmed user and signs in;
`user` is one per module, `api` an httpx client on the API with that user's ID token.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import httpx
import pytest
from botocore.config import Config

from tests.e2e import log_secrets

READY_PATH = "/__twin/ready"
STARTUP_SECONDS = 60.0
STOP_SECONDS = 30.0
PASSWORD_ALPHABET = "abcdefghijkmnopqrstuvwxyz"


@dataclass
class Twin:
    """A running `orders-api serve` and what it wrote to outputs.json."""

    process: subprocess.Popen[bytes]
    data_dir: Path
    log_path: Path
    outputs: dict[str, Any]

    @property
    def outputs_path(self) -> Path:
        return self.data_dir / "outputs.json"

    @property
    def api_url(self) -> str:
        """The stage's invoke URL, ending in '/': http://127.0.0.1:PORT/prod/."""
        return str(self.outputs["ApiUrl"])

    @property
    def base_url(self) -> str:
        """The server's origin (no stage): where the readiness endpoint lives."""
        parts = urlsplit(self.api_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def api_port(self) -> int:
        return int(urlsplit(self.api_url).port or 0)

    @property
    def idp_endpoint(self) -> str:
        return str(self.outputs["IdpEndpoint"])

    @property
    def idp_port(self) -> int:
        return int(urlsplit(self.idp_endpoint).port or 0)

    @property
    def region(self) -> str:
        return str(self.outputs["Region"])

    @property
    def user_pool_id(self) -> str:
        return str(self.outputs["UserPoolId"])

    @property
    def client_id(self) -> str:
        return str(self.outputs["UserPoolClientId"])

    def url(self, path: str) -> str:
        """An API URL: `twin.url("orders")` → http://127.0.0.1:PORT/prod/orders."""
        return self.api_url + path.lstrip("/")

    def cognito(self) -> Any:
        """boto3's cognito-idp client on the local pool; Admin* calls are signed with a
        placeholder key, since the local pool only checks that they are signed."""
        return boto3.client(
            "cognito-idp",
            endpoint_url=self.idp_endpoint,
            region_name=self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}),
        )

    def ready(self) -> dict[str, Any]:
        response = httpx.get(self.base_url + READY_PATH, timeout=5)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_SECONDS) -> int:
        """Signal the server and wait for it; SIGKILL if it outlives the timeout."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        return int(self.process.returncode)


def serve_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "orders_api.cli", "serve", *args]


def start_twin(
    data_dir: Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = STARTUP_SECONDS,
) -> Twin:
    """`orders-api serve --port 0 --idp-port 0 --data-dir DATA_DIR ARGS...`, once it is ready.

    Later `--port`/`--idp-port` arguments in `args` win over the free-port defaults.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    outputs_path = data_dir / "outputs.json"
    outputs_path.unlink(missing_ok=True)
    log_path = data_dir.parent / f"{data_dir.name}-serve-{time.monotonic_ns()}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            serve_command("--port", "0", "--idp-port", "0", "--data-dir", str(data_dir), *args),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
        )
    log_secrets.register_log(log_path)
    twin = Twin(process, data_dir, log_path, outputs={})
    try:
        _wait_until_ready(twin, outputs_path, timeout)
    except BaseException:
        twin.stop(signal.SIGKILL)
        raise
    return twin


def _wait_until_ready(twin: Twin, outputs_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if twin.process.poll() is not None:
            raise RuntimeError(
                f"orders-api serve exited with {twin.process.returncode}:\n{twin.log()}"
            )
        if outputs_path.exists():
            twin.outputs = json.loads(outputs_path.read_text(encoding="utf-8"))
            try:
                if twin.ready().get("status") == "ready":
                    return
            except httpx.HTTPError:
                pass
        time.sleep(0.1)
    raise TimeoutError(f"orders-api serve not ready after {timeout} s:\n{twin.log()}")


@pytest.fixture(scope="module")
def twin_args(request: pytest.FixtureRequest) -> tuple[str, ...]:
    """Extra `orders-api serve` arguments for this module's twin (none by default)."""
    return tuple(getattr(request, "param", ()))


@pytest.fixture(scope="module")
def twin(twin_args: tuple[str, ...], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twin]:
    running = start_twin(tmp_path_factory.mktemp("twin") / "data", *twin_args)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def twin_factory(tmp_path: Path) -> Iterator[Callable[..., Twin]]:
    """`twin_factory(*args, data_dir=None)` starts a twin; all are stopped after the test."""
    started: list[Twin] = []

    def start(*args: str, data_dir: Path | None = None, **kwargs: Any) -> Twin:
        running = start_twin(data_dir or tmp_path / f"data-{len(started)}", *args, **kwargs)
        started.append(running)
        return running

    try:
        yield start
    finally:
        for running in started:
            running.stop()


@dataclass
class User:
    email: str
    password: str
    id_token: str
    access_token: str
    refresh_token: str
    sub: str = field(default="")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": self.id_token}


def new_password() -> str:
    """Meets the pool's policy: 12+ characters, lower, upper, digit and symbol."""
    return "Aa1!" + "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(12))


def new_user(twin: Twin, email: str | None = None, password: str | None = None) -> User:
    """A confirmed user (AdminCreateUser + AdminSetUserPassword), signed in with boto3."""
    email = email or f"user-{secrets.token_hex(6)}@example.com"
    password = password or new_password()
    cognito = twin.cognito()
    created = cognito.admin_create_user(
        UserPoolId=twin.user_pool_id,
        Username=email,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=twin.user_pool_id, Username=email, Password=password, Permanent=True
    )
    return sign_in(twin, email, password, sub=_sub_of(created["User"]))


def sign_in(twin: Twin, email: str, password: str, sub: str = "") -> User:
    result = twin.cognito().initiate_auth(
        ClientId=twin.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )["AuthenticationResult"]
    log_secrets.register("password", password)
    log_secrets.register("token", result["IdToken"], result["AccessToken"], result["RefreshToken"])
    return User(
        email=email,
        password=password,
        id_token=result["IdToken"],
        access_token=result["AccessToken"],
        refresh_token=result["RefreshToken"],
        sub=sub,
    )


def _sub_of(user: dict[str, Any]) -> str:
    return next((a["Value"] for a in user.get("Attributes", []) if a["Name"] == "sub"), "")


@pytest.fixture(scope="module")
def user(twin: Twin) -> User:
    return new_user(twin)


@pytest.fixture
def api(twin: Twin, user: User) -> Iterator[httpx.Client]:
    """HTTP on the stage's invoke URL with the module user's ID token."""
    with httpx.Client(base_url=twin.api_url, headers=user.headers, timeout=30) as client:
        yield client


@pytest.fixture
def anonymous(twin: Twin) -> Iterator[httpx.Client]:
    """HTTP on the stage's invoke URL without any token."""
    with httpx.Client(base_url=twin.api_url, timeout=30) as client:
        yield client


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser). Where either is
    missing the test is skipped, and the reason shows in pytest's summary."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser test skipped: {CHROMIUM} is missing (apt-get install chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="browser test skipped: Playwright for Python is missing"
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


class _QuietStaticFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def dev_server_for(bundle: Path, entry: str) -> Iterator[str]:
    """`bundle` served on a free loopback port, as a front end's dev server would; its origin
    (`http://localhost:PORT`). Skips the test when `entry` is not built."""
    if not (bundle / entry).exists():
        pytest.skip("the page is not built: run `make web` (npm ci + esbuild into web/dist)")
    handler = functools.partial(_QuietStaticFiles, directory=str(bundle))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)

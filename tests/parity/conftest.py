"""The parity suite's target, reached only as a client would: HTTP (httpx) and boto3.

`ORDERS_API_OUTPUTS` names the outputs file of what to test: a running twin's outputs.json, or
`cdk deploy --outputs-file` of a deployed stack (read by `StackOutputs.load`, as the CLI reads
it). Unset, the suite starts its own twin in a temporary folder, so `make test` runs it too.

Nothing here reads the twin's data folder or imports `orders_api.twin`: each case holds on AWS.

Users are the suite's own: AdminCreateUser (message suppressed) + AdminSetUserPassword
(permanent), signed in with USER_PASSWORD_AUTH, removed with AdminDeleteUser at the end — the
operator rights the stack grants. Against the twin boto3 signs with a placeholder key on
`IdpEndpoint`; against AWS it needs the operator's credentials on Cognito's regional endpoint:
tests/conftest.py replaces the environment's with placeholders (no other test may reach AWS),
so name a profile in `ORDERS_API_PARITY_PROFILE` (long-term keys in the environment work too).

Opt-ins for what is slow or disruptive on a deployment (each case prints why it skipped):
`ORDERS_API_PARITY_RATE_LIMIT=1` (trips the web ACL's rate rule for this address),
`ORDERS_API_PARITY_LARGE_BODY=1` (uploads 10 MB), `ORDERS_API_PARITY_EXPIRED_ID_TOKEN=<token>`
(an ID token of the target's pool that has expired: the suite cannot mint one honestly).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from orders_api.cli.api_client import OUTPUTS_ENV, StackOutputs
from tests.e2e import log_secrets
from tests.e2e.conftest import start_twin
from tests.paths import TESTS

PROFILE_ENV = "ORDERS_API_PARITY_PROFILE"
RATE_LIMIT_ENV = "ORDERS_API_PARITY_RATE_LIMIT"
LARGE_BODY_ENV = "ORDERS_API_PARITY_LARGE_BODY"
EXPIRED_TOKEN_ENV = "ORDERS_API_PARITY_EXPIRED_ID_TOKEN"
PLACEHOLDER_SECRET = "testing"  # what tests/conftest.py puts in the environment
DEV_ORIGIN = "http://localhost:5173"
ORDER = {"items": [{"sku": "MUG-01", "quantity": 2}], "note": "parity suite"}
UNAUTHORIZED = {"message": "Unauthorized"}
FORBIDDEN = {"message": "Forbidden"}
PARITY = TESTS / "parity"
LAST_MODULES = ("test_rate_limit.py",)
"""Run after every other case: tripping a deployment's rate rule throttles this address."""
_BOTO_CONFIG = Config(connect_timeout=5, read_timeout=20, retries={"max_attempts": 2})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the suite's cases `parity`, and move the rate-limit module to the very end."""
    ours = [item for item in items if PARITY in item.path.parents]
    for item in ours:
        item.add_marker(pytest.mark.parity)
    last = [item for item in ours if item.path.name in LAST_MODULES]
    items[:] = [item for item in items if item not in last] + last


@dataclass
class Customer:
    """A confirmed user of the target's pool, signed in; its tokens are never printed."""

    email: str
    username: str
    id_token: str
    access_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": self.id_token}


@dataclass
class Target:
    """What the suite tests, known only by its outputs."""

    outputs: StackOutputs
    started_here: bool
    """True when the suite started this twin itself (so it may start others beside it)."""
    created: list[str] = field(default_factory=list)

    @property
    def is_aws(self) -> bool:
        return not self.outputs.is_local

    def url(self, path: str) -> str:
        return self.outputs.api_url + path.lstrip("/")

    def client(self, customer: Customer | None = None, **headers: str) -> httpx.Client:
        all_headers = {**(customer.headers if customer else {}), **headers}
        return httpx.Client(base_url=self.outputs.api_url, headers=all_headers, timeout=30)

    def cognito(self) -> Any:
        if self.outputs.is_local:
            return boto3.client(
                "cognito-idp",
                endpoint_url=self.outputs.idp_endpoint,
                region_name=self.outputs.region,
                aws_access_key_id="parity",
                aws_secret_access_key="parity",
                config=_BOTO_CONFIG,
            )
        return _aws_session(self.outputs.region).client("cognito-idp", config=_BOTO_CONFIG)

    def new_customer(self, prefix: str = "parity") -> Customer:
        """AdminCreateUser + AdminSetUserPassword (permanent), then USER_PASSWORD_AUTH."""
        cognito = self.cognito()
        email = f"{prefix}-{secrets.token_hex(6)}@example.com"
        password = "Aa1!" + secrets.token_urlsafe(18)
        log_secrets.register("password", password)
        created = cognito.admin_create_user(
            UserPoolId=self.outputs.user_pool_id,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )
        # With e-mail as the sign-in alias Cognito names the user itself (a UUID on AWS):
        # every later admin call uses the name it returned.
        username = str(created["User"]["Username"])
        self.created.append(username)
        cognito.admin_set_user_password(
            UserPoolId=self.outputs.user_pool_id,
            Username=username,
            Password=password,
            Permanent=True,
        )
        tokens = cognito.initiate_auth(
            ClientId=self.outputs.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )["AuthenticationResult"]
        log_secrets.register("token", tokens["IdToken"], tokens["AccessToken"])
        return Customer(email, username, tokens["IdToken"], tokens["AccessToken"])

    def delete_customers(self) -> None:
        """AdminDeleteUser for every user this suite created; raises if any is left behind."""
        if not self.created:
            return
        cognito, left = self.cognito(), []
        for username in self.created:
            try:
                cognito.admin_delete_user(UserPoolId=self.outputs.user_pool_id, Username=username)
            except ClientError as error:
                left.append(f"{username}: {error.response['Error']['Code']}")
        self.created.clear()
        if left:
            raise RuntimeError(f"test users not deleted (operators need AdminDeleteUser): {left}")


def _aws_session(region: str) -> boto3.Session:
    """The operator's credentials: a named profile, or keys the environment really holds."""
    if profile := os.environ.get(PROFILE_ENV):
        return boto3.Session(profile_name=profile, region_name=region)
    key = os.environ.get("AWS_ACCESS_KEY_ID", "")
    if key in ("", PLACEHOLDER_SECRET):
        pytest.fail(
            f"parity against AWS needs operator credentials: set {PROFILE_ENV}=<profile> "
            "(tests/conftest.py hides AWS_PROFILE and puts placeholders in the environment)"
        )
    token = os.environ.get("AWS_SESSION_TOKEN")
    return boto3.Session(
        aws_access_key_id=key,
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY"),
        aws_session_token=None if token == PLACEHOLDER_SECRET else token,
        region_name=region,
    )


@pytest.fixture(scope="session")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The stack under test; users the suite created are deleted when it ends."""
    configured = os.environ.get(OUTPUTS_ENV)
    if configured:
        found = Target(StackOutputs.load(Path(configured)), started_here=False)
        kind = "AWS" if found.is_aws else "a running twin"
        print(f"\nparity target: {kind} at {found.outputs.api_url} (from {configured})")
        try:
            yield found
        finally:
            found.delete_customers()
        return
    twin = start_twin(tmp_path_factory.mktemp("parity") / "data")
    try:
        started = Target(StackOutputs.load(twin.outputs_path), started_here=True)
        try:
            yield started
        finally:
            started.delete_customers()
    finally:
        twin.stop()


@pytest.fixture(scope="session")
def customer(target: Target) -> Customer:
    return target.new_customer("parity-a")


@pytest.fixture(scope="session")
def other_customer(target: Target) -> Customer:
    return target.new_customer("parity-b")


@pytest.fixture
def api(target: Target, customer: Customer) -> Iterator[httpx.Client]:
    """The API's stage with the customer's ID token."""
    with target.client(customer) as client:
        yield client


@pytest.fixture
def anonymous(target: Target) -> Iterator[httpx.Client]:
    with target.client() as client:
        yield client


def opted_in(variable: str) -> bool:
    return os.environ.get(variable, "").strip().lower() in ("1", "true", "yes")


def announce(reason: str) -> str:
    """Why a case is skipped, printed as well (`pytest -ra` lists it in the summary too)."""
    print(f"\nparity case skipped: {reason}")
    return reason


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segments(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A JWT's header and claims, read without verifying, and its signature segment."""

    def decode(part: str) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return value

    header, payload, signature = token.split(".")
    return decode(header), decode(payload), signature


def eventually(probe: Callable[[], bool], seconds: float = 15.0) -> bool:
    """True once `probe()` is; False after `seconds` (lists read an eventually consistent
    index on AWS)."""
    deadline = time.monotonic() + seconds
    while True:
        if probe():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)

"""A client of the Orders API that works the same against the local twin and a deployed stack.

Everything it needs comes from an outputs file: the twin's `<data-dir>/outputs.json`, a
`cdk deploy --outputs-file` file, or `aws cloudformation describe-stacks` output. It signs in
through boto3's cognito-idp client — against `IdpEndpoint` when the outputs have one, else
Cognito's regional endpoint — with Secure Remote Password (USER_SRP_AUTH, pycognito's AWSSRP:
the password never leaves the machine) or, when asked, USER_PASSWORD_AUTH; then it calls the
API over HTTP with the ID token, as the API's Cognito authorizer requires.

Sessions (the tokens of one sign-in) are cached per user pool in a directory readable by the
owner only; an expired ID token is refreshed with the refresh token, once, transparently.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pycognito.aws_srp import AWSSRP  # type: ignore[import-untyped]
from pycognito.exceptions import (  # type: ignore[import-untyped]
    ForceChangePasswordException,
    MFAChallengeException,
)

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp.client import CognitoIdentityProviderClient

DEFAULT_OUTPUTS = Path(".orders-api") / "outputs.json"
OUTPUTS_ENV = "ORDERS_API_OUTPUTS"
CACHE_DIR_ENV = "ORDERS_API_CACHE_DIR"
_REFRESH_MARGIN_SECONDS = 30
_BOTO_CONFIG = Config(connect_timeout=5, read_timeout=15, retries={"total_max_attempts": 2})


class ClientProblem(Exception):
    """Something the user can fix; the message says what happened and what to do."""


class OutputsNotFound(ClientProblem):
    pass


class NotReachable(ClientProblem):
    pass


class NotLoggedIn(ClientProblem):
    pass


class SignInRefused(ClientProblem):
    pass


class ApiError(ClientProblem):
    """The API answered with an error status; `body` is its JSON (or text) as sent."""

    def __init__(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = {name.lower(): value for name, value in (headers or {}).items()}

    @property
    def message(self) -> str | None:
        """The body's `message`, API Gateway's and the function's error shape alike."""
        if isinstance(self.body, dict):
            return str(self.body.get("message"))
        return str(self.body) if self.body is not None else None

    @property
    def retry_after_seconds(self) -> int | None:
        """The `Retry-After` header in seconds, when the answer carries one."""
        value = self.headers.get("retry-after", "")
        return int(value) if value.isdigit() else None

    def __str__(self) -> str:
        return f"HTTP {self.status}: {self.message}"


@dataclass(frozen=True)
class StackOutputs:
    api_url: str
    user_pool_id: str
    client_id: str
    region: str
    idp_endpoint: str | None = None
    """The local identity provider; None for a deployed stack (Cognito's regional endpoint)."""
    table_name: str | None = None
    """The Orders table; on the twin, its SQLite file."""
    fulfil_function_name: str | None = None
    """The function operators invoke to ship or cancel; None on the twin."""
    event_bus_name: str | None = None
    """The orders' event bus; on the twin, its events.jsonl file."""
    source: Path | None = None
    """The file these outputs were read from (the twin's lives in its data folder)."""

    @property
    def is_local(self) -> bool:
        return self.idp_endpoint is not None

    @classmethod
    def from_mapping(cls, outputs: Mapping[str, Any]) -> StackOutputs:
        missing = [
            key for key in ("ApiUrl", "UserPoolId", "UserPoolClientId") if not outputs.get(key)
        ]
        if missing:
            raise OutputsNotFound(f"the outputs lack {', '.join(missing)}")
        user_pool_id = str(outputs["UserPoolId"])
        return cls(
            api_url=str(outputs["ApiUrl"]).rstrip("/") + "/",
            user_pool_id=user_pool_id,
            client_id=str(outputs["UserPoolClientId"]),
            region=str(outputs.get("Region") or user_pool_id.split("_", 1)[0]),
            idp_endpoint=str(outputs["IdpEndpoint"]) if outputs.get("IdpEndpoint") else None,
            table_name=_optional(outputs, "TableName"),
            fulfil_function_name=_optional(outputs, "FulfilFunctionName"),
            event_bus_name=_optional(outputs, "EventBusName"),
        )

    @classmethod
    def load(cls, path: Path | None = None) -> StackOutputs:
        """From the twin's outputs.json, a CDK outputs file or describe-stacks JSON."""
        location = path or Path(os.environ.get(OUTPUTS_ENV) or DEFAULT_OUTPUTS)
        try:
            document = json.loads(location.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise OutputsNotFound(
                f"no outputs file at {location}: start the local twin with `orders-api serve` "
                "(or `make run`) in this directory, or pass --outputs FILE (or set "
                f"{OUTPUTS_ENV}) for a deployed stack"
            ) from None
        except (OSError, ValueError) as exc:
            raise OutputsNotFound(f"cannot read {location}: {exc}") from exc
        return replace(cls.from_mapping(_flatten_outputs(document)), source=location)


def _optional(outputs: Mapping[str, Any], key: str) -> str | None:
    return str(outputs[key]) if outputs.get(key) else None


def _flatten_outputs(document: Any) -> Mapping[str, Any]:
    if isinstance(document, dict) and "ApiUrl" in document:
        return document
    if isinstance(document, dict) and "Stacks" in document:  # aws cloudformation describe-stacks
        stacks = document["Stacks"] or [{}]
        return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    if isinstance(document, dict):  # cdk deploy --outputs-file: {"StackName": {...}}
        for stack_outputs in document.values():
            if isinstance(stack_outputs, dict) and "ApiUrl" in stack_outputs:
                return stack_outputs
    raise OutputsNotFound("the outputs file has no ApiUrl")


@dataclass(frozen=True)
class Session:
    username: str
    id_token: str
    access_token: str
    refresh_token: str | None
    expires_at: float

    def expired(self, now: float | None = None) -> bool:
        return (now or time.time()) >= self.expires_at - _REFRESH_MARGIN_SECONDS


def unverified_claims(token: str) -> dict[str, Any]:
    """A JWT's claims, read without verifying it: only to show them or to know when to refresh
    (the API verifies every token it is sent). Empty for anything that is not a JWT."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, TypeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def token_expiry(token: str) -> float:
    """The `exp` of a JWT, read without verifying it: only to know when to refresh."""
    try:
        return float(unverified_claims(token)["exp"])
    except (KeyError, ValueError, TypeError):
        return 0.0


def default_cache_dir() -> Path:
    if configured := os.environ.get(CACHE_DIR_ENV):
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "orders-api"


class SessionStore:
    """The cached session for one user pool app client: a file only its owner can read."""

    def __init__(self, outputs: StackOutputs, directory: Path | None = None) -> None:
        key = hashlib.sha256(f"{outputs.user_pool_id}/{outputs.client_id}".encode()).hexdigest()
        self.directory = directory or default_cache_dir()
        self.path = self.directory / f"session-{key[:16]}.json"

    def load(self) -> Session | None:
        try:
            return Session(**json.loads(self.path.read_text(encoding="utf-8")))
        except (FileNotFoundError, ValueError, TypeError):
            return None

    def save(self, session: Session) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        # mkstemp: a new file of mode 0600 under a fresh name, so neither a leftover with a
        # looser mode nor a concurrent login writing the same name can expose the tokens.
        descriptor, temporary = tempfile.mkstemp(
            dir=self.directory, prefix=f"{self.path.stem}-", suffix=".tmp"
        )
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(asdict(session), handle)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def clear(self) -> bool:
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True


class IdentityClient:
    """The user pool through boto3's cognito-idp client, locally or on AWS."""

    def __init__(self, outputs: StackOutputs) -> None:
        self._outputs = outputs
        # The local pool wants Admin* requests signed, by any key: a placeholder will do.
        placeholder = "local" if outputs.is_local and not _has_aws_credentials() else None
        self._cognito: CognitoIdentityProviderClient = boto3.client(
            "cognito-idp",
            region_name=outputs.region,
            endpoint_url=outputs.idp_endpoint,
            config=_BOTO_CONFIG,
            aws_access_key_id=placeholder,
            aws_secret_access_key=placeholder,
        )

    def create_user(self, email: str, password: str) -> str:
        """A confirmed user with a permanent password (Admin* rights needed on AWS); its sub."""
        with self._translated():
            created = self._cognito.admin_create_user(
                UserPoolId=self._outputs.user_pool_id,
                Username=email,
                UserAttributes=[
                    {"Name": "email", "Value": email},
                    {"Name": "email_verified", "Value": "true"},
                ],
                MessageAction="SUPPRESS",
            )
            self._cognito.admin_set_user_password(
                UserPoolId=self._outputs.user_pool_id,
                Username=email,
                Password=password,
                Permanent=True,
            )
        attributes = {a["Name"]: a.get("Value", "") for a in created["User"].get("Attributes", [])}
        return attributes.get("sub", "")

    def sign_in(self, username: str, password: str, *, srp: bool = True) -> Session:
        """Tokens for the user: with SRP (USER_SRP_AUTH) unless `srp` is False
        (USER_PASSWORD_AUTH, which sends the password to the identity provider)."""
        with self._translated():
            if srp:
                answer = self._srp_sign_in(username, password)
            else:
                answer = dict(
                    self._cognito.initiate_auth(
                        ClientId=self._outputs.client_id,
                        AuthFlow="USER_PASSWORD_AUTH",
                        AuthParameters={"USERNAME": username, "PASSWORD": password},
                    )
                )
        result = answer.get("AuthenticationResult")
        if not result:
            raise SignInRefused(
                f"sign-in needs the {answer.get('ChallengeName', 'unknown')} challenge, which "
                "this client does not answer; set a permanent password first"
            )
        return _session(username, result, refresh_token=result.get("RefreshToken"))

    def _srp_sign_in(self, username: str, password: str) -> dict[str, Any]:
        srp = AWSSRP(
            username,
            password,
            self._outputs.user_pool_id,
            self._outputs.client_id,
            client=self._cognito,
        )
        # pycognito raises, rather than returns, the challenges that stand before the tokens.
        try:
            answer: dict[str, Any] = srp.authenticate_user()
        except ForceChangePasswordException:
            return {"ChallengeName": "NEW_PASSWORD_REQUIRED"}
        except MFAChallengeException as challenge:
            return dict(challenge.get_tokens())
        return answer

    def refresh(self, session: Session) -> Session:
        if not session.refresh_token:
            raise NotLoggedIn("your session expired: log in again with `orders-api login EMAIL`")
        try:
            with self._translated():
                answer = self._cognito.initiate_auth(
                    ClientId=self._outputs.client_id,
                    AuthFlow="REFRESH_TOKEN_AUTH",
                    AuthParameters={"REFRESH_TOKEN": session.refresh_token},
                )
        except SignInRefused as exc:
            raise NotLoggedIn(
                f"your session expired ({exc}): log in again with `orders-api login EMAIL`"
            ) from exc
        return _session(
            session.username, answer["AuthenticationResult"], refresh_token=session.refresh_token
        )

    def _translated(self) -> _BotoErrors:
        return _BotoErrors(self._outputs)


class _BotoErrors:
    """boto3's exceptions as problems a person can act on."""

    def __init__(self, outputs: StackOutputs) -> None:
        self._where = outputs.idp_endpoint or f"Cognito in {outputs.region}"
        self._local = outputs.is_local

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, _: object) -> None:
        if isinstance(error, ClientError):
            code = error.response.get("Error", {}).get("Code", "Error")
            message = error.response.get("Error", {}).get("Message", "")
            raise SignInRefused(f"{code}: {message}") from error
        if isinstance(error, BotoCoreError):
            hint = " Is `orders-api serve` running?" if self._local else ""
            raise NotReachable(f"cannot reach the identity provider at {self._where}.{hint}") from (
                error
            )


def _has_aws_credentials() -> bool:
    return boto3.session.Session().get_credentials() is not None


def _session(username: str, result: Mapping[str, Any], refresh_token: str | None) -> Session:
    id_token = str(result["IdToken"])
    expiry = token_expiry(id_token) or time.time() + float(result.get("ExpiresIn", 3600))
    return Session(
        username=username,
        id_token=id_token,
        access_token=str(result["AccessToken"]),
        refresh_token=refresh_token,
        expires_at=expiry,
    )


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: Any
    headers: Mapping[str, str]


class OrdersClient:
    """The API's operations, authenticated with the cached session (refreshed if needed)."""

    def __init__(
        self,
        outputs: StackOutputs,
        store: SessionStore | None = None,
        identity: IdentityClient | None = None,
        timeout_seconds: float = 15.0,
    ) -> None:
        self._outputs = outputs
        self._store = store or SessionStore(outputs)
        self._identity = identity
        self._timeout = timeout_seconds
        handlers = [urllib.request.ProxyHandler({})] if outputs.is_local else []
        self._opener = urllib.request.build_opener(*handlers)

    def place(
        self,
        items: list[tuple[str, int]],
        *,
        note: str | None = None,
        idempotency_key: str | None = None,
    ) -> ApiResponse:
        body: dict[str, Any] = {"items": [{"sku": sku, "quantity": q} for sku, q in items]}
        if note is not None:
            body["note"] = note
        headers = {"Content-Type": "application/json"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return self._call("POST", "orders", json.dumps(body).encode(), headers)

    def get(self, order_id: str) -> ApiResponse:
        return self._call("GET", f"orders/{urllib.parse.quote(order_id, safe='')}", None, {})

    def list(self, limit: int | None = None, next_token: str | None = None) -> ApiResponse:
        """One page of the caller's orders, newest first (`nextToken` in the body: more)."""
        query = {
            key: value
            for key, value in (("limit", limit), ("nextToken", next_token))
            if value is not None
        }
        path = "orders" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        return self._call("GET", path, None, {})

    def _call(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> ApiResponse:
        session = self.session()
        response = self._send(method, path, body, {**headers, "Authorization": session.id_token})
        if response.status == 401 and session.refresh_token:  # expired or revoked: renew once
            session = self._refreshed(session)
            response = self._send(
                method, path, body, {**headers, "Authorization": session.id_token}
            )
        if response.status >= 400:
            raise ApiError(response.status, response.body, response.headers)
        return response

    def session(self) -> Session:
        """The cached session, renewed first if its ID token is about to expire; NotLoggedIn
        when there is none."""
        session = self._store.load()
        if session is None:
            raise NotLoggedIn("not logged in: run `orders-api login EMAIL` first")
        if session.expired():
            session = self._refreshed(session)
        return session

    def _refreshed(self, session: Session) -> Session:
        identity = self._identity or IdentityClient(self._outputs)
        renewed = identity.refresh(session)
        self._store.save(renewed)
        return renewed

    def _send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> ApiResponse:
        url = self._outputs.api_url + path
        if not url.startswith(("http://", "https://")):
            raise ClientProblem(f"the ApiUrl is not an HTTP URL: {self._outputs.api_url}")
        request = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310 - scheme checked above
        try:
            with self._opener.open(request, timeout=self._timeout) as answer:
                return ApiResponse(answer.status, _decoded(answer.read()), dict(answer.headers))
        except urllib.error.HTTPError as error:
            return ApiResponse(error.code, _decoded(error.read()), dict(error.headers))
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            hint = " Is `orders-api serve` running?" if self._outputs.is_local else ""
            raise NotReachable(f"cannot reach the API at {self._outputs.api_url}.{hint}") from exc


def _decoded(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")

"""What the Lambda runtime hands a function besides the event: the context object."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from orders_api.deployment.settings import FunctionSettings

LambdaHandler = Callable[[dict[str, Any], Any], Any]
"""`lambda_handler(event, context)`: what API Gateway's proxy integration invokes."""
AsyncLambdaHandler = Callable[[dict[str, Any], Any], Awaitable[Any]]
"""The same, awaited on the event loop (the twin's execution environments' `invoke`)."""


@dataclass(frozen=True, slots=True)
class LocalLambdaContext:
    """The attributes of Lambda's context object that Powertools and handlers read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline_monotonic: float
    function_version: str = "$LATEST"
    identity: None = None
    client_context: None = None
    tenant_id: str | None = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline_monotonic - time.monotonic()) * 1000))


@dataclass(frozen=True, slots=True)
class FunctionIdentity:
    """One deployed function, as the runtime describes it in every context."""

    name: str
    region: str
    account_id: str
    settings: FunctionSettings = field(default_factory=FunctionSettings)

    def new_context(self) -> LocalLambdaContext:
        return LocalLambdaContext(
            function_name=self.name,
            invoked_function_arn=(
                f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.name}"
            ),
            memory_limit_in_mb=self.settings.memory_mb,
            aws_request_id=str(uuid.uuid4()),
            log_group_name=f"/aws/lambda/{self.name}",
            log_stream_name=f"{time.strftime('%Y/%m/%d')}/[$LATEST]local",
            deadline_monotonic=time.monotonic() + self.settings.timeout_seconds,
        )

"""Figures that shape the deployed stack, its cost caps and the local twin.

Each is read, never copied: infra/ builds the stack from them, the twin enforces them and the
cost model prices them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STACK_NAME = "OrdersApi"
DEFAULT_REGION = "us-east-1"
STAGE_NAME = "prod"


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    min_length: int = 12
    require_lowercase: bool = True
    require_uppercase: bool = True
    require_digits: bool = True
    require_symbols: bool = True
    temporary_password_validity_days: int = 7


@dataclass(frozen=True, slots=True)
class TokenLifetimes:
    id_token_minutes: int = 60
    access_token_minutes: int = 60
    refresh_token_days: int = 30


@dataclass(frozen=True, slots=True)
class AuthSettings:
    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    token_lifetimes: TokenLifetimes = field(default_factory=TokenLifetimes)
    authorizer_cache_seconds: int = 300
    """API Gateway caches a Cognito authorizer's result per token for this long (its default)."""
    feature_plan: str = "LITE"
    """Cognito feature plan: Lite has everything this API uses at the lowest price per MAU."""
    mfa: str = "OPTIONAL"
    """TOTP MFA, optional for users."""


@dataclass(frozen=True, slots=True)
class FunctionSettings:
    memory_mb: int = 256
    timeout_seconds: int = 10
    architecture: str = "arm64"
    runtime: str = "python3.14"
    reserved_concurrency: int = 10
    """A cost cap: at most this many concurrent executions per function."""


@dataclass(frozen=True, slots=True)
class ApiSettings:
    throttle_rate_limit: float = 50.0
    """Steady-state requests per second for the stage; excess gets 429 and is not billed."""
    throttle_burst_limit: int = 100
    max_body_bytes: int = 10 * 1024 * 1024
    """API Gateway's payload limit (10 MB)."""


@dataclass(frozen=True, slots=True)
class StorageSettings:
    max_write_request_units: int = 100
    """On-demand maximum write throughput per second: a cost cap on DynamoDB writes."""
    point_in_time_recovery: bool = True


@dataclass(frozen=True, slots=True)
class ObservabilitySettings:
    log_retention_days: int = 30
    tracing: bool = False
    """X-Ray tracing is off: it costs per trace and the logs already carry correlation ids."""
    monthly_budget_usd: int = 20
    alarm_email: str | None = None


@dataclass(frozen=True, slots=True)
class DeploymentSettings:
    stack_name: str = STACK_NAME
    region: str = DEFAULT_REGION
    stage: str = STAGE_NAME
    auth: AuthSettings = field(default_factory=AuthSettings)
    function: FunctionSettings = field(default_factory=FunctionSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    observability: ObservabilitySettings = field(default_factory=ObservabilitySettings)


DEFAULT_SETTINGS = DeploymentSettings()

# The keys both the deployed stack and the local twin write to their outputs.
OUTPUT_KEYS = (
    "ApiUrl",
    "UserPoolId",
    "UserPoolClientId",
    "Region",
    "TableName",
    "WebAclArn",
    "OperatorsGroupName",
    "FulfilFunctionName",
    "EventBusName",
)

"""What the identity provider remembers: users and sign-in sessions."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

UserStatus = Literal["UNCONFIRMED", "CONFIRMED", "FORCE_CHANGE_PASSWORD"]


def username_key(username: str) -> str:
    """Usernames match case-insensitively, as in a pool created with CaseSensitive=false:
    `username`, `USERNAME` and `UserName` are one user (UsernameConfigurationType, Cognito API
    reference). Lower-casing, not full case folding, which would also make `straße` and
    `strasse` one account; Cognito documents no such folding."""
    return username.lower()


@dataclass(slots=True)
class User:
    username: str
    sub: str
    status: UserStatus
    attributes: dict[str, str]
    """Standard and custom attributes but `sub`, values as Cognito holds them (strings)."""
    created_at: float
    modified_at: float
    password_hash: str | None = None
    enabled: bool = True
    confirmation_code_hash: str | None = None
    confirmation_code_expires_at: float | None = None
    failed_sign_ins: int = 0
    locked_until: float = 0.0
    extras: dict[str, Any] = field(default_factory=dict)
    """Room for what other flows need to keep (an SRP verifier and salt, for instance)."""

    @property
    def key(self) -> str:
        return username_key(self.username)

    def to_record(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> User:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{name: value for name, value in record.items() if name in known})

    def all_attributes(self) -> dict[str, str]:
        """`sub` first, then the rest, as GetUser lists them."""
        return {"sub": self.sub, **self.attributes}


@dataclass(frozen=True, slots=True)
class SignInSession:
    """One successful sign-in: its refresh token (by hash) and the id shared by its tokens."""

    origin_jti: str
    username_key: str
    refresh_token_hash: str
    auth_time: int
    expires_at: float
    revoked: bool = False

"""Passwords: the pool's policy, and argon2id hashes (memory-hard) of the ones it accepts."""

from __future__ import annotations

import os
import re
import secrets
import string
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from orders_api.deployment.settings import PasswordPolicy
from orders_api.twin.cognito.errors import InvalidParameter, InvalidPassword, TooManyRequests

SYMBOLS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- "
"""The characters Cognito counts as symbols."""

_NONCONFORMING = "Password did not conform with policy: "


MAX_PASSWORD_LENGTH = 256
"""Cognito's quota: "Maximum characters in password: 256" (Quotas in Amazon Cognito)."""
PASSWORD_PATTERN = re.compile(r"[\S]+(.*[\S]+)?", re.DOTALL)
"""No leading or trailing white space: only "a non-leading, non-trailing space character" counts
as a special character (Cognito's password policy)."""


def check_shape(password: str, member: str = "password") -> None:
    """Raise InvalidParameter, in Cognito's validation wording, for a password no policy can
    accept: too long for the service, or starting or ending with white space."""
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidParameter(
            f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_PASSWORD_LENGTH}"
        )
    if not PASSWORD_PATTERN.fullmatch(password):
        raise InvalidParameter(
            f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [\\S]+(.*[\\S]+)?"
        )


def check_policy(password: str, policy: PasswordPolicy) -> None:
    """Raise InvalidParameter for a password of the wrong shape (see `check_shape`), then
    InvalidPassword with Cognito's message for the first rule of the policy it breaks."""
    check_shape(password)
    if len(password) < policy.min_length:
        raise InvalidPassword(_NONCONFORMING + "Password not long enough")
    rules = (
        (
            policy.require_lowercase,
            string.ascii_lowercase.__contains__,
            "Password must have lowercase characters",
        ),
        (
            policy.require_uppercase,
            string.ascii_uppercase.__contains__,
            "Password must have uppercase characters",
        ),
        (
            policy.require_digits,
            string.digits.__contains__,
            "Password must have numeric characters",
        ),
        (policy.require_symbols, SYMBOLS.__contains__, "Password must have symbol characters"),
    )
    for required, is_kind, message in rules:
        if required and not any(is_kind(character) for character in password):
            raise InvalidPassword(_NONCONFORMING + message)


def generate_password(policy: PasswordPolicy) -> str:
    """A random password that meets the policy (for AdminCreateUser without TemporaryPassword)."""
    alphabet = string.ascii_letters + string.digits + "!#%&*+-=?@^_"
    length = max(policy.min_length, 16)
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        try:
            check_policy(candidate, policy)
        except InvalidPassword:
            continue
        return candidate


DEFAULT_WAITING = 16
"""Hashes that may wait for a free slot; past them a request is turned away at once."""


class PasswordHashes:
    """argon2id with argon2-cffi's defaults (RFC 9106's low-memory profile: 64 MiB a hash).

    At most `concurrent` hashes run at once (one per core by default) and at most `waiting`
    more wait for a slot; any further one raises TooManyRequests at once, so a flood of
    sign-ins costs at most `concurrent` x 64 MiB and is answered quickly, as Cognito answers a
    request rate over its quotas with TooManyRequestsException.
    """

    def __init__(
        self,
        hasher: PasswordHasher | None = None,
        *,
        concurrent: int | None = None,
        waiting: int = DEFAULT_WAITING,
    ) -> None:
        self._hasher = hasher or PasswordHasher()
        running = concurrent or max(1, os.cpu_count() or 1)
        self._slots = threading.BoundedSemaphore(running)
        self._admissions = threading.BoundedSemaphore(running + waiting)
        # Checked against when the user does not exist, so that an unknown username costs the
        # same time as a wrong password and timing does not reveal which accounts exist.
        self._decoy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        with self._admitted():
            return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        with self._admitted():
            try:
                return self._hasher.verify(stored_hash or self._decoy, password) and bool(
                    stored_hash
                )
            except (VerificationError, InvalidHashError):
                return False

    @contextmanager
    def _admitted(self) -> Iterator[None]:
        if not self._admissions.acquire(blocking=False):
            raise TooManyRequests("Too many requests")
        try:
            with self._slots:
                yield
        finally:
            self._admissions.release()

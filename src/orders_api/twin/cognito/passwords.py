"""Passwords: the pool's policy, and argon2id hashes (memory-hard) of the ones it accepts."""

from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from orders_api.deployment.settings import PasswordPolicy
from orders_api.twin.cognito.errors import InvalidPassword

SYMBOLS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- "
"""The characters Cognito counts as symbols."""

_NONCONFORMING = "Password did not conform with policy: "


def check_policy(password: str, policy: PasswordPolicy) -> None:
    """Raise InvalidPassword, with Cognito's message for the first rule the password breaks."""
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


class PasswordHashes:
    """argon2id with argon2-cffi's defaults (RFC 9106's low-memory profile)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        # Checked against when the user does not exist, so that an unknown username costs the
        # same time as a wrong password and timing does not reveal which accounts exist.
        self._decoy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash or self._decoy, password) and bool(stored_hash)
        except (VerificationError, InvalidHashError):
            return False

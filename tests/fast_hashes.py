"""Cheap argon2 parameters for tests about the identity provider's rules, not the hash's cost."""

from __future__ import annotations

from argon2 import PasswordHasher

from orders_api.twin.cognito.passwords import PasswordHashes

FAST_HASHES = PasswordHashes(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))

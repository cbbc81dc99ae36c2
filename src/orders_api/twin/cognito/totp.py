"""Time-based one-time passwords (RFC 6238) for the software-token MFA the pool offers.

Cognito's TOTP is the authenticator-app kind: a base32 secret (AssociateSoftwareToken's
SecretCode), HMAC-SHA1, 30-second steps, six digits ("TOTP software token MFA", Cognito developer
guide). One step either side is accepted, for the clock of the user's phone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct

STEP_SECONDS = 30
DIGITS = 6
SECRET_BYTES = 32
"""A 256-bit secret: 52 base32 characters once padding is stripped, as Cognito's SecretCode."""
ALLOWED_DRIFT_STEPS = 1


def new_secret() -> str:
    """A fresh secret in base32, without padding, as authenticator apps take it."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def code_at(secret: str, moment: float) -> str:
    """The code for `secret` at Unix time `moment` (RFC 6238 with RFC 4226's truncation)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = struct.pack(">Q", int(moment // STEP_SECONDS))
    digest = hmac.digest(key, counter, hashlib.sha1)
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**DIGITS:0{DIGITS}d}"


def matching_step(secret: str, code: str, moment: float) -> int | None:
    """The time step whose code `code` is, within the allowed drift of `moment`; None if none."""
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    step = int(moment // STEP_SECONDS)
    for candidate in range(step - ALLOWED_DRIFT_STEPS, step + ALLOWED_DRIFT_STEPS + 1):
        if hmac.compare_digest(code_at(secret, candidate * STEP_SECONDS), code):
            return candidate
    return None

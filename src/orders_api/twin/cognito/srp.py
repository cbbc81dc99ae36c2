"""Cognito's Secure Remote Password flow (SRP-6a), server side, as the client libraries speak it.

Amazon Cognito's ``USER_SRP_AUTH`` signs a user in without the password crossing the wire. Every
parameter is fixed by the client libraries (amazon-cognito-identity-js and Amplify, pycognito, the
AWS mobile SDKs), so this module mirrors them exactly and those clients work unchanged:

- the group is the 3072-bit MODP prime of RFC 3526, generator g = 2, hash SHA-256;
- integers are hashed in their minimal two's-complement big-endian form (Java's
  ``BigInteger.toByteArray()``; the libraries' ``padHex``), written ``pad(n)`` below;
- k = H(pad(N) | pad(g)) and u = H(pad(A) | pad(B));
- x = H(pad(salt) | H(poolName | userIdForSrp | ":" | password)), poolName being the part of the
  user pool id after "_"; the verifier is v = g^x mod N;
- the server picks b and sends B = (k*v + g^b) mod N; it computes S = (A * v^u)^b mod N and
  K = HKDF-SHA256(ikm=pad(S), salt=pad(u), info="Caldera Derived Key"), 16 bytes;
- the client proves K with base64(HMAC-SHA256(K, poolName | userIdForSrp | secretBlock |
  timestamp)), secretBlock being the base64-decoded SECRET_BLOCK and timestamp UTC in the form
  "Tue Mar 5 09:04:01 UTC 2024" (English names, day of month without a leading zero).

How the identity provider uses it::

    # Whenever a password is set (sign-up, admin set, temporary password, reset):
    salt_hex, verifier_hex = make_verifier(pool_id, user_id_for_srp, password)
    # store both beside the password hash; the password itself is never stored

    challenges = SrpChallenges(pool_id)  # one per user pool, held by the identity provider

    # InitiateAuth / AdminInitiateAuth with AuthFlow USER_SRP_AUTH:
    parameters = challenges.start(user_id_for_srp, salt_hex, verifier_hex, auth_parameters["SRP_A"])
    # -> ChallengeName "PASSWORD_VERIFIER", ChallengeParameters {**parameters, "USERNAME": ...};
    #    MalformedSrpValue -> InvalidParameterException

    # RespondToAuthChallenge with ChallengeName PASSWORD_VERIFIER, the user found from USERNAME:
    if not challenges.verify(
        user.user_id_for_srp,
        responses["PASSWORD_CLAIM_SECRET_BLOCK"],
        responses["TIMESTAMP"],
        responses["PASSWORD_CLAIM_SIGNATURE"],
    ):
        ...  # NotAuthorizedException "Incorrect username or password."

``user_id_for_srp`` is the user's immutable internal username, the value sent as
``USER_ID_FOR_SRP``; the verifier is bound to it and to the pool, so it must be the same value at
``make_verifier`` and at ``start``. SRP_A arrives with InitiateAuth only, so ``start`` takes it and
the pending challenge keeps it, as Cognito seals it into its secret block.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import NamedTuple

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SRP_PRIME = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)
"""N: the 3072-bit MODP group of RFC 3526 section 4, the one every Cognito client uses."""
SRP_GENERATOR = 2
"""g."""

DEFAULT_CHALLENGE_TTL = timedelta(minutes=5)
DEFAULT_MAX_CLOCK_SKEW = timedelta(minutes=5)
DEFAULT_CAPACITY = 10_000

_HKDF_INFO = b"Caldera Derived Key"
_HKDF_LENGTH = 16
_SALT_BYTES = 16
# 256 random bits give the 128-bit security level of the 3072-bit group (RFC 3526 section 8).
_EPHEMERAL_BITS = 256
_SECRET_BLOCK_BYTES = 64
_EPHEMERAL_ATTEMPTS = 8
# N takes 768 hex digits; anything much longer is not an SRP value, only work for the server.
_MAX_HEX_DIGITS = 1024
_HEX = re.compile(rf"[0-9a-fA-F]{{1,{_MAX_HEX_DIGITS}}}")

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TIMESTAMP = re.compile(
    rf"(?:{'|'.join(_WEEKDAYS)}) (?P<month>{'|'.join(_MONTHS)}) (?P<day>[1-9][0-9]?) "
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2}) UTC (?P<year>[0-9]{4})"
)


class MalformedSrpValue(ValueError):
    """SRP_A, a salt or a verifier that is not a usable SRP value (not hex, too long, or 0 mod N).

    The identity provider answers it as InvalidParameterException.
    """


class SrpVerifier(NamedTuple):
    """What the identity provider stores for a password: hex strings, never the password."""

    salt_hex: str
    verifier_hex: str


def _padded(value: int) -> bytes:
    """The minimal two's-complement big-endian bytes of a non-negative integer (``padHex``)."""
    return value.to_bytes(value.bit_length() // 8 + 1, "big")


def _hash_int(*parts: bytes) -> int:
    return int.from_bytes(hashlib.sha256(b"".join(parts)).digest(), "big")


_MULTIPLIER_K = _hash_int(_padded(SRP_PRIME), _padded(SRP_GENERATOR))


def _pool_name(pool_id: str) -> str:
    """The part of a user pool id ("us-east-1_AbC123") after the region, as the clients split it."""
    parts = pool_id.split("_")
    if len(parts) < 2 or not parts[1]:
        raise ValueError("a user pool id has the form <region>_<name>")
    return parts[1]


def _parse_hex(text: str, what: str) -> int:
    if not _HEX.fullmatch(text):
        raise MalformedSrpValue(f"{what} is not a hexadecimal SRP value")
    return int(text, 16)


def _private_key_x(pool_name: str, user_id_for_srp: str, password: str, salt: int) -> int:
    identity_hash = hashlib.sha256(f"{pool_name}{user_id_for_srp}:{password}".encode()).digest()
    return _hash_int(_padded(salt), identity_hash)


def make_verifier(
    pool_id: str, user_id_for_srp: str, password: str, *, salt: bytes | None = None
) -> SrpVerifier:
    """The salt and verifier v = g^x mod N for a password, as lowercase hex.

    The salt is 16 fresh random bytes unless given. It is returned in its canonical hex form (no
    leading zeros) because clients disagree on leading zeros: pycognito hashes SALT as sent,
    amazon-cognito-identity-js parses it to an integer first. Text that is not valid Unicode (a
    lone surrogate) raises UnicodeEncodeError, a ValueError.
    """
    salt_value = int.from_bytes(secrets.token_bytes(_SALT_BYTES) if salt is None else salt, "big")
    x = _private_key_x(_pool_name(pool_id), user_id_for_srp, password, salt_value)
    verifier = pow(SRP_GENERATOR, x, SRP_PRIME)
    return SrpVerifier(salt_hex=f"{salt_value:x}", verifier_hex=f"{verifier:x}")


def format_timestamp(moment: datetime) -> str:
    """A moment as the clients write TIMESTAMP: "Tue Mar 5 09:04:01 UTC 2024", in UTC."""
    utc = moment.astimezone(UTC)
    return (
        f"{_WEEKDAYS[utc.weekday()]} {_MONTHS[utc.month - 1]} {utc.day} "
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d} UTC {utc.year}"
    )


def parse_timestamp(text: str) -> datetime | None:
    """The UTC moment of a client TIMESTAMP, or None unless it is exactly in the clients' form.

    Locale-independent (no strptime); a wrong weekday or a zero-padded day is refused, as the
    formatted value must read back identically.
    """
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    try:
        moment = datetime(
            int(match["year"]),
            _MONTHS.index(match["month"]) + 1,
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"]),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    return moment if format_timestamp(moment) == text else None


@dataclass(frozen=True, slots=True)
class _PendingChallenge:
    user_id_for_srp: str
    verifier: int
    client_public_a: int
    server_secret_b: int
    server_public_b: int
    secret_block: bytes
    issued_at: datetime


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ChallengesFull(Exception):
    """``capacity`` challenges are pending and unexpired: no new one opens until some are
    answered or expire (pending ones are never evicted, so a flood of starts cannot spend a
    real user's challenge)."""


class Verdict(Enum):
    PROVED = "proved"
    WRONG = "wrong"
    """The challenge was pending and the claim does not prove the password: a failed attempt."""
    NOT_PENDING = "not pending"
    """No such challenge, or it expired: nothing was attempted."""


class SrpChallenges:
    """The pending PASSWORD_VERIFIER challenges of one user pool, keyed by their secret block.

    A secret block answers at most one verify (a failed one spends it too) and expires ``ttl``
    after it was issued. A TIMESTAMP further than ``max_clock_skew`` from now is refused. At most
    ``capacity`` challenges are kept; past it `start` raises ChallengesFull. Thread-safe.
    """

    def __init__(
        self,
        pool_id: str,
        *,
        clock: Callable[[], datetime] = _utc_now,
        ttl: timedelta = DEFAULT_CHALLENGE_TTL,
        max_clock_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
        capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        """``clock`` returns the current time as a timezone-aware datetime."""
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._pool_name = _pool_name(pool_id)
        self._clock = clock
        self._ttl = ttl
        self._max_clock_skew = max_clock_skew
        self._capacity = capacity
        self._pending: dict[str, _PendingChallenge] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many challenges are pending (expired ones not yet swept included)."""
        with self._lock:
            return len(self._pending)

    def start(
        self, user_id_for_srp: str, salt_hex: str, verifier_hex: str, srp_a: str
    ) -> dict[str, str]:
        """Open a challenge for the client's SRP_A.

        Returns the ChallengeParameters SRP_B, SALT, SECRET_BLOCK and USER_ID_FOR_SRP (the identity
        provider adds USERNAME).

        Raises MalformedSrpValue when SRP_A is not hex or is 0 mod N (the SRP-6a safeguard), or when
        the stored salt or verifier is unusable.
        """
        client_public_a = _parse_hex(srp_a, "SRP_A")
        if client_public_a % SRP_PRIME == 0:
            raise MalformedSrpValue("SRP_A is 0 mod N")
        salt = _parse_hex(salt_hex, "the salt")
        verifier = _parse_hex(verifier_hex, "the verifier")
        if not 0 < verifier < SRP_PRIME:
            raise MalformedSrpValue("the verifier is outside the group")
        server_secret_b, server_public_b = self._ephemeral(verifier)
        secret_block = secrets.token_bytes(_SECRET_BLOCK_BYTES)
        secret_block_b64 = base64.b64encode(secret_block).decode("ascii")
        challenge = _PendingChallenge(
            user_id_for_srp=user_id_for_srp,
            verifier=verifier,
            client_public_a=client_public_a,
            server_secret_b=server_secret_b,
            server_public_b=server_public_b,
            secret_block=secret_block,
            issued_at=self._clock(),
        )
        with self._lock:
            self._sweep(challenge.issued_at)
            if len(self._pending) >= self._capacity:
                raise ChallengesFull(f"{self._capacity} sign-ins are waiting for their answer")
            self._pending[secret_block_b64] = challenge
        return {
            "SRP_B": f"{server_public_b:x}",
            "SALT": f"{salt:x}",
            "SECRET_BLOCK": secret_block_b64,
            "USER_ID_FOR_SRP": user_id_for_srp,
        }

    def verify(
        self, user_id_for_srp: str, secret_block: str, timestamp: str, claim_signature: str
    ) -> bool:
        """Whether the client proved the password for the challenge ``secret_block`` opened
        (see `judge`)."""
        verdict = self.judge(user_id_for_srp, secret_block, timestamp, claim_signature)
        return verdict is Verdict.PROVED

    def judge(
        self, user_id_for_srp: str, secret_block: str, timestamp: str, claim_signature: str
    ) -> Verdict:
        """PROVED only when the block is pending, unexpired and was opened for
        ``user_id_for_srp``, the TIMESTAMP is in the clients' form and within the allowed skew,
        and PASSWORD_CLAIM_SIGNATURE matches (compared in constant time); NOT_PENDING for a
        block that is unknown or expired; WRONG otherwise. The block is spent whatever the
        outcome."""
        with self._lock:
            challenge = self._pending.pop(secret_block, None)
        if challenge is None:
            return Verdict.NOT_PENDING
        now = self._clock()
        if now >= challenge.issued_at + self._ttl:
            return Verdict.NOT_PENDING
        if user_id_for_srp != challenge.user_id_for_srp:
            return Verdict.WRONG
        signed_at = parse_timestamp(timestamp)
        if signed_at is None or abs(now - signed_at) > self._max_clock_skew:
            return Verdict.WRONG
        expected = base64.b64encode(self._expected_signature(challenge, timestamp)).decode("ascii")
        proved = claim_signature.isascii() and hmac.compare_digest(expected, claim_signature)
        return Verdict.PROVED if proved else Verdict.WRONG

    def _ephemeral(self, verifier: int) -> tuple[int, int]:
        for _ in range(_EPHEMERAL_ATTEMPTS):
            secret_b = secrets.randbits(_EPHEMERAL_BITS)
            public_b = (
                _MULTIPLIER_K * verifier + pow(SRP_GENERATOR, secret_b, SRP_PRIME)
            ) % SRP_PRIME
            if secret_b and public_b:
                return secret_b, public_b
        raise RuntimeError("no usable SRP ephemeral key: the random source is broken")

    def _expected_signature(self, challenge: _PendingChallenge, timestamp: str) -> bytes:
        a = challenge.client_public_a
        u = _hash_int(_padded(a), _padded(challenge.server_public_b))
        shared_s = pow(
            a * pow(challenge.verifier, u, SRP_PRIME), challenge.server_secret_b, SRP_PRIME
        )
        key = HKDF(
            algorithm=hashes.SHA256(), length=_HKDF_LENGTH, salt=_padded(u), info=_HKDF_INFO
        ).derive(_padded(shared_s))
        message = b"".join(
            (
                self._pool_name.encode("utf-8"),
                challenge.user_id_for_srp.encode("utf-8"),
                challenge.secret_block,
                timestamp.encode("utf-8"),
            )
        )
        return hmac.digest(key, message, "sha256")

    def _sweep(self, now: datetime) -> None:
        """Drop expired challenges (the oldest come first); the caller holds the lock."""
        for block, pending in list(self._pending.items()):
            if now < pending.issued_at + self._ttl:
                break
            del self._pending[block]

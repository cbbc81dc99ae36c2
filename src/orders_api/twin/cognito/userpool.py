"""The user pool and its one app client: sign-up, confirmation, sign-in, tokens, sign-out.

Operations take and return plain values; the actions module maps Cognito's JSON onto them.
User existence errors are prevented for the client-facing operations, as on the deployed app
client: an unknown username and a wrong password get the same answer, after the same work.

The pool signs in by e-mail (UsernameAttributes email), so, as Cognito does, the twin gives each
new user a generated username, the UUID that is also their `sub`: `cognito:username` and
`username` in tokens, `Username` in admin answers and USER_ID_FOR_SRP carry it. Every USERNAME or
Username parameter takes either the e-mail or that username ("Customizing sign-in attributes",
Cognito developer guide; AdminCreateUser's Username: "If your user pool only supports phone
numbers or email addresses as sign-in attributes, Amazon Cognito automatically generates a
username value"). Users stored before this keep their e-mail as username and still sign in.

Whenever a password is set, its argon2id hash and its SRP verifier and salt are stored (the
verifier in `User.extras`), never the password. Records written before SRP existed have no
verifier: those users still sign in with USER_PASSWORD_AUTH, and SRP refuses them like a wrong
password until their password is set again.

A user's record is read, changed and written back whole, so the operations that change one run
one at a time per user (`_serialized_per_user`): otherwise a wrong password being checked could
write back the password it read after a reset replaced it, and parallel guesses would each
count one failure among them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeVar

import orders_api.twin.cognito.totp as totp
from orders_api.deployment.settings import AuthSettings
from orders_api.twin.cognito.attributes import (
    check_email,
    check_username,
    masked_destination,
    user_attributes,
)
from orders_api.twin.cognito.errors import (
    INCORRECT_CREDENTIALS,
    AliasExists,
    CodeMismatch,
    EnableSoftwareTokenMFA,
    ExpiredCode,
    InvalidParameter,
    LimitExceeded,
    NotAuthorized,
    ResourceNotFound,
    SoftwareTokenMFANotFound,
    TooManyRequests,
    UsernameExists,
    UserNotConfirmed,
    UserNotFound,
)
from orders_api.twin.cognito.keys import SigningKey
from orders_api.twin.cognito.passwords import PasswordHashes, check_policy, generate_password
from orders_api.twin.cognito.records import SignInSession, User, username_key
from orders_api.twin.cognito.srp import (
    ChallengesFull,
    MalformedSrpValue,
    SrpChallenges,
    Verdict,
    make_verifier,
)
from orders_api.twin.cognito.store import IdentityStore
from orders_api.twin.cognito.tokens import (
    IssuedTokens,
    TokenIssuer,
    new_refresh_token,
    refresh_token_hash,
)

CONFIRMATION_CODE_SECONDS = 24 * 3600
"""Cognito's sign-up confirmation codes are valid for 24 hours."""
RESET_CODE_SECONDS = 3600
"""A ForgotPassword code is valid for one hour."""
CHALLENGE_SESSION_SECONDS = 180
"""An auth challenge's Session is valid for three minutes (the app client's default)."""
MAX_CODE_ATTEMPTS = 5
RESET_ATTEMPTS_PER_HOUR = 5
"""ForgotPassword and ConfirmForgotPassword calls one user may make in an hour, together:
"In a given hour, we allow between 5 and 20 attempts for a user to request or enter a password
reset code" (Cognito developer guide, "Recovering user accounts"); the twin allows the least."""
LOCKOUT_AFTER_FAILURES = 5
MAX_LOCKOUT_SECONDS = 900
"""After five wrong passwords Cognito locks sign-in, doubling from 1 s up to about 15 min."""

_CODE_MISMATCH = "Invalid verification code provided, please try again."
_CODE_EXPIRED = "Invalid code provided, please request a code again."
_NO_SUCH_USER = "User does not exist."
_INVALID_SESSION = "Invalid session for the user, session is expired."

SRP_SALT = "srp_salt"
SRP_VERIFIER = "srp_verifier"
"""`User.extras` keys of the password's SRP salt and verifier (hex)."""
_RESET_CODE_HASH = "reset_code_hash"
_RESET_CODE_EXPIRES_AT = "reset_code_expires_at"
_RESET_CODE_FAILURES = "reset_code_failures"
_RESET_ATTEMPTS = "reset_attempts"
_ATTEMPT_LIMIT_EXCEEDED = "Attempt limit exceeded, please try after some time."
_DECOY_SALT_KEY_SETTING = "srp_decoy_salt_key"
_EMAIL_CODE_HASH = "email_code_hash"
_EMAIL_CODE_EXPIRES_AT = "email_code_expires_at"
_EMAIL_CODE_FAILURES = "email_code_failures"
_TOTP_PENDING_SECRET = "totp_pending_secret"  # noqa: S105 (a record key, not a secret)
_TOTP_SECRET = "totp_secret"  # noqa: S105 (a record key, not a secret)
_TOTP_LAST_STEP = "totp_last_step"
_TOTP_ENABLED = "totp_enabled"
_TOTP_PREFERRED = "totp_preferred"
_TOTP_ATTEMPTS = 3
_VERIFIED_FLAGS = frozenset({"email_verified", "phone_number_verified"})
_SALT_BYTES = 16
_USER_LOCK_STRIPES = 64

_P = ParamSpec("_P")
_R = TypeVar("_R")


@dataclass(frozen=True, slots=True)
class SignUpResult:
    user: User
    destination: str
    """Where the code went, masked (CodeDeliveryDetails.Destination)."""


@dataclass(frozen=True, slots=True)
class ChallengeSession:
    """An auth flow waiting for the client's answer to a challenge (RespondToAuthChallenge)."""

    username: str
    challenge_name: str
    expires_at: float
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class SignIn:
    tokens: IssuedTokens
    refresh_token: str


def _code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _serialized_per_user(
    method: Callable[Concatenate[UserPool, str, _P], _R],
) -> Callable[Concatenate[UserPool, str, _P], _R]:
    """Run a method whose first argument is a username while holding that user's lock."""

    @wraps(method)
    def serialized(pool: UserPool, username: str, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        # The e-mail and the generated username of one user take the same lock.
        with pool._user_lock(username):
            return method(pool, username, *args, **kwargs)

    return serialized


class UserPool:
    def __init__(
        self,
        store: IdentityStore,
        signing_key: SigningKey,
        *,
        user_pool_id: str,
        client_id: str,
        issuer: str,
        settings: AuthSettings,
        log: Callable[[str], None],
        clock: Callable[[], float] = time.time,
        hashes: PasswordHashes | None = None,
    ) -> None:
        self.store = store
        self.signing_key = signing_key
        self.user_pool_id = user_pool_id
        self.client_id = client_id
        self.issuer = issuer
        self.settings = settings
        self.log = log
        self.clock = clock
        self.hashes = hashes or PasswordHashes()
        self.tokens = TokenIssuer(
            signing_key,
            issuer=issuer,
            client_id=client_id,
            lifetimes=settings.token_lifetimes,
            clock=clock,
        )
        self._challenges: dict[str, ChallengeSession] = {}
        self._challenges_lock = threading.Lock()
        # Striped rather than one lock per user, so that unknown usernames leave nothing behind.
        self._user_locks = tuple(threading.Lock() for _ in range(_USER_LOCK_STRIPES))
        self.srp = SrpChallenges(
            user_pool_id, clock=lambda: datetime.fromtimestamp(self.clock(), UTC)
        )
        # A user who cannot answer SRP (unknown, or no verifier yet) gets a decoy challenge: its
        # salt is stable per username across restarts, as a real user's is, and its verifier
        # matches no password, so the decoy costs and looks the same as a real challenge.
        self._decoy_salt_key = bytes.fromhex(
            store.setting(_DECOY_SALT_KEY_SETTING, secrets.token_hex(32))
        )
        self._decoy_verifier = make_verifier(
            user_pool_id, "decoy", secrets.token_urlsafe(32)
        ).verifier_hex

    @contextmanager
    def _user_lock(self, name: str) -> Iterator[None]:
        """Held while one user's record is read, changed and written back; never nested. `name`
        is the user's username or e-mail: both take the lock of the username."""
        stored = self.store.user(name)
        key = stored.key if stored is not None else username_key(name)
        with self._user_locks[hash(key) % _USER_LOCK_STRIPES]:
            yield

    # Who may call

    def check_client(self, client_id: str) -> None:
        if client_id != self.client_id:
            raise ResourceNotFound(f"User pool client {client_id} does not exist.")

    def check_pool(self, user_pool_id: str) -> None:
        if user_pool_id != self.user_pool_id:
            raise ResourceNotFound(f"User pool {user_pool_id} does not exist.")

    # Sign-up and confirmation

    def sign_up(self, username: str, password: str, attributes: dict[str, str]) -> SignUpResult:
        check_username(username)
        initial = user_attributes(username, attributes)
        check_policy(password, self.settings.password_policy)
        now = self.clock()
        code = f"{secrets.randbelow(1_000_000):06d}"
        sub = str(uuid.uuid4())
        user = User(
            username=sub,
            sub=sub,
            status="UNCONFIRMED",
            attributes={**initial, "email_verified": "false"},
            created_at=now,
            modified_at=now,
            confirmation_code_hash=_code_digest(code),
            confirmation_code_expires_at=now + CONFIRMATION_CODE_SECONDS,
        )
        self._set_password(user, password)
        if not self.store.add_user(user, alias=username):
            raise UsernameExists("User already exists")
        destination = masked_destination(username)
        # Cognito would email the code; locally the server log is the mailbox.
        self.log(f"identity: sign-up confirmation code for {destination}: {code}")
        return SignUpResult(user, destination)

    @_serialized_per_user
    def confirm_sign_up(self, username: str, code: str) -> None:
        user = self.store.user(username)
        if user is None:
            raise CodeMismatch(_CODE_MISMATCH)
        if user.status != "UNCONFIRMED":
            raise NotAuthorized(f"User cannot be confirmed. Current status is {user.status}")
        now = self.clock()
        expires_at = user.confirmation_code_expires_at
        if user.confirmation_code_hash is None or expires_at is None or now >= expires_at:
            raise ExpiredCode(_CODE_EXPIRED)
        if not hmac.compare_digest(user.confirmation_code_hash, _code_digest(code)):
            attempts = int(user.extras.get("confirmation_failures", 0)) + 1
            user.extras["confirmation_failures"] = attempts
            if attempts >= MAX_CODE_ATTEMPTS:
                # A six-digit code must not be guessable by brute force: burn it.
                user.confirmation_code_hash = None
                user.confirmation_code_expires_at = None
                self.store.save_user(user)
                raise LimitExceeded(_ATTEMPT_LIMIT_EXCEEDED)
            self.store.save_user(user)
            raise CodeMismatch(_CODE_MISMATCH)
        user.extras.pop("confirmation_failures", None)
        user.status = "CONFIRMED"
        user.attributes["email_verified"] = "true"
        user.confirmation_code_hash = None
        user.confirmation_code_expires_at = None
        user.modified_at = now
        self.store.save_user(user)

    # Administration (IAM-authorized in AWS)

    def admin_user(self, username: str) -> User:
        user = self.store.user(username)
        if user is None:
            raise UserNotFound(_NO_SUCH_USER)
        return user

    @_serialized_per_user
    def admin_delete_user(self, username: str) -> None:
        """Delete the user and their sign-ins: the refresh token and the access tokens stop
        working with the pool at once. ID tokens already issued verify until they expire, as on
        AWS, where the API's authorizer checks a token's signature and claims, not the user."""
        self.store.delete_user(self.admin_user(username))

    @_serialized_per_user
    def admin_confirm_sign_up(self, username: str) -> None:
        user = self.admin_user(username)
        if user.status != "UNCONFIRMED":
            raise NotAuthorized(f"User cannot be confirmed. Current status is {user.status}")
        user.status = "CONFIRMED"
        user.confirmation_code_hash = None
        user.confirmation_code_expires_at = None
        user.modified_at = self.clock()
        self.store.save_user(user)

    def admin_create_user(
        self,
        username: str,
        attributes: dict[str, str],
        temporary_password: str | None,
        *,
        send_invitation: bool,
    ) -> User:
        check_username(username)
        initial = user_attributes(username, attributes)
        policy = self.settings.password_policy
        if temporary_password is not None:
            check_policy(temporary_password, policy)
        password = temporary_password or generate_password(policy)
        now = self.clock()
        sub = str(uuid.uuid4())
        user = User(
            username=sub,
            sub=sub,
            status="FORCE_CHANGE_PASSWORD",
            attributes=initial,
            created_at=now,
            modified_at=now,
        )
        self._set_password(user, password)
        self._set_temporary_expiry(user, now)
        if not self.store.add_user(user, alias=username):
            raise UsernameExists("User account already exists")
        if send_invitation and temporary_password is None:
            # Cognito would email the invitation; a generated password has no other way out.
            self.log(f"identity: temporary password for {masked_destination(username)}: {password}")
        return user

    @_serialized_per_user
    def admin_set_user_password(self, username: str, password: str, *, permanent: bool) -> None:
        user = self.admin_user(username)
        check_policy(password, self.settings.password_policy)
        now = self.clock()
        self._set_password(user, password)
        user.failed_sign_ins = 0
        user.locked_until = 0.0
        if permanent:
            user.status = "CONFIRMED"
            user.extras.pop("temporary_password_expires_at", None)
        else:
            user.status = "FORCE_CHANGE_PASSWORD"
            self._set_temporary_expiry(user, now)
        user.modified_at = now
        self.store.save_user(user)

    def _set_temporary_expiry(self, user: User, now: float) -> None:
        days = self.settings.password_policy.temporary_password_validity_days
        user.extras["temporary_password_expires_at"] = now + days * 86400

    def _set_password(self, user: User, password: str) -> None:
        """Keep what proves a password later: its argon2id hash and its SRP salt and verifier."""
        salt_hex, verifier_hex = make_verifier(self.user_pool_id, user.key, password)
        user.password_hash = self.hashes.hash(password)
        user.extras[SRP_SALT] = salt_hex
        user.extras[SRP_VERIFIER] = verifier_hex

    # Sign-in

    @_serialized_per_user
    def authenticate(self, username: str, password: str) -> User:
        """The user whose password this is; NotAuthorized for anything else, unknown users
        included. The caller decides what a FORCE_CHANGE_PASSWORD user gets."""
        now = self.clock()
        user = self.store.user(username)
        if user is not None and now < user.locked_until:
            raise NotAuthorized("Password attempts exceeded")
        matches = self.hashes.verify(user.password_hash if user else None, password)
        if user is None:
            raise NotAuthorized(INCORRECT_CREDENTIALS)
        if not matches:
            self._record_failed_sign_in(user, now)
            raise NotAuthorized(INCORRECT_CREDENTIALS)
        return self._admit(user, now)

    def _admit(self, user: User, now: float) -> User:
        """A user who just proved the password, unless their state forbids signing in."""
        if not user.enabled:
            raise NotAuthorized("User is disabled.")
        if user.status == "UNCONFIRMED":
            raise UserNotConfirmed("User is not confirmed.")
        temporary_until = user.extras.get("temporary_password_expires_at")
        if (
            user.status == "FORCE_CHANGE_PASSWORD"
            and temporary_until is not None
            and now >= float(temporary_until)
        ):
            raise NotAuthorized(
                "Temporary password has expired and must be reset by an administrator."
            )
        if user.failed_sign_ins:
            user.failed_sign_ins = 0
            user.locked_until = 0.0
            self.store.save_user(user)
        return user

    def start_srp(self, username: str, srp_a: str) -> dict[str, str]:
        """The PASSWORD_VERIFIER challenge parameters for USER_SRP_AUTH.

        USER_ID_FOR_SRP and USERNAME are the user's username, the generated UUID, whether asked
        by e-mail or by username; an unknown e-mail gets a decoy UUID, stable per e-mail, so that
        the answer does not tell which e-mails have accounts. Users who cannot answer (unknown, or
        no verifier yet) get a decoy salt and verifier.
        """
        stored = self.store.user(username)
        user_id = stored.key if stored is not None else self._srp_user_id(username)
        salt = stored.extras.get(SRP_SALT) if stored else None
        verifier = stored.extras.get(SRP_VERIFIER) if stored else None
        if not isinstance(salt, str) or not isinstance(verifier, str):
            salt, verifier = self._decoy_salt(user_id), self._decoy_verifier
        try:
            parameters = self.srp.start(user_id, salt, verifier, srp_a)
        except MalformedSrpValue as exc:
            raise InvalidParameter("SRP_A is not a valid SRP value.") from exc
        except ChallengesFull as exc:
            raise TooManyRequests("Too many requests") from exc
        return {**parameters, "USERNAME": user_id}

    @_serialized_per_user
    def verify_srp(
        self, username: str, secret_block: str, timestamp: str, claim_signature: str
    ) -> User:
        """The user whose PASSWORD_VERIFIER claim this is; NotAuthorized for anything else.

        The secret block is spent whatever the outcome; a wrong claim counts towards lockout.
        """
        now = self.clock()
        user = self.store.user(username)
        user_id = user.key if user is not None else self._srp_user_id(username)
        verdict = self.srp.judge(user_id, secret_block, timestamp, claim_signature)
        if user is not None and now < user.locked_until:
            raise NotAuthorized("Password attempts exceeded")
        if user is None or SRP_VERIFIER not in user.extras:
            raise NotAuthorized(INCORRECT_CREDENTIALS)
        if verdict is Verdict.NOT_PENDING:
            # No password was tried (the challenge expired or never was): not a failed attempt.
            raise NotAuthorized(INCORRECT_CREDENTIALS)
        if verdict is not Verdict.PROVED:
            self._record_failed_sign_in(user, now)
            raise NotAuthorized(INCORRECT_CREDENTIALS)
        return self._admit(user, now)

    def _srp_user_id(self, name: str) -> str:
        """The USER_ID_FOR_SRP of a name no user has: a UUID that looks generated, the same for
        the same name across restarts, and not the name itself (a real user's never is)."""
        key = username_key(name)
        if _is_uuid(key):
            return key
        digest = hmac.digest(self._decoy_salt_key, b"user-id:" + key.encode(), "sha256")
        return str(uuid.UUID(bytes=digest[:16], version=4))

    def _decoy_salt(self, user_id: str) -> str:
        digest = hmac.digest(self._decoy_salt_key, user_id.encode(), "sha256")[:_SALT_BYTES]
        return f"{int.from_bytes(digest, 'big'):x}"

    def _record_failed_sign_in(self, user: User, now: float) -> None:
        user.failed_sign_ins += 1
        if user.failed_sign_ins >= LOCKOUT_AFTER_FAILURES:
            delay = min(2 ** (user.failed_sign_ins - LOCKOUT_AFTER_FAILURES), MAX_LOCKOUT_SECONDS)
            user.locked_until = now + delay
        self.store.save_user(user)

    def start_session(self, user: User) -> SignIn:
        """Tokens for a user who just proved who they are, and the refresh token of the session."""
        now = self.clock()
        origin_jti = str(uuid.uuid4())
        refresh_token = new_refresh_token()
        days = self.settings.token_lifetimes.refresh_token_days
        self.store.add_session(
            SignInSession(
                origin_jti=origin_jti,
                username_key=user.key,
                refresh_token_hash=refresh_token_hash(refresh_token),
                auth_time=int(now),
                expires_at=now + days * 86400,
            ),
            now=now,
        )
        tokens = self.tokens.issue(user, origin_jti=origin_jti, auth_time=int(now))
        return SignIn(tokens, refresh_token)

    def refresh(self, refresh_token: str) -> IssuedTokens:
        session = self.store.session_by_refresh_token_hash(refresh_token_hash(refresh_token))
        if session is None:
            raise NotAuthorized("Invalid Refresh Token")
        if session.revoked:
            raise NotAuthorized("Refresh Token has been revoked")
        if self.clock() >= session.expires_at:
            raise NotAuthorized("Refresh Token has expired")
        user = self.store.user(session.username_key)
        if user is None or not user.enabled:
            raise NotAuthorized("Invalid Refresh Token")
        return self.tokens.issue(user, origin_jti=session.origin_jti, auth_time=session.auth_time)

    def open_challenge(self, user: User, challenge_name: str) -> str:
        """A Session value for the client to send back with its answer to the challenge."""
        now = self.clock()
        session = secrets.token_urlsafe(48)
        with self._challenges_lock:
            for token in [t for t, c in self._challenges.items() if now >= c.expires_at]:
                del self._challenges[token]
            self._challenges[session] = ChallengeSession(
                user.username, challenge_name, now + CHALLENGE_SESSION_SECONDS
            )
        return session

    def take_challenge(self, session: str) -> ChallengeSession | None:
        """The open challenge with this Session, once; None if unknown or expired."""
        with self._challenges_lock:
            challenge = self._challenges.pop(session, None)
        if challenge is None or self.clock() >= challenge.expires_at:
            return None
        return challenge

    def complete_new_password(
        self, session: str, username: str, new_password: str, attributes: dict[str, str]
    ) -> User:
        """Answer NEW_PASSWORD_REQUIRED: the user's own password replaces the temporary one.

        The password policy is checked before the Session is spent, so a weak choice can be
        retried with the same Session.
        """
        check_policy(new_password, self.settings.password_policy)
        challenge = self.take_challenge(session)
        if (
            challenge is None
            or challenge.challenge_name != "NEW_PASSWORD_REQUIRED"
            or not self._names_user(username, challenge.username)
        ):
            raise NotAuthorized(_INVALID_SESSION)
        with self._user_lock(challenge.username):
            user = self.store.user(challenge.username)
            if user is None or user.status != "FORCE_CHANGE_PASSWORD":
                raise NotAuthorized(_INVALID_SESSION)
            user.attributes = user_attributes(
                user.attributes.get("email", user.username), {**user.attributes, **attributes}
            )
            self._set_password(user, new_password)
            user.status = "CONFIRMED"
            user.extras.pop("temporary_password_expires_at", None)
            user.modified_at = self.clock()
            self.store.save_user(user)
        return user

    # Forgotten and changed passwords

    @_serialized_per_user
    def forgot_password(self, username: str) -> str:
        """Send a reset code (to the log); where it went, masked.

        An unknown username gets the same answer and no code, as Cognito answers when user
        existence errors are prevented.
        """
        user = self.store.user(username)
        # Masked as asked, known user or not: the stored spelling would tell them apart.
        destination = self._destination(username, user)
        if user is None:
            return destination
        if user.status == "FORCE_CHANGE_PASSWORD":
            raise NotAuthorized("User password cannot be reset in the current state.")
        if user.attributes.get("email_verified") != "true":
            raise InvalidParameter(
                "Cannot reset password for the user as there is no registered/verified email "
                "or phone_number"
            )
        self._spend_reset_attempt(user)
        code = f"{secrets.randbelow(1_000_000):06d}"
        user.extras[_RESET_CODE_HASH] = _code_digest(code)
        user.extras[_RESET_CODE_EXPIRES_AT] = self.clock() + RESET_CODE_SECONDS
        user.extras.pop(_RESET_CODE_FAILURES, None)
        self.store.save_user(user)
        # Cognito would email the code; locally the server log is the mailbox.
        self.log(f"identity: password reset code for {destination}: {code}")
        return destination

    @_serialized_per_user
    def confirm_forgot_password(self, username: str, code: str, password: str) -> None:
        """Set a new password with the code ForgotPassword sent; five wrong codes burn it."""
        check_policy(password, self.settings.password_policy)
        user = self.store.user(username)
        if user is None:
            raise CodeMismatch(_CODE_MISMATCH)
        now = self.clock()
        self._spend_reset_attempt(user)
        expected = user.extras.get(_RESET_CODE_HASH)
        expires_at = user.extras.get(_RESET_CODE_EXPIRES_AT)
        if not isinstance(expected, str) or expires_at is None or now >= float(expires_at):
            raise ExpiredCode(_CODE_EXPIRED)
        if not hmac.compare_digest(expected, _code_digest(code)):
            attempts = int(user.extras.get(_RESET_CODE_FAILURES, 0)) + 1
            user.extras[_RESET_CODE_FAILURES] = attempts
            if attempts >= MAX_CODE_ATTEMPTS:
                for key in (_RESET_CODE_HASH, _RESET_CODE_EXPIRES_AT, _RESET_CODE_FAILURES):
                    user.extras.pop(key, None)
                self.store.save_user(user)
                raise LimitExceeded(_ATTEMPT_LIMIT_EXCEEDED)
            self.store.save_user(user)
            raise CodeMismatch(_CODE_MISMATCH)
        for key in (_RESET_CODE_HASH, _RESET_CODE_EXPIRES_AT, _RESET_CODE_FAILURES):
            user.extras.pop(key, None)
        self._set_password(user, password)
        user.failed_sign_ins = 0
        user.locked_until = 0.0
        user.modified_at = now
        self.store.save_user(user)

    def _spend_reset_attempt(self, user: User) -> None:
        """Count one request or entry of a reset code against the user's hourly allowance (a
        fresh code does not renew it); LimitExceeded once it is spent."""
        now = self.clock()
        recent = [
            float(moment)
            for moment in user.extras.get(_RESET_ATTEMPTS, [])
            if isinstance(moment, int | float) and now - float(moment) < 3600
        ]
        if len(recent) >= RESET_ATTEMPTS_PER_HOUR:
            raise LimitExceeded(_ATTEMPT_LIMIT_EXCEEDED)
        user.extras[_RESET_ATTEMPTS] = [*recent, now]
        self.store.save_user(user)

    def change_password(self, access_token: str, previous: str, proposed: str) -> None:
        """ChangePassword: a signed-in user replaces a password they can still prove."""
        claims = self.tokens.verify_access_token(access_token)
        with self._user_lock(str(claims["username"])):
            user = self._user_of_claims(claims)
            now = self.clock()
            if now < user.locked_until:
                raise LimitExceeded(_ATTEMPT_LIMIT_EXCEEDED)
            if not self.hashes.verify(user.password_hash, previous):
                self._record_failed_sign_in(user, now)
                raise NotAuthorized(INCORRECT_CREDENTIALS)
            check_policy(proposed, self.settings.password_policy)
            self._set_password(user, proposed)
            user.modified_at = now
            self.store.save_user(user)

    # Signed-in users

    def user_of_access_token(self, access_token: str) -> User:
        return self._user_of_claims(self.tokens.verify_access_token(access_token))

    def _user_of_claims(self, claims: dict[str, Any]) -> User:
        session = self.store.session(str(claims.get("origin_jti", "")))
        if session is None or session.revoked:
            raise NotAuthorized("Access Token has been revoked")
        user = self.store.user(str(claims["username"]))
        if user is None or user.sub != claims.get("sub"):
            raise UserNotFound(_NO_SUCH_USER)
        if not user.enabled:
            raise NotAuthorized("User is disabled.")
        return user

    def revoke_token(self, refresh_token: str) -> None:
        """RevokeToken: the refresh token, and the access tokens issued with it, stop working
        (what Amplify's signOut calls). An unknown or already revoked token is answered as a
        success, as OAuth 2.0 token revocation answers it (RFC 7009, 2.2)."""
        session = self.store.session_by_refresh_token_hash(refresh_token_hash(refresh_token))
        if session is not None:
            self.store.revoke_session(session.origin_jti)

    def global_sign_out(self, access_token: str) -> None:
        """Revokes every refresh token of the user, and the access tokens they came with."""
        user = self.user_of_access_token(access_token)
        self.store.revoke_sessions(user.username)

    # Who a name is

    def _names_user(self, name: str, username: str) -> bool:
        """Whether `name`, a username or an e-mail, is the user whose username is `username`."""
        if username_key(name) == username_key(username):
            return True
        user = self.store.user(name)
        return user is not None and user.key == username_key(username)

    def _destination(self, name: str, user: User | None) -> str:
        """Where a code for `name` goes, masked: the e-mail asked with, or the user's e-mail when
        asked by username."""
        if user is not None and "@" not in name:
            return masked_destination(user.attributes.get("email", ""))
        return masked_destination(name)

    # Codes sent again, attributes, deletion (the signed-in user's own account)

    @_serialized_per_user
    def resend_confirmation_code(self, username: str) -> str:
        """ResendConfirmationCode: a new sign-up code replaces the old one; where it went, masked.
        An unknown username gets the same answer and no code (user existence errors prevented)."""
        user = self.store.user(username)
        destination = self._destination(username, user)
        if user is None:
            return destination
        if user.status != "UNCONFIRMED":
            raise InvalidParameter("User is already confirmed.")
        code = f"{secrets.randbelow(1_000_000):06d}"
        user.confirmation_code_hash = _code_digest(code)
        user.confirmation_code_expires_at = self.clock() + CONFIRMATION_CODE_SECONDS
        user.extras.pop("confirmation_failures", None)
        self.store.save_user(user)
        self.log(f"identity: sign-up confirmation code for {destination}: {code}")
        return destination

    def update_attributes(self, access_token: str, attributes: dict[str, str]) -> str | None:
        """UpdateUserAttributes: the signed-in user changes their own attributes. A new e-mail is
        at once their sign-in alias and unverified, and a code goes to it (the pool verifies
        e-mail automatically and does not keep the original value while the update is pending);
        where it went, masked, or None when the e-mail did not change."""
        claims = self.tokens.verify_access_token(access_token)
        for name in attributes:
            if name in _VERIFIED_FLAGS or name == "sub":
                raise NotAuthorized("A client attempted to write unauthorized attribute")
        with self._user_lock(str(claims["username"])):
            user = self._user_of_claims(claims)
            changed = user_attributes(
                attributes.get("email", user.attributes.get("email", "")),
                {**user.attributes, **attributes},
            )
            new_email = changed["email"]
            email_changed = username_key(new_email) != username_key(
                user.attributes.get("email", "")
            )
            if email_changed:
                check_email(new_email)
            if email_changed and not self.store.move_alias(user, new_email):
                raise AliasExists("An account with the given email already exists.")
            user.attributes = {**changed, "email_verified": user.attributes["email_verified"]}
            user.modified_at = self.clock()
            if not email_changed:
                self.store.save_user(user)
                return None
            user.attributes["email_verified"] = "false"
            return self._send_attribute_code(user)

    def send_attribute_code(self, access_token: str, attribute: str) -> str:
        """GetUserAttributeVerificationCode: a new code for the user's e-mail."""
        claims = self.tokens.verify_access_token(access_token)
        if attribute != "email":
            raise InvalidParameter(f"{attribute} is not an attribute that can be verified.")
        with self._user_lock(str(claims["username"])):
            return self._send_attribute_code(self._user_of_claims(claims))

    def _send_attribute_code(self, user: User) -> str:
        code = f"{secrets.randbelow(1_000_000):06d}"
        user.extras[_EMAIL_CODE_HASH] = _code_digest(code)
        user.extras[_EMAIL_CODE_EXPIRES_AT] = self.clock() + CONFIRMATION_CODE_SECONDS
        user.extras.pop(_EMAIL_CODE_FAILURES, None)
        self.store.save_user(user)
        destination = masked_destination(user.attributes.get("email", ""))
        self.log(f"identity: e-mail verification code for {destination}: {code}")
        return destination

    def verify_attribute(self, access_token: str, attribute: str, code: str) -> None:
        """VerifyUserAttribute: the code sent to the e-mail makes it verified; five wrong codes
        burn it."""
        claims = self.tokens.verify_access_token(access_token)
        if attribute != "email":
            raise InvalidParameter(f"{attribute} is not an attribute that can be verified.")
        with self._user_lock(str(claims["username"])):
            user = self._user_of_claims(claims)
            expected = user.extras.get(_EMAIL_CODE_HASH)
            expires_at = user.extras.get(_EMAIL_CODE_EXPIRES_AT)
            if not isinstance(expected, str) or expires_at is None:
                raise CodeMismatch(_CODE_MISMATCH)
            if self.clock() >= float(expires_at):
                raise ExpiredCode(_CODE_EXPIRED)
            if not hmac.compare_digest(expected, _code_digest(code)):
                attempts = int(user.extras.get(_EMAIL_CODE_FAILURES, 0)) + 1
                user.extras[_EMAIL_CODE_FAILURES] = attempts
                if attempts >= MAX_CODE_ATTEMPTS:
                    for key in (_EMAIL_CODE_HASH, _EMAIL_CODE_EXPIRES_AT, _EMAIL_CODE_FAILURES):
                        user.extras.pop(key, None)
                    self.store.save_user(user)
                    raise LimitExceeded(_ATTEMPT_LIMIT_EXCEEDED)
                self.store.save_user(user)
                raise CodeMismatch(_CODE_MISMATCH)
            for key in (_EMAIL_CODE_HASH, _EMAIL_CODE_EXPIRES_AT, _EMAIL_CODE_FAILURES):
                user.extras.pop(key, None)
            user.attributes["email_verified"] = "true"
            user.modified_at = self.clock()
            self.store.save_user(user)

    def delete_self(self, access_token: str) -> None:
        """DeleteUser: the signed-in user deletes their account and with it every sign-in."""
        claims = self.tokens.verify_access_token(access_token)
        with self._user_lock(str(claims["username"])):
            self.store.delete_user(self._user_of_claims(claims))

    # Software-token (TOTP) MFA

    def associate_software_token(self, access_token: str) -> str:
        """AssociateSoftwareToken: a new secret for the user's authenticator app, pending until
        VerifySoftwareToken proves the app has it."""
        claims = self.tokens.verify_access_token(access_token)
        with self._user_lock(str(claims["username"])):
            user = self._user_of_claims(claims)
            secret = totp.new_secret()
            user.extras[_TOTP_PENDING_SECRET] = secret
            self.store.save_user(user)
        return secret

    def verify_software_token(self, access_token: str, code: str) -> None:
        """VerifySoftwareToken: a code from the app makes the pending secret the user's TOTP."""
        claims = self.tokens.verify_access_token(access_token)
        with self._user_lock(str(claims["username"])):
            user = self._user_of_claims(claims)
            secret = user.extras.get(_TOTP_PENDING_SECRET)
            if not isinstance(secret, str):
                raise SoftwareTokenMFANotFound("Software Token MFA has not been associated.")
            step = totp.matching_step(secret, code, self.clock())
            if step is None:
                raise EnableSoftwareTokenMFA("Code mismatch and fail enable Software Token MFA")
            user.extras[_TOTP_SECRET] = secret
            user.extras[_TOTP_LAST_STEP] = step
            user.extras.pop(_TOTP_PENDING_SECRET, None)
            user.modified_at = self.clock()
            self.store.save_user(user)

    def set_mfa_preference(
        self, access_token: str, *, enabled: bool | None, preferred: bool
    ) -> None:
        """SetUserMFAPreference for TOTP (the one factor the pool offers): `enabled` None leaves
        it as it is. Turning it on needs a verified software token."""
        claims = self.tokens.verify_access_token(access_token)
        with self._user_lock(str(claims["username"])):
            user = self._user_of_claims(claims)
            if enabled is None:
                return
            if enabled and _TOTP_SECRET not in user.extras:
                raise InvalidParameter("User has not verified software token mfa")
            user.extras[_TOTP_ENABLED] = enabled
            user.extras[_TOTP_PREFERRED] = enabled and preferred
            user.modified_at = self.clock()
            self.store.save_user(user)

    @staticmethod
    def totp_enabled(user: User) -> bool:
        return bool(user.extras.get(_TOTP_ENABLED)) and _TOTP_SECRET in user.extras

    @staticmethod
    def totp_preferred(user: User) -> bool:
        return UserPool.totp_enabled(user) and bool(user.extras.get(_TOTP_PREFERRED))

    def answer_totp(self, session: str, username: str, code: str) -> User:
        """Answer SOFTWARE_TOKEN_MFA: the code from the user's app for the current time step.

        A wrong code leaves the Session open for another try, up to three; a code already used
        is refused (RFC 6238, 5.2), and each wrong code counts towards the sign-in lockout.
        """
        challenge = self.take_challenge(session)
        if (
            challenge is None
            or challenge.challenge_name != "SOFTWARE_TOKEN_MFA"
            or not self._names_user(username, challenge.username)
        ):
            raise NotAuthorized(_INVALID_SESSION)
        with self._user_lock(challenge.username):
            user = self.store.user(challenge.username)
            secret = user.extras.get(_TOTP_SECRET) if user is not None else None
            if user is None or not isinstance(secret, str):
                raise NotAuthorized(_INVALID_SESSION)
            now = self.clock()
            step = totp.matching_step(secret, code, now)
            if step is None or step <= int(user.extras.get(_TOTP_LAST_STEP, -1)):
                self._record_failed_sign_in(user, now)
                if challenge.attempts + 1 < _TOTP_ATTEMPTS:
                    with self._challenges_lock:
                        self._challenges[session] = replace(
                            challenge, attempts=challenge.attempts + 1
                        )
                raise CodeMismatch("Invalid code received for user")
            user.extras[_TOTP_LAST_STEP] = step
            self.store.save_user(user)
            return self._admit(user, now)


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False

"""Durable storage for the identity provider: one SQLite file in the data dir.

Same discipline as the orders database: WAL with synchronous=FULL, so an acknowledged sign-up
survives a crash; one connection behind a lock. The file holds password hashes, so it is
created readable by its owner only.

Users are keyed by their username, which Cognito generates (a UUID) because the pool signs in by
e-mail; the `aliases` table finds a user by e-mail. Stores written before usernames were
generated hold users keyed by their e-mail and no alias row: `user()` still finds them by it, so
old data folders keep working without a migration (those users keep the e-mail as username).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orders_api.twin.cognito.records import SignInSession, User, username_key

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS users ("
    " username_key TEXT PRIMARY KEY, sub TEXT NOT NULL UNIQUE, record TEXT NOT NULL"
    ") WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS sessions ("
    " origin_jti TEXT PRIMARY KEY, username_key TEXT NOT NULL,"
    " refresh_token_hash TEXT NOT NULL UNIQUE, auth_time INTEGER NOT NULL,"
    " expires_at REAL NOT NULL, revoked INTEGER NOT NULL DEFAULT 0"
    ") WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (username_key)",
    "CREATE TABLE IF NOT EXISTS aliases ("
    " alias_key TEXT PRIMARY KEY, username_key TEXT NOT NULL"
    ") WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS aliases_by_user ON aliases (username_key)",
)

_SELECT_SESSION = (
    "SELECT origin_jti, username_key, refresh_token_hash, auth_time, expires_at, revoked"
    " FROM sessions WHERE "
)
_SESSION_BY = {
    "origin_jti": _SELECT_SESSION + "origin_jti = ?",
    "refresh_token_hash": _SELECT_SESSION + "refresh_token_hash = ?",
}


def _create_private_file(path: Path) -> None:
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


class IdentityStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _create_private_file(path)
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=5.0
        )
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA synchronous=FULL")
        for statement in _SCHEMA:
            self._connection.execute(statement)

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    def setting(self, name: str, default: str) -> str:
        """The stored value of `name`; stores `default` first if there is none yet."""
        with self._lock:
            self._connection.execute(
                "INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                (name, default),
            )
            (value,) = self._connection.execute(
                "SELECT value FROM meta WHERE name = ?", (name,)
            ).fetchone()
        return str(value)

    def user(self, name: str) -> User | None:
        """The user whose username, or whose e-mail (the sign-in alias), is `name`."""
        key = username_key(name)
        with self._lock:
            row = self._connection.execute(
                "SELECT record FROM users WHERE username_key = ?", (key,)
            ).fetchone()
            if row is None:
                row = self._connection.execute(
                    "SELECT record FROM users JOIN aliases USING (username_key)"
                    " WHERE alias_key = ?",
                    (key,),
                ).fetchone()
        return None if row is None else User.from_record(json.loads(row[0]))

    def add_user(self, user: User, *, alias: str) -> bool:
        """Store a new user reachable by `alias` (its e-mail) too; False if the username or the
        alias is taken, by another user's alias or by a username stored before aliases were."""
        alias_key = username_key(alias)
        with self._lock, self._transaction():
            if self._taken(alias_key) or self._taken(user.key):
                return False
            self._connection.execute(
                "INSERT INTO users (username_key, sub, record) VALUES (?, ?, ?)",
                (user.key, user.sub, _encode(user)),
            )
            self._connection.execute(
                "INSERT INTO aliases (alias_key, username_key) VALUES (?, ?)", (alias_key, user.key)
            )
        return True

    def move_alias(self, user: User, alias: str) -> bool:
        """Make `alias` (a new e-mail) the user's one alias; False if another user has it."""
        alias_key = username_key(alias)
        with self._lock, self._transaction():
            owner = self._connection.execute(
                "SELECT username_key FROM aliases WHERE alias_key = ?", (alias_key,)
            ).fetchone()
            if owner is not None and owner[0] != user.key:
                return False
            if owner is None and alias_key != user.key and self._user_exists(alias_key):
                return False
            self._connection.execute("DELETE FROM aliases WHERE username_key = ?", (user.key,))
            if alias_key != user.key:
                self._connection.execute(
                    "INSERT INTO aliases (alias_key, username_key) VALUES (?, ?)",
                    (alias_key, user.key),
                )
        return True

    def _taken(self, key: str) -> bool:
        return self._user_exists(key) or (
            self._connection.execute("SELECT 1 FROM aliases WHERE alias_key = ?", (key,)).fetchone()
            is not None
        )

    def _user_exists(self, key: str) -> bool:
        return (
            self._connection.execute(
                "SELECT 1 FROM users WHERE username_key = ?", (key,)
            ).fetchone()
            is not None
        )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One SQLite transaction; the caller holds `_lock`."""
        self._connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        self._connection.execute("COMMIT")

    def save_user(self, user: User) -> None:
        with self._lock:
            self._connection.execute(
                "UPDATE users SET record = ? WHERE username_key = ?", (_encode(user), user.key)
            )

    def delete_user(self, user: User) -> None:
        """Forget the user, their alias and every sign-in of theirs, in one transaction."""
        key = user.key
        with self._lock, self._transaction():
            self._connection.execute("DELETE FROM sessions WHERE username_key = ?", (key,))
            self._connection.execute("DELETE FROM aliases WHERE username_key = ?", (key,))
            self._connection.execute("DELETE FROM users WHERE username_key = ?", (key,))

    def add_session(self, session: SignInSession, *, now: float) -> None:
        """Store a new sign-in, dropping sessions whose refresh token has expired by `now`."""
        with self._lock:
            self._connection.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
            self._connection.execute(
                "INSERT INTO sessions (origin_jti, username_key, refresh_token_hash, auth_time,"
                " expires_at, revoked) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    session.origin_jti,
                    session.username_key,
                    session.refresh_token_hash,
                    session.auth_time,
                    session.expires_at,
                    int(session.revoked),
                ),
            )

    def session_by_refresh_token_hash(self, token_hash: str) -> SignInSession | None:
        return self._session_where("refresh_token_hash", token_hash)

    def session(self, origin_jti: str) -> SignInSession | None:
        return self._session_where("origin_jti", origin_jti)

    def revoke_sessions(self, username: str) -> None:
        with self._lock:
            self._connection.execute(
                "UPDATE sessions SET revoked = 1 WHERE username_key = ?", (username_key(username),)
            )

    def revoke_session(self, origin_jti: str) -> None:
        """Revoke one sign-in: its refresh token and the access tokens issued with it."""
        with self._lock:
            self._connection.execute(
                "UPDATE sessions SET revoked = 1 WHERE origin_jti = ?", (origin_jti,)
            )

    def _session_where(self, column: str, value: str) -> SignInSession | None:
        with self._lock:
            row = self._connection.execute(_SESSION_BY[column], (value,)).fetchone()
        if row is None:
            return None
        origin_jti, key, token_hash, auth_time, expires_at, revoked = row
        return SignInSession(origin_jti, key, token_hash, auth_time, expires_at, bool(revoked))


def _encode(user: User) -> str:
    return json.dumps(user.to_record(), separators=(",", ":"), ensure_ascii=False)

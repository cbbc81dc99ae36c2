"""User attributes: which ones the pool's schema has, and the username rule (it is the email)."""

from __future__ import annotations

import re

from orders_api.twin.cognito.errors import InvalidParameter

STANDARD_ATTRIBUTES = frozenset(
    {
        "address",
        "birthdate",
        "email",
        "email_verified",
        "family_name",
        "gender",
        "given_name",
        "locale",
        "middle_name",
        "name",
        "nickname",
        "phone_number",
        "phone_number_verified",
        "picture",
        "preferred_username",
        "profile",
        "updated_at",
        "website",
        "zoneinfo",
    }
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def check_username(username: str) -> None:
    """Users sign in with their email address: the username must be one."""
    if not _EMAIL.fullmatch(username):
        raise InvalidParameter("Username should be an email.")


def check_email(email: str) -> None:
    """A new value of the `email` attribute must be an address."""
    if not _EMAIL.fullmatch(email):
        raise InvalidParameter("Invalid email address format.")


def user_attributes(username: str, given: dict[str, str]) -> dict[str, str]:
    """The attributes a new user starts with: those given, checked against the schema, with
    `email` set to the username and `email_verified` defaulting to false."""
    for name in given:
        if name not in STANDARD_ATTRIBUTES:
            raise InvalidParameter(
                f"Attributes did not conform to the schema: Type for attribute {{{name}}} "
                "could not be determined"
            )
    email = given.get("email", username)
    if email.casefold() != username.casefold():
        raise InvalidParameter("The email attribute must be the username.")
    for flag in ("email_verified", "phone_number_verified"):
        if flag in given and given[flag] not in {"true", "false"}:
            raise InvalidParameter(f"Invalid value for {flag}: must be true or false.")
    return {**given, "email": username, "email_verified": given.get("email_verified", "false")}


def masked_destination(email: str) -> str:
    """How Cognito shows where a code went: t***@e***."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain[:1]}***"

"""A Cognito-compatible identity provider for the local twin (see docs/identity.md)."""

from orders_api.twin.cognito.provider import IdentityProvider

__all__ = ["IdentityProvider"]

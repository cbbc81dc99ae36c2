"""Who is calling: the subject of the token the Cognito authorizer verified."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from orders_api.domain import Unauthenticated


def caller_of(event: APIGatewayProxyEvent) -> str:
    """The `sub` claim from requestContext.authorizer.claims; Unauthenticated without one."""
    authorizer = event.request_context.authorizer
    claims = authorizer.claims if authorizer is not None else None
    subject = (claims or {}).get("sub")
    if not isinstance(subject, str) or not subject:
        raise Unauthenticated
    return subject

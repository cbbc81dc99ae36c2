"""Cognito's error codes: each class is one `__type` that boto3 turns into its own exception.

Actions raise these; the protocol module alone turns them into responses. The message is what a
client sees, worded as Cognito words it.
"""

from __future__ import annotations

from typing import ClassVar


class CognitoError(Exception):
    code: ClassVar[str] = "InternalErrorException"
    status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InternalError(CognitoError):
    code = "InternalErrorException"
    status = 500


class UnknownOperation(CognitoError):
    code = "UnknownOperationException"


class SerializationError(CognitoError):
    code = "SerializationException"


class MissingAuthenticationToken(CognitoError):
    code = "MissingAuthenticationTokenException"


class UnsupportedOperation(CognitoError):
    code = "UnsupportedOperationException"


class LimitExceeded(CognitoError):
    code = "LimitExceededException"


class TooManyRequests(CognitoError):
    """The request rate Cognito serves is exceeded (its quotas are per category and account)."""

    code = "TooManyRequestsException"


class InvalidParameter(CognitoError):
    code = "InvalidParameterException"


class ResourceNotFound(CognitoError):
    code = "ResourceNotFoundException"


class NotAuthorized(CognitoError):
    code = "NotAuthorizedException"


class UserNotFound(CognitoError):
    code = "UserNotFoundException"


class UsernameExists(CognitoError):
    code = "UsernameExistsException"


class InvalidPassword(CognitoError):
    code = "InvalidPasswordException"


class CodeMismatch(CognitoError):
    code = "CodeMismatchException"


class ExpiredCode(CognitoError):
    code = "ExpiredCodeException"


class UserNotConfirmed(CognitoError):
    code = "UserNotConfirmedException"


INCORRECT_CREDENTIALS = "Incorrect username or password."
"""The one answer to a wrong password and to an unknown user alike (user existence errors are
prevented, as on the deployed app client)."""


class AliasExists(CognitoError):
    """Another user already signs in with this e-mail (UpdateUserAttributes)."""

    code = "AliasExistsException"


class EnableSoftwareTokenMFA(CognitoError):
    """VerifySoftwareToken was given a code that does not match the associated secret."""

    code = "EnableSoftwareTokenMFAException"


class SoftwareTokenMFANotFound(CognitoError):
    code = "SoftwareTokenMFANotFoundException"

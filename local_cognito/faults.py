"""The local Cognito's error answers: Cognito's exception name, its message and the HTTP status."""

from __future__ import annotations


class CognitoFault(Exception):
    """An error answer in Cognito's own terms: its exception name and its message."""

    def __init__(self, name: str, message: str, status: int = 400):
        super().__init__(message)
        self.name = name
        self.message = message
        self.status = status


def not_authorized(message: str = "Incorrect username or password.") -> CognitoFault:
    return CognitoFault("NotAuthorizedException", message)


def invalid_parameter(message: str) -> CognitoFault:
    return CognitoFault("InvalidParameterException", message)

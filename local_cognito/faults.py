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


class StorageUnavailable(CognitoFault):
    """The data folder could not be written, so the operation's changes were rolled back (see
    ``transaction.py``). An answer of the local Cognito's own, which Cognito never gives: HTTP 503, like
    a service that cannot take the request now, so the server tells it apart from Cognito's errors."""

    NAME = "LocalStorageUnavailableException"

    def __init__(self, folder: str, error: OSError):
        reason = error.strerror or str(error)
        super().__init__(
            self.NAME,
            f"The local Cognito cannot save to its data folder {folder} ({reason}); nothing was changed.",
            status=503,
        )
        self.folder = folder
        self.error = error

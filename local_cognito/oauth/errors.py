"""The faults of the local Cognito's OAuth side, each answered its own way by the hosted UI's handlers."""

from __future__ import annotations


class OAuthError(Exception):
    """An OAuth 2.0 error answer: ``error``, ``error_description`` and the HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


class ErrorPage(Exception):
    """A fault the browser is shown, never redirected with (the redirect target is not trusted)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


class RedirectError(Exception):
    """A fault sent back to the app's registered redirect_uri."""

    def __init__(self, location: str):
        super().__init__(location)
        self.location = location


class RepeatedParameter(Exception):
    """An OAuth parameter given more than once (RFC 6749 section 3.1 forbids it); each caller turns it
    into the answer its endpoint gives."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name

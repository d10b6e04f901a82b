"""What the local Cognito's OAuth side keeps and answers: the client's settings, checked authorize
requests, authorization codes, hosted-UI sessions, and where a hosted-UI sign-in stands."""

from __future__ import annotations

import dataclasses

from moto.cognitoidp.models import CognitoIdpUser

from local_cognito.oauth.parameters import with_query


@dataclasses.dataclass(frozen=True)
class OAuthSettings:
    """The app client's OAuth settings, as in Cognito's UserPoolClientType."""

    enabled: bool
    callback_urls: tuple[str, ...]
    logout_urls: tuple[str, ...]
    flows: tuple[str, ...]
    scopes: tuple[str, ...]
    identity_providers: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class AuthorizeRequest:
    """A checked authorize request: what its code will be bound to."""

    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None

    @property
    def scope(self) -> str:
        return " ".join(self.scopes)

    def params(self) -> dict[str, str]:
        """The request as query parameters (for the sign-in and sign-up pages, and form state)."""
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
        }
        for name in ("state", "nonce", "code_challenge", "code_challenge_method"):
            if getattr(self, name) is not None:
                params[name] = getattr(self, name)
        return params

    def redirect(self, **params: str) -> str:
        """The redirect_uri with ``params`` and the request's state."""
        if self.state is not None:
            params["state"] = self.state
        return with_query(self.redirect_uri, params)


@dataclasses.dataclass
class AuthorizationCode:
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    sub: str
    auth_time: int
    expires: float


@dataclasses.dataclass
class HostedSession:
    sub: str
    auth_time: int
    expires: float


@dataclasses.dataclass
class SignInStep:
    """Where a hosted-UI sign-in stands: ``done``, or waiting for ``mfa``, ``new_password`` (both
    with a challenge ``session``) or ``confirm`` (the account's sign-up code)."""

    user: CognitoIdpUser
    next: str
    session: str | None = None

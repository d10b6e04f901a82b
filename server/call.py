"""What a method handler gets besides its fields: the shared services and this request's cookies."""

from __future__ import annotations

import dataclasses

from server.cognito import CognitoClient
from server.config import Config
from server.cookies import SessionCookies
from server.services import Services
from server.signing import SignedValues
from server.tokens import TokenVerifier


@dataclasses.dataclass
class Call:
    services: Services
    cookies: SessionCookies
    request_id: str

    @property
    def config(self) -> Config:
        return self.services.config

    @property
    def cognito(self) -> CognitoClient:
        return self.services.cognito

    @property
    def admin_cognito(self) -> CognitoClient:
        return self.services.admin_cognito

    @property
    def tokens(self) -> TokenVerifier:
        return self.services.tokens

    @property
    def challenges(self) -> SignedValues:
        return self.services.challenges

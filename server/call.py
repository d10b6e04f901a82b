"""What a method handler gets besides its fields: the shared services and this request's cookies
(the refresh cookie, the browser session of hosted-UI sign-in, and the remembered device)."""

from __future__ import annotations

import dataclasses

from server.browser_session import BrowserSession
from server.cognito import CognitoClient
from server.config import Config
from server.device_cookie import DeviceCookie
from server.photo_store import PhotoStore
from server.rate_limits import RateLimits
from server.refresh_cookie import RefreshCookie
from server.revocations import Revocations
from server.services import Services
from server.signing import SignedValues
from server.tokens import TokenVerifier


@dataclasses.dataclass
class Call:
    services: Services
    refresh_cookie: RefreshCookie
    browser_session: BrowserSession
    request_id: str
    client_address: str  # the caller's IP address (behind a trusted proxy: the one it names)
    # Whether the request comes from this site's own pages, an allowed origin, or no page at all
    # (``JsonHandler.trusted_origin``): only those may use this browser's cookies.
    trusted_origin: bool = True
    device_cookie: DeviceCookie | None = None  # this browser's remembered device (``server.device_cookie``)

    def clear_cookies(self) -> None:
        """Sign this browser out: the refresh cookie and the browser session both go."""
        self.refresh_cookie.clear()
        self.browser_session.clear()

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

    @property
    def photos(self) -> PhotoStore:
        return self.services.photos

    @property
    def rate_limits(self) -> RateLimits:
        return self.services.rate_limits

    @property
    def revocations(self) -> Revocations:
        return self.services.revocations

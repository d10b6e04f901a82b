"""What every request shares: the configuration and the long-lived clients, built once per process."""

from __future__ import annotations

import dataclasses

from server.browser_session import BrowserSession, BrowserSessionCodec
from server.cognito import CognitoClient
from server.config import Config
from server.device_cookie import DeviceCookie, DeviceCookieCodec
from server.photo_store import PhotoStore
from server.rate_limits import RateLimits
from server.refresh_cookie import RefreshCookie, RefreshCookieCodec
from server.revocations import Revocations
from server.signing import SignedValues
from server.tokens import TokenVerifier

# A sign-in challenge (authenticator code, new password) must be answered within this time;
# Cognito's own session for it lasts 3 to 15 minutes.
CHALLENGE_MINUTES = 15
# Between /login and /callback: state, PKCE verifier, nonce and where to go next.
OAUTH_STATE_COOKIE = "__Host-oauth-state"
OAUTH_STATE_MINUTES = 10


@dataclasses.dataclass
class Services:
    config: Config
    cognito: CognitoClient  # public calls, unsigned
    admin_cognito: CognitoClient  # admin calls, signed with AWS credentials
    tokens: TokenVerifier
    refresh_cookie_codec: RefreshCookieCodec
    challenges: SignedValues  # the "session" handed out with a sign-in challenge
    browser_session_codec: BrowserSessionCodec  # hosted-UI sign-in's session cookie
    oauth_state: SignedValues  # the state cookie between /login and /callback
    photos: PhotoStore
    rate_limits: RateLimits
    revocations: Revocations  # sessions signed out through this server
    # Set on SIGTERM: /readyz answers 503 while requests in flight finish.
    stopping: bool = False
    device_cookie_codec: DeviceCookieCodec | None = None  # the remembered device's cookie

    @classmethod
    async def start(cls, config: Config) -> Services:
        cognito = CognitoClient(config)
        await cognito.start()
        revocations = Revocations.start(config)
        return cls(
            config=config,
            cognito=cognito,
            admin_cognito=CognitoClient(config, admin=True),
            tokens=TokenVerifier(
                jwks_url=config.jwks_url,
                issuer=config.issuer,
                client_id=config.client_id,
                clock_skew_seconds=config.token_clock_skew_seconds,
                revocations=revocations,
            ),
            refresh_cookie_codec=RefreshCookieCodec(config.cookie_secrets, config.refresh_cookie_days),
            challenges=SignedValues(config.cookie_secrets, "challenge", CHALLENGE_MINUTES / (24 * 60)),
            browser_session_codec=BrowserSessionCodec(config.cookie_secrets, config.refresh_cookie_days),
            oauth_state=SignedValues(config.cookie_secrets, OAUTH_STATE_COOKIE, OAUTH_STATE_MINUTES / (24 * 60)),
            photos=await PhotoStore.start(config),
            rate_limits=await RateLimits.start(config),
            revocations=revocations,
            device_cookie_codec=DeviceCookieCodec(config.cookie_secrets),
        )

    async def close(self) -> None:
        await self.cognito.close()
        await self.admin_cognito.close()
        await self.photos.close()
        await self.rate_limits.close()
        await self.revocations.close()

    def refresh_cookie(self, cookie_header: str) -> RefreshCookie:
        """One request's refresh cookie."""
        return RefreshCookie(self.refresh_cookie_codec, cookie_header)

    def device_cookie(self, cookie_header: str) -> DeviceCookie:
        """One request's remembered-device cookie."""
        codec = self.device_cookie_codec or DeviceCookieCodec(self.config.cookie_secrets)
        return DeviceCookie(codec, cookie_header)

    def browser_session(
        self, cookie_header: str, refresh_cookie: RefreshCookie, trusted_origin: bool
    ) -> BrowserSession:
        """One request's browser session, renewed with its refresh cookie."""
        return BrowserSession(
            self.browser_session_codec, self.cognito, self.tokens, refresh_cookie, cookie_header, trusted_origin
        )

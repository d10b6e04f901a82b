"""The OAuth 2.0 authorization-code flow with Cognito's hosted UI: PKCE, the authorize and logout
addresses, and the code exchange at ``/oauth2/token``.

The exchange authenticates the app client with HTTP Basic (client id and secret, each
form-urlencoded first, as RFC 6749 section 2.3.1 asks) and runs on Tornado's async HTTP client, so
it never holds up the IOLoop.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import urllib.parse

from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from server.config import Config
from server.errors import ApiError

log = logging.getLogger("server.oauth")

# aws.cognito.signin.user.admin lets the session's access token call the user-pool API (getUser,
# changePass, QR_init, ...), which Cognito refuses to tokens without it.
SCOPES = "openid email profile aws.cognito.signin.user.admin"


def new_pkce() -> tuple[str, str]:
    """(code verifier, S256 code challenge)."""
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def callback_url(config: Config) -> str:
    return f"{config.base_url}/callback"


def authorize_url(
    config: Config, *, state: str, code_challenge: str, nonce: str, provider: str | None = None, lang: str | None = None
) -> str:
    query = {
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": callback_url(config),
        "scope": SCOPES,
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
        "nonce": nonce,
    }
    if provider:
        query["identity_provider"] = provider
    if lang:
        query["lang"] = lang
    return f"{config.hosted_ui_url}/oauth2/authorize?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)


def logout_url(config: Config) -> str:
    query = {"client_id": config.client_id, "logout_uri": f"{config.base_url}/"}
    return f"{config.hosted_ui_url}/logout?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)


def _basic_auth(client_id: str, client_secret: str) -> str:
    pair = f"{urllib.parse.quote_plus(client_id)}:{urllib.parse.quote_plus(client_secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


async def exchange_code(config: Config, code: str, code_verifier: str) -> dict:
    """The tokens for an authorization code; ApiError when Cognito refuses it or cannot be reached."""
    body = urllib.parse.urlencode(
        {
            "grant_type": "authorization_code",
            "client_id": config.client_id,
            "code": code,
            "redirect_uri": callback_url(config),
            "code_verifier": code_verifier,
        }
    )
    try:
        response = await AsyncHTTPClient().fetch(
            f"{config.hosted_ui_url}/oauth2/token",
            method="POST",
            body=body,
            raise_error=False,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": _basic_auth(config.client_id, config.client_secret),
            },
            connect_timeout=config.cognito_connect_timeout,
            request_timeout=config.cognito_read_timeout,
        )
    except (OSError, HTTPClientError) as error:
        log.error("The hosted UI's token endpoint cannot be reached: %r", error)
        raise ApiError("CognitoUnavailable") from None
    if response.code == 599:  # Tornado's code for a timeout or a connection failure
        log.error("The hosted UI's token endpoint did not answer: %r", response.error)
        raise ApiError("CognitoTimeout" if "Timeout" in repr(response.error) else "CognitoUnavailable")
    try:
        answer = json.loads(response.body or b"{}")
    except ValueError:
        answer = {}
    if response.code >= 500:
        log.error("The hosted UI's token endpoint answered HTTP %d", response.code)
        if (
            config.local
            and response.code == 503
            and isinstance(answer, dict)
            and answer.get("error") == "temporarily_unavailable"
        ):
            raise ApiError("LocalStorageUnavailable")  # the local Cognito could not store the sign-in
        raise ApiError("CognitoError")
    complete = (
        isinstance(answer, dict)
        and all(isinstance(answer.get(name), str) for name in ("id_token", "access_token", "refresh_token"))
        and type(answer.get("expires_in")) is int
    )
    if response.code != 200 or not complete:
        # invalid_grant (a used, expired or foreign code, a wrong verifier), invalid_client, ...
        log.warning(
            "The token endpoint refused a code: HTTP %d %s",
            response.code,
            answer.get("error") if isinstance(answer, dict) else "",
        )
        raise ApiError("SignInFailed")
    return answer

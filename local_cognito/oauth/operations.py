"""The local Cognito's OAuth 2.0 / OpenID Connect operations: the app client's settings, authorize and
logout requests, authorization codes and hosted-UI sessions, the token endpoint and userInfo.

What they follow of Cognito's documentation is told in the package's docstring (``__init__.py``).
"""

from __future__ import annotations

import base64
import hmac
import logging
import secrets
import urllib.parse
from typing import Any, Iterable, Mapping

from moto.cognitoidp.models import CognitoIdpUser, UserStatus

from local_cognito.faults import CognitoFault
from local_cognito.oauth.errors import ErrorPage, OAuthError, RedirectError, RepeatedParameter
from local_cognito.oauth.parameters import PKCE_VALUE, one, s256, with_query
from local_cognito.oauth.records import AuthorizationCode, AuthorizeRequest, HostedSession, OAuthSettings
from local_cognito.pool import UserPool
from local_cognito.refresh_tokens import RefreshTokenOperations
from local_cognito.store import token_digest
from local_cognito.user_table import EXTERNAL_PROVIDER

log = logging.getLogger("local_cognito")

AUTHORIZATION_CODE_SECONDS = 300  # Cognito: "a one time use code that is valid for five minutes"
HOSTED_SESSION_SECONDS = 3600  # Cognito's hosted-UI session cookie lasts an hour
SPENT_CODE_MEMORY_SECONDS = 3600  # how long a used code is still recognised as a replay
MAX_PARAMETER_LENGTH = 2048  # state and nonce: round-tripped, so kept to a sane size
# What the server asks for: OpenID Connect, and the scope that lets the access token call the
# user-pool API (GetUser, ChangePassword, ...) as Cognito requires.
DEFAULT_SCOPES = ("openid", "email", "profile", "aws.cognito.signin.user.admin")
# The scopes Cognito reserves; an app client may be allowed any of them.
RESERVED_SCOPES = ("openid", "email", "phone", "profile", "aws.cognito.signin.user.admin")
# What each OIDC scope lets userInfo show, as Cognito documents it ("openid" alone shows everything).
SCOPE_ATTRIBUTES = {
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
    "profile": (
        "name",
        "family_name",
        "given_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "updated_at",
        "address",
    ),
}
# Who may hold a hosted-UI session or redeem a code: a confirmed user, or one made by a provider.
SIGNED_IN_STATUSES = (UserStatus.CONFIRMED, EXTERNAL_PROVIDER)
INVALID_TOKEN = "Access token is expired, disabled, or deleted, or the user has globally signed out."


class OAuthOperations:
    """The hosted UI's OAuth 2.0 side, on the pool's app client, users and tokens."""

    def __init__(self, pool: UserPool, refresh: RefreshTokenOperations) -> None:
        self.pool = pool
        self.refresh = refresh

    # --- the app client's OAuth settings --------------------------------------------------------

    def configure_hosted_ui(
        self,
        *,
        callback_urls: Iterable[str] = (),
        logout_urls: Iterable[str] = (),
        flows: Iterable[str] = ("code",),
        scopes: Iterable[str] = DEFAULT_SCOPES,
        identity_providers: Iterable[str] = ("COGNITO",),
    ) -> None:
        """Set the app client's callback and sign-out URLs, OAuth flows, scopes and identity
        providers (CreateUserPoolClient's names), as a Cognito app client with a domain has them."""
        callback_urls, logout_urls = list(callback_urls), list(logout_urls)
        for url in callback_urls + logout_urls:
            parts = urllib.parse.urlsplit(url)
            if not parts.scheme or not parts.netloc or parts.fragment:  # Cognito's rules for them
                raise ValueError(f"{url!r} is not an absolute URL without a fragment")
        unknown = set(scopes) - set(RESERVED_SCOPES)
        if unknown:
            raise ValueError(f"the local Cognito has no scope {sorted(unknown)}")
        self.pool.client.extended_config.update(
            {
                "AllowedOAuthFlowsUserPoolClient": True,
                "CallbackURLs": callback_urls,
                "LogoutURLs": logout_urls,
                "AllowedOAuthFlows": list(flows),
                "AllowedOAuthScopes": list(scopes),
                "SupportedIdentityProviders": list(identity_providers),
            }
        )

    @property
    def oauth_settings(self) -> OAuthSettings:
        config = self.pool.client.extended_config
        return OAuthSettings(
            enabled=bool(config.get("AllowedOAuthFlowsUserPoolClient")),
            callback_urls=tuple(config.get("CallbackURLs", ())),
            logout_urls=tuple(config.get("LogoutURLs", ())),
            flows=tuple(config.get("AllowedOAuthFlows", ())),
            scopes=tuple(config.get("AllowedOAuthScopes", ())),
            identity_providers=tuple(config.get("SupportedIdentityProviders", ())),
        )

    def openid_configuration(self, base_url: str) -> dict:
        """The pool's OpenID Connect discovery document, with the fields Cognito's has."""
        return {
            "issuer": self.pool.issuer,
            "authorization_endpoint": f"{base_url}/oauth2/authorize",
            "token_endpoint": f"{base_url}/oauth2/token",
            "userinfo_endpoint": f"{base_url}/oauth2/userInfo",
            "jwks_uri": f"{base_url}/{self.pool.pool_id}/.well-known/jwks.json",
            "response_types_supported": ["code"],
            "scopes_supported": ["openid", "email", "phone", "profile"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    # --- authorize, login and logout requests -----------------------------------------------------

    def _check_oauth_client(self, params: Mapping[str, list[str]]) -> OAuthSettings:
        try:
            client_id = one(params, "client_id")
        except RepeatedParameter:
            raise ErrorPage("The request names more than one client_id.") from None
        settings = self.oauth_settings
        if client_id is None:
            raise ErrorPage("The request has no client_id.")
        if client_id != self.pool.client_id or not settings.enabled:
            raise ErrorPage(
                "The client_id does not name an app client of this user pool that signs in with the hosted UI."
            )
        return settings

    def authorize_request(self, params: Mapping[str, list[str]]) -> AuthorizeRequest:
        """The checked request; ErrorPage or RedirectError when it cannot be served."""
        settings = self._check_oauth_client(params)
        try:
            redirect_uri = one(params, "redirect_uri")
        except RepeatedParameter:
            redirect_uri = None
        if redirect_uri is None or redirect_uri not in settings.callback_urls:
            raise ErrorPage("redirect_mismatch: the redirect_uri is not one of this app client's callback URLs.")
        states = params.get("state") or []
        state = states[0] if len(states) == 1 else None

        def fail(error: str, description: str) -> RedirectError:
            answer = {"error": error, "error_description": description}
            if state is not None and len(state) <= MAX_PARAMETER_LENGTH:
                answer["state"] = state
            return RedirectError(with_query(redirect_uri, answer))

        try:
            if len(states) > 1:
                raise RepeatedParameter("state")
            response_type = one(params, "response_type")
            nonce = one(params, "nonce")
            challenge = one(params, "code_challenge")
            method = one(params, "code_challenge_method")
            scope = one(params, "scope")
        except RepeatedParameter as repeated:
            raise fail("invalid_request", f"{repeated.name} is given more than once") from None
        if response_type is None:
            raise fail("invalid_request", "response_type is missing")
        if response_type not in ("code", "token"):
            raise fail("unsupported_response_type", "response_type must be code")
        if (response_type == "token" and "implicit" not in settings.flows) or (
            response_type == "code" and "code" not in settings.flows
        ):
            raise fail("unauthorized_client", f"This app client is not allowed response_type {response_type}")
        for name, value in (("state", state), ("nonce", nonce)):
            if value is not None and len(value) > MAX_PARAMETER_LENGTH:
                raise fail("invalid_request", f"{name} is longer than {MAX_PARAMETER_LENGTH} characters")
        if challenge is not None or method is not None:
            if challenge is None:
                raise fail("invalid_request", "code_challenge_method was given without code_challenge")
            if method != "S256":
                raise fail("invalid_request", "code_challenge_method must be S256")
            if not PKCE_VALUE.match(challenge):
                raise fail("invalid_request", "code_challenge is not an S256 challenge")
        return AuthorizeRequest(
            client_id=self.pool.client_id,
            redirect_uri=redirect_uri,
            scopes=self._granted_scopes(scope, settings, fail),
            state=state,
            nonce=nonce,
            code_challenge=challenge,
            code_challenge_method=method,
        )

    @staticmethod
    def _granted_scopes(scope: str | None, settings: OAuthSettings, fail) -> tuple[str, ...]:
        if scope is None or not scope.strip():
            return settings.scopes  # Cognito: no scope asks for all the client's scopes
        asked = tuple(dict.fromkeys(scope.split()))
        refused = [s for s in asked if s not in settings.scopes]
        if refused:
            raise fail("invalid_scope", f"This app client is not allowed the scope {' '.join(refused)}")
        if "openid" not in asked and any(s in asked for s in SCOPE_ATTRIBUTES):
            raise fail("invalid_scope", "email, phone and profile need the openid scope")
        return asked

    def check_identity_provider(self, params: Mapping[str, list[str]]) -> None:
        """An ``identity_provider`` (or ``idp_identifier``) the client does not support gets
        Cognito's own error page, not a redirect."""
        try:
            provider, identifier = one(params, "identity_provider"), one(params, "idp_identifier")
        except RepeatedParameter:
            raise ErrorPage("Login option is not available. Please try another one.") from None
        if (
            provider is not None and provider not in self.oauth_settings.identity_providers
        ) or identifier is not None:  # no identity provider of this pool has identifiers
            raise ErrorPage("Login option is not available. Please try another one.")

    def check_logout_uri(self, params: Mapping[str, list[str]]) -> str | None:
        """The registered sign-out URL the request names, None when it names none (and so must go
        back to the sign-in page); ErrorPage for an unknown client or an unregistered URL."""
        settings = self._check_oauth_client(params)
        try:
            logout_uri = one(params, "logout_uri")
        except RepeatedParameter:
            raise ErrorPage("The request names more than one logout_uri.") from None
        if logout_uri is None:
            if not params.get("redirect_uri"):
                raise ErrorPage("The request has neither a logout_uri nor a redirect_uri.")
            return None
        if logout_uri not in settings.logout_urls:
            raise ErrorPage("The logout_uri is not one of this app client's sign-out URLs.")
        return logout_uri

    # --- codes and hosted-UI sessions ---------------------------------------------------------------

    def _forget_expired_codes(self) -> None:
        now = self.pool.clock()
        self.pool.authorization_codes = {k: c for k, c in self.pool.authorization_codes.items() if c.expires > now}
        self.pool.spent_codes = {k: c for k, c in self.pool.spent_codes.items() if c["expires"] > now}
        self.pool.hosted_sessions = {k: s for k, s in self.pool.hosted_sessions.items() if s.expires > now}

    def issue_code(self, request: AuthorizeRequest, user: CognitoIdpUser, auth_time: int) -> str:
        self._forget_expired_codes()
        code = secrets.token_urlsafe(32)
        self.pool.authorization_codes[token_digest(code)] = AuthorizationCode(
            client_id=request.client_id,
            redirect_uri=request.redirect_uri,
            scope=request.scope,
            nonce=request.nonce,
            code_challenge=request.code_challenge,
            sub=user.id,
            auth_time=auth_time,
            expires=self.pool.clock() + AUTHORIZATION_CODE_SECONDS,
        )
        return code

    def start_hosted_session(self, user: CognitoIdpUser, auth_time: int) -> str:
        self._forget_expired_codes()
        session_id = secrets.token_urlsafe(32)
        self.pool.hosted_sessions[token_digest(session_id)] = HostedSession(
            user.id, auth_time, self.pool.clock() + HOSTED_SESSION_SECONDS
        )
        return session_id

    def resume_hosted_session(self, session_id: Any) -> tuple[CognitoIdpUser, int] | None:
        """The signed-in user and when they signed in, while the session lasts and the user may
        still sign in; the session then lasts another hour (Cognito resets its cookie's hour)."""
        record = self.pool.hosted_sessions.get(token_digest(session_id)) if isinstance(session_id, str) else None
        if record is None or record.expires <= self.pool.clock():
            return None
        user = self.pool.users.get(record.sub)
        if user is None or not user.enabled or user.status not in SIGNED_IN_STATUSES:
            return None
        record.expires = self.pool.clock() + HOSTED_SESSION_SECONDS
        return user, record.auth_time

    def end_hosted_session(self, session_id: Any) -> None:
        if isinstance(session_id, str):
            self.pool.hosted_sessions.pop(token_digest(session_id), None)

    # --- the token endpoint ----------------------------------------------------------------------------

    def token_answer(self, form: Mapping[str, list[str]], authorization: str | None) -> dict:
        """The token endpoint's answer to a form-urlencoded request; OAuthError otherwise."""
        try:
            client_id = self._authenticated_client(form, authorization)
            grant_type = one(form, "grant_type")
            if grant_type is None:
                raise OAuthError("invalid_request", "grant_type is missing")
            if grant_type == "authorization_code":
                return self._code_grant(form, client_id)
            if grant_type == "refresh_token":
                return self._refresh_grant(form)
            if grant_type == "client_credentials":
                raise OAuthError("unauthorized_client", "This app client is not allowed the client_credentials grant")
            raise OAuthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
        except RepeatedParameter as repeated:
            raise OAuthError("invalid_request", f"{repeated.name} is given more than once") from None

    def _authenticated_client(self, form: Mapping[str, list[str]], authorization: str | None) -> str:
        body_id, body_secret = one(form, "client_id"), one(form, "client_secret")
        failed = OAuthError("invalid_client", "Client authentication failed")
        client_id: str | None
        secret: str | None
        if authorization is not None:
            scheme, _, credentials = authorization.strip().partition(" ")
            if scheme.lower() != "basic":
                raise failed
            if body_secret is not None:
                raise OAuthError(
                    "invalid_request",
                    "Authenticate the client one way: the Authorization header or client_secret, not both",
                )
            try:
                pair = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
            except (ValueError, UnicodeError):
                raise failed from None
            raw_id, colon, raw_secret = pair.partition(":")
            if not colon:
                raise failed
            # RFC 6749 section 2.3.1: each half is form-urlencoded before they are joined.
            client_id, secret = urllib.parse.unquote_plus(raw_id), urllib.parse.unquote_plus(raw_secret)
            if body_id is not None and body_id != client_id:
                raise failed
        else:
            client_id, secret = body_id, body_secret
        if client_id is None or secret is None:
            raise failed
        right_id = hmac.compare_digest(client_id.encode(), self.pool.client_id.encode())
        right_secret = hmac.compare_digest(secret.encode(), self.pool.client_secret.encode())
        if not (right_id and right_secret):
            raise failed
        if "code" not in self.oauth_settings.flows:
            raise OAuthError("unauthorized_client", "This app client does not use the hosted UI")
        return client_id

    def _code_grant(self, form: Mapping[str, list[str]], client_id: str) -> dict:
        code, redirect_uri = one(form, "code"), one(form, "redirect_uri")
        verifier = one(form, "code_verifier")
        if code is None:
            raise OAuthError("invalid_request", "code is missing")
        if redirect_uri is None:
            raise OAuthError("invalid_request", "redirect_uri is missing")
        self._forget_expired_codes()
        digest = token_digest(code)
        spent = self.pool.spent_codes.get(digest)
        if spent is not None:
            # Every token rotated from the code's refresh token is revoked too.
            if spent["refresh"] and self.refresh.revoke_family(spent["refresh"]):
                log.warning("An authorization code was presented again: the tokens it was exchanged for are revoked.")
                self.pool.save()
            raise OAuthError("invalid_grant", "Authorization code has been consumed already")
        record = self.pool.authorization_codes.pop(digest, None)
        if record is None or record.expires <= self.pool.clock():
            raise OAuthError("invalid_grant", "Authorization code does not exist or has expired")
        # Spent now, whatever follows: a code is tried once.
        self.pool.spent_codes[digest] = {"refresh": None, "expires": self.pool.clock() + SPENT_CODE_MEMORY_SECONDS}
        if record.client_id != client_id:
            raise OAuthError("invalid_grant", "Authorization code was issued to another client")
        if redirect_uri != record.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri is not the one of the authorize request")
        if record.code_challenge is not None:
            if verifier is None:
                raise OAuthError("invalid_grant", "code_verifier is missing")
            if not PKCE_VALUE.match(verifier) or not hmac.compare_digest(
                s256(verifier).encode(), record.code_challenge.encode()
            ):
                raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
        elif verifier is not None:
            raise OAuthError("invalid_grant", "The authorize request had no code_challenge")
        user = self.pool.users.get(record.sub)
        if user is None or not user.enabled or user.status not in SIGNED_IN_STATUSES:
            raise OAuthError("invalid_grant", "User cannot sign in")
        result = self.pool.complete_sign_in(user, scope=record.scope, nonce=record.nonce, auth_time=record.auth_time)[
            "AuthenticationResult"
        ]
        self.pool.spent_codes[digest]["refresh"] = token_digest(result["RefreshToken"])
        self.pool.save()
        answer = {
            "access_token": result["AccessToken"],
            "refresh_token": result["RefreshToken"],
            "token_type": "Bearer",
            "expires_in": result["ExpiresIn"],
        }
        if "openid" in record.scope.split():
            answer["id_token"] = result["IdToken"]
        return answer

    def _refresh_grant(self, form: Mapping[str, list[str]]) -> dict:
        token = one(form, "refresh_token")
        if token is None:
            raise OAuthError("invalid_request", "refresh_token is missing")
        record = self.pool.refresh_tokens.get(token_digest(token))
        try:
            # A new refresh token too when the app client rotates them, as Cognito's endpoint does.
            result = self.refresh.renewed(token, rotate=True)
        except CognitoFault as fault:
            raise OAuthError("invalid_grant", fault.message) from None
        answer = {"access_token": result["AccessToken"], "token_type": "Bearer", "expires_in": result["ExpiresIn"]}
        if "RefreshToken" in result:
            answer["refresh_token"] = result["RefreshToken"]
        if "scope" not in record or "openid" in record["scope"].split():  # the API's tokens always had one
            answer["id_token"] = result["IdToken"]
        return answer

    # --- userInfo --------------------------------------------------------------------------------------

    def user_info(self, authorization: str | None) -> dict:
        """The user's attributes within the access token's scopes (strings, as Cognito gives them)."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise OAuthError("invalid_request", "Bad OAuth2 request at UserInfo Endpoint", 400)
        try:
            user, claims = self.pool.access_token_user_and_claims(token.strip())
        except CognitoFault:
            raise OAuthError("invalid_token", INVALID_TOKEN, 401) from None
        scopes = str(claims.get("scope", "")).split()
        if "openid" not in scopes:
            raise OAuthError("invalid_token", "Access token does not contain openid scope", 401)
        shown = {name for scope in scopes for name in SCOPE_ATTRIBUTES.get(scope, ())}
        answer = {"sub": user.id}
        for name, value in user.attribute_lookup.items():
            if name != "sub" and not name.startswith("dev:") and (not shown or name in shown):
                answer[name] = value
        answer["username"] = user.username
        return answer

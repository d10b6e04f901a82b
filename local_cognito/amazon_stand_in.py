"""A stand-in for Login with Amazon, served by the local Cognito, so federated sign-in works with no AWS account.

It speaks OAuth 2.0 as Amazon's does (developer.amazon.com, "Login with Amazon": the authorization
code grant, and the customer profile), at Amazon's paths under ``/login-with-amazon``:

- ``GET /login-with-amazon/ap/oa`` (Amazon's ``https://www.amazon.com/ap/oa``): ``client_id``,
  ``response_type=code``, ``scope`` (with ``profile``), ``redirect_uri`` and ``state``. An unknown
  client or unregistered redirect_uri gets an error page; other faults go back as ``error``. The
  page asks for a name and an email (there are no Amazon accounts here: anyone can be anyone), then
  sends the browser back with a ``code`` and the ``state``; "Cancel" sends ``error=access_denied``.
- ``POST /login-with-amazon/auth/o2/token`` (``https://api.amazon.com/auth/o2/token``): the code
  (once, five minutes, for the client and redirect_uri it was given for) for an access token
  (``Atza|...``, an hour) and a refresh token; the client authenticates with its id and secret.
- ``GET /login-with-amazon/user/profile`` (``https://api.amazon.com/user/profile``), with the access
  token as a Bearer token: ``{"user_id": "amzn1.account...", "name": ..., "email": ...}``.

The person's ``user_id`` is made from the email (folded as the pool folds emails), so the same email
is the same Amazon account at every sign-in. The one client is the local Cognito's identity provider
(``LOGIN_WITH_AMAZON_CLIENT_ID``, with a secret kept in the data folder), and its one return URL is
the local Cognito's ``/oauth2/idpresponse``. Codes and tokens are in memory only. The page is in
the browser's language, English or French (``page_languages.py``).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import secrets
import urllib.parse
from typing import Any, Callable

import tornado.web
from tornado.escape import xhtml_escape

from local_cognito import page_languages
from local_cognito.page_languages import _, translated
from server.languages import LANGUAGE_COOKIE, choose
from server.user_names import fold_case

PREFIX = "/login-with-amazon"
AUTHORIZE_PATH = f"{PREFIX}/ap/oa"
TOKEN_PATH = f"{PREFIX}/auth/o2/token"
PROFILE_PATH = f"{PREFIX}/user/profile"
LOGIN_WITH_AMAZON_CLIENT_ID = "amzn1.application-oa2-client.localcognito"
LOGIN_WITH_AMAZON_SECRET = "login-with-amazon-secret"  # the data folder's file with the client's secret
CODE_SECONDS = 300  # Amazon's authorization codes last five minutes
TOKEN_SECONDS = 3600  # and its access tokens an hour
MAX_FIELD_LENGTH = 256
REQUEST_FIELDS = ("client_id", "redirect_uri", "state", "scope", "response_type")  # what the form carries on


def amazon_user_id(email: str) -> str:
    """The Amazon account id of the person with ``email``: shaped like Amazon's, the same every time."""
    digest = hashlib.sha256(fold_case(email).encode()).digest()
    return "amzn1.account." + base64.b32encode(digest).decode().rstrip("=")[:28]


@dataclasses.dataclass
class _Grant:
    redirect_uri: str
    profile: dict
    expires: float


class StandInError(Exception):
    """An OAuth error of the stand-in's JSON endpoints: ``error``, its description, the HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


class AmazonStandIn:
    """The stand-in's one client, its codes and its access tokens."""

    def __init__(self, client_secret: str, redirect_uri: str, clock: Callable[[], float]):
        self.client_id = LOGIN_WITH_AMAZON_CLIENT_ID
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.clock = clock
        self.codes: dict[str, _Grant] = {}
        self.tokens: dict[str, _Grant] = {}

    @staticmethod
    def _digest(value: str) -> str:
        return hashlib.sha256(value.encode()).hexdigest()

    def _forget_expired(self) -> None:
        now = self.clock()
        self.codes = {k: g for k, g in self.codes.items() if g.expires > now}
        self.tokens = {k: g for k, g in self.tokens.items() if g.expires > now}

    def check_client(self, client_id: str | None, redirect_uri: str | None) -> None:
        """The authorize request's client and return URL: the only ones the stand-in knows."""
        if client_id != self.client_id or redirect_uri != self.redirect_uri:
            raise StandInError("invalid_client", "This client or return URL is not registered.")

    def issue_code(self, name: str, email: str) -> str:
        self._forget_expired()
        code = secrets.token_urlsafe(24)
        profile = {"user_id": amazon_user_id(email), "name": name, "email": email}
        self.codes[self._digest(code)] = _Grant(self.redirect_uri, profile, self.clock() + CODE_SECONDS)
        return code

    def token_answer(self, form: dict[str, str], authorization: str | None) -> dict:
        """The token endpoint: an authorization code (used once) for an access token."""
        client_id, secret = form.get("client_id"), form.get("client_secret")
        scheme, _sep, credentials = (authorization or "").partition(" ")
        if scheme.lower() == "basic":
            try:
                client_id, _sep, secret = base64.b64decode(credentials.strip()).decode().partition(":")
            except (ValueError, UnicodeError):
                raise StandInError("invalid_client", "Client authentication failed.", 401) from None
        if client_id != self.client_id or not hmac.compare_digest((secret or "").encode(), self.client_secret.encode()):
            raise StandInError("invalid_client", "Client authentication failed.", 401)
        if form.get("grant_type") != "authorization_code":
            raise StandInError("unsupported_grant_type", "grant_type must be authorization_code.")
        self._forget_expired()
        grant = self.codes.pop(self._digest(form.get("code") or ""), None)
        if grant is None:
            raise StandInError("invalid_grant", "The authorization code is invalid or expired.")
        if form.get("redirect_uri") != grant.redirect_uri:
            raise StandInError("invalid_grant", "redirect_uri is not the one the code was given for.")
        token = "Atza|" + secrets.token_urlsafe(48)
        self.tokens[self._digest(token)] = _Grant(grant.redirect_uri, grant.profile, self.clock() + TOKEN_SECONDS)
        return {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": TOKEN_SECONDS,
            "refresh_token": "Atzr|" + secrets.token_urlsafe(48),
        }

    def profile(self, authorization: str | None) -> dict:
        scheme, _sep, token = (authorization or "").partition(" ")
        grant = self.tokens.get(self._digest(token.strip())) if scheme.lower() == "bearer" else None
        if grant is None or grant.expires <= self.clock():
            raise StandInError("invalid_token", "The access token is invalid or expired.", 401)
        return dict(grant.profile)


# --- over HTTP --------------------------------------------------------------------------------------

STYLE = (
    "body{margin:0;font-family:system-ui,sans-serif;background:#fff;color:#111}"
    "main{max-width:22rem;margin:2rem auto;padding:1.25rem;border:1px solid #8a909b;border-radius:.5rem}"
    "h1{font-size:1.4rem;margin:0 0 .25rem}p.aside{color:#444;font-size:.9rem;margin:0 0 1rem}"
    "label{display:block;margin:.7rem 0 .2rem;font-weight:600}"
    "input{display:block;width:100%;box-sizing:border-box;padding:.5rem;font:inherit;border:1px solid #6b7280;"
    "border-radius:.25rem}button{margin-top:1rem;width:100%;padding:.6rem;font:inherit;font-weight:600;"
    "background:#febd69;border:1px solid #a88734;border-radius:.25rem;color:#111;cursor:pointer}"
    "a{color:#0f5ea8}.cancel{display:block;margin-top:1rem;text-align:center}"
)


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="{page_languages.current()}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{xhtml_escape(title)}</title><style>{STYLE}</style></head><body><main>"
        f"<h1>{xhtml_escape(title)}</h1>{body}</main></body></html>"
    )


class _StandInHandler(tornado.web.RequestHandler):
    def initialize(self, stand_in: AmazonStandIn) -> None:
        self.stand_in = stand_in

    def prepare(self) -> None:
        # Amazon's page is in the browser's language (English or French here).
        page_languages.use(choose(self.request.headers.get("Accept-Language"), self.get_cookie(LANGUAGE_COOKIE)))

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")


class AuthorizeHandler(_StandInHandler):
    """Amazon's sign-in page: a name and an email, then back to the client with a code."""

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("X-Frame-Options", "DENY")
        self.set_header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        )

    def _request(self, arguments: Callable[[str], Any]) -> tuple[str, str]:
        """(redirect_uri, state) of a request the stand-in serves; an error page or redirect otherwise."""
        redirect_uri = arguments("redirect_uri")
        try:
            self.stand_in.check_client(arguments("client_id"), redirect_uri)
        except StandInError as refused:
            self.set_status(400)
            alert = f'<p role="alert">{xhtml_escape(translated(refused.description))}</p>'
            self.finish(_page("Login with Amazon", alert))
            raise tornado.web.Finish() from None
        state = arguments("state") or ""
        scopes = (arguments("scope") or "").split()
        if arguments("response_type") != "code" or "profile" not in scopes:
            error = "unsupported_response_type" if arguments("response_type") != "code" else "invalid_scope"
            self.redirect(
                self._back(
                    redirect_uri,
                    state,
                    error=error,
                    error_description="response_type must be code and scope must include profile",
                )
            )
            raise tornado.web.Finish()
        return redirect_uri, state

    @staticmethod
    def _back(redirect_uri: str, state: str, **params: str) -> str:
        if state:
            params["state"] = state
        return f"{redirect_uri}?{urllib.parse.urlencode(params)}"

    def get(self) -> None:
        redirect_uri, state = self._request(lambda name: self.get_query_argument(name, None))
        # The request travels on with the form, as it came.
        kept = {name: self.get_query_argument(name, "") for name in REQUEST_FIELDS}
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{xhtml_escape(value)}">' for name, value in kept.items()
        )
        cancel = self._back(
            redirect_uri, state, error="access_denied", error_description="The person cancelled the sign-in."
        )
        self.finish(
            _page(
                "Login with Amazon",
                (
                    f'<p class="aside">{xhtml_escape(_("A stand-in on this computer: any name and email sign in."))}</p>'
                    f'<form method="post" action="{AUTHORIZE_PATH}">{self.xsrf_form_html()}{hidden}'
                    f'<label for="name">{xhtml_escape(_("Your name"))}</label>'
                    f'<input id="name" name="name" autocomplete="name" required maxlength="{MAX_FIELD_LENGTH}">'
                    f'<label for="email">{xhtml_escape(_("Email"))}</label>'
                    f'<input id="email" name="email" type="email" autocomplete="email" required '
                    f'maxlength="{MAX_FIELD_LENGTH}">'
                    f'<button type="submit">{xhtml_escape(_("Sign in and share your profile"))}</button></form>'
                    f'<a class="cancel" href="{xhtml_escape(cancel)}">{xhtml_escape(_("Cancel"))}</a>'
                ),
            )
        )

    def post(self) -> None:
        redirect_uri, state = self._request(lambda name: self.get_body_argument(name, None))
        name = self.get_body_argument("name", "").strip()[:MAX_FIELD_LENGTH]
        email = self.get_body_argument("email", "").strip()[:MAX_FIELD_LENGTH]
        if not name or "@" not in email:
            self.set_status(400)
            self.finish(
                _page(
                    "Login with Amazon", f'<p role="alert">{xhtml_escape(_("Enter a name and an email address."))}</p>'
                )
            )
            return
        self.redirect(self._back(redirect_uri, state, code=self.stand_in.issue_code(name, email), scope="profile"))


class _JsonHandler(_StandInHandler):
    def check_xsrf_cookie(self) -> None:  # an API for the client's server, not a form
        pass

    def answer(self, make: Callable[[], dict]) -> None:
        self.set_header("Content-Type", "application/json;charset=UTF-8")
        try:
            body = make()
        except StandInError as refused:
            self.set_status(refused.status)
            body = {"error": refused.error, "error_description": refused.description}
        self.finish(json.dumps(body))


class TokenHandler(_JsonHandler):
    def post(self) -> None:
        form = {name: values[-1].decode("utf-8", "replace") for name, values in self.request.body_arguments.items()}
        self.answer(lambda: self.stand_in.token_answer(form, self.request.headers.get("Authorization")))


class ProfileHandler(_JsonHandler):
    def get(self) -> None:
        self.answer(lambda: self.stand_in.profile(self.request.headers.get("Authorization")))


def stand_in_routes(stand_in: AmazonStandIn) -> list:
    return [
        (AUTHORIZE_PATH, AuthorizeHandler, {"stand_in": stand_in}),
        (TOKEN_PATH, TokenHandler, {"stand_in": stand_in}),
        (PROFILE_PATH, ProfileHandler, {"stand_in": stand_in}),
    ]

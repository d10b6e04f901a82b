"""Hosted-UI sign-in for browsers: ``GET /login``, ``/callback``, ``/logout`` and ``/me``.

``/login`` sends the browser to Cognito's hosted UI with the authorization-code flow, PKCE (S256), a
random ``state`` and a ``nonce``, which travel to ``/callback`` in a short-lived signed cookie together
with where to go afterwards. ``/callback`` checks the state, exchanges the code, verifies the id token
(signature, issuer, audience, ``token_use``, expiry, nonce) and the access token, and starts the
browser session (``server.browser_session``) with the refresh token in the refresh cookie. Errors are
shown as a page to browsers and as JSON to everything else, and never start a browser session.
"""

from __future__ import annotations

import hmac
import html
import re
import secrets
from typing import Any

from server.answers import Answer
from server.browser_session import BROWSER_SESSION_COOKIE, Person
from server.call import Call
from server.cookies import host_cookie_header
from server.endpoint import JsonHandler, guarded
from server.errors import ApiError
from server.languages import DEFAULT_LANGUAGE, phrase
from server.oauth import authorize_url, exchange_code, logout_url, new_pkce
from server.page_identity import PASSWORD_POLICY
from server.refresh_cookie import REFRESH_COOKIE, StoredRefreshToken
from server.route_description import COGNITO_TROUBLE, SET_COOKIE_HEADER, Operation, json_answer, page_answer
from server.services import OAUTH_STATE_COOKIE, OAUTH_STATE_MINUTES
from handlers.page import set_page_headers
from handlers.sign_in import revoke_refresh_token

PASSWORD_POLICY_SCHEMA = {
    "type": "object",
    "description": "The pool's password rules, as the page lists them.",
    "properties": {
        "min_length": {"type": "integer"},
        "require_lowercase": {"type": "boolean"},
        "require_uppercase": {"type": "boolean"},
        "require_numbers": {"type": "boolean"},
        "require_symbols": {"type": "boolean"},
    },
    "required": ["min_length", "require_lowercase", "require_uppercase", "require_numbers", "require_symbols"],
    "additionalProperties": False,
}
PROVIDER = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_TEXT = {"type": "string"}


def redirect_answer(description: str) -> dict:
    """A redirect, for /openapi.json: where to, and the cookies it sets or clears."""
    return {
        "description": description,
        "headers": {
            "Location": {"description": "Where the browser goes next.", "required": True, "schema": _TEXT},
            "Set-Cookie": SET_COOKIE_HEADER,
        },
    }


def safe_next(value: str | None) -> str:
    """A path on this site to go to after sign-in. Absolute URLs are refused, because following one
    would make /login an open redirect; so are ``//host`` and ``/\\host``, which browsers read as one."""
    if not value:
        return "/"
    if (
        not value.startswith("/")
        or value.startswith(("//", "/\\"))
        or "\\" in value
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)
        or len(value) > 2000
    ):
        raise ApiError("InvalidNext")
    return value


class HostedUiHandler(JsonHandler):
    """Errors as a short page for browsers, JSON for scripts."""

    def check_hosted_ui(self) -> None:
        if not self.services.config.hosted_ui:
            raise ApiError("HostedUiOff")

    def wants_html(self) -> bool:
        return "text/html" in self.request.headers.get("Accept", "")

    def write_api_error(self, error: ApiError) -> None:
        if not self.wants_html():
            super().write_api_error(error)
            return
        self.set_status(error.status)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        title = phrase("Sign-in problem")
        self.finish(
            f"<!doctype html><html lang={self.language}><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width, initial-scale=1'>"
            f"<title>{title}</title><h1>{title}</h1><p>{html.escape(error.message)}</p>"
            f"<p><a href='/login'>{phrase('Sign in again')}</a> {phrase('or')} "
            f"<a href='/'>{phrase('go to the home page')}</a>.</p>"
            "<p><small>"
            + html.escape(phrase("Error {code}, request {request_id}", code=error.code, request_id=self.request_id))
            + "</small></p>"
        )


class LoginHandler(HostedUiHandler):
    openapi = {
        "get": Operation(
            "Sign in through the hosted UI",
            "hosted UI",
            {
                "302": redirect_answer(
                    "To the hosted UI's `/oauth2/authorize` (PKCE S256, `state`, `nonce`); the "
                    f"state travels in `{OAUTH_STATE_COOKIE}`."
                )
            },
            errors=("InvalidRequest", "InvalidNext", "InvalidProvider", "HostedUiOff"),
            query=(
                (
                    "provider",
                    "An identity provider configured on the app client, e.g. `LoginWithAmazon`: go straight to it.",
                    {"type": "string", "pattern": PROVIDER.pattern},
                ),
                ("next", "A path of this site to land on afterwards (default `/`); never an absolute URL.", _TEXT),
            ),
            html_errors=True,
        )
    }

    @guarded
    async def get(self) -> None:
        self.check_hosted_ui()
        provider = self.get_query_argument("provider", None)
        if provider is not None and not PROVIDER.match(provider):
            raise ApiError("InvalidProvider")
        next_path = safe_next(self.get_query_argument("next", None))
        verifier, challenge = new_pkce()
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        cookie = self.services.oauth_state.encode({"s": state, "v": verifier, "n": nonce, "x": next_path})
        self.add_header("Set-Cookie", host_cookie_header(OAUTH_STATE_COOKIE, cookie, OAUTH_STATE_MINUTES * 60, "Lax"))
        # The hosted UI in the person's language (Cognito's managed login takes ``lang``).
        lang = None if self.language == DEFAULT_LANGUAGE else self.language
        self.redirect(
            authorize_url(
                self.services.config, state=state, code_challenge=challenge, nonce=nonce, provider=provider, lang=lang
            )
        )


class CallbackHandler(HostedUiHandler):
    openapi = {
        "get": Operation(
            "Where the hosted UI sends the browser back",
            "hosted UI",
            {"302": redirect_answer("Signed in: the session and refresh cookies are set; on to `next`.")},
            errors=(
                "InvalidRequest",
                "SignInStateMismatch",
                "SignInFailed",
                "InvalidToken",
                "TokenExpired",
                "HostedUiOff",
                *COGNITO_TROUBLE,
                "LocalStorageUnavailable",
            ),
            query=(
                ("code", "The authorization code.", _TEXT),
                ("state", "The state `/login` sent.", _TEXT),
                ("error", "The hosted UI's refusal, if it refused.", _TEXT),
                ("error_description", "Its explanation (not shown).", _TEXT),
            ),
            cookies=(OAUTH_STATE_COOKIE,),
            html_errors=True,
        )
    }

    @guarded
    async def get(self) -> None:
        self.check_hosted_ui()
        call = self.new_call()
        # Whatever happens next, this sign-in attempt is over.
        self.add_header("Set-Cookie", host_cookie_header(OAUTH_STATE_COOKIE, "", 0, "Lax"))
        started = self.services.oauth_state.decode(self.get_cookie(OAUTH_STATE_COOKIE) or "")
        state = self.get_query_argument("state", "")
        if not isinstance(started, dict) or not hmac.compare_digest(str(started.get("s", "")).encode(), state.encode()):
            raise ApiError("SignInStateMismatch")
        if self.get_query_argument("error", None) is not None:
            raise ApiError("SignInFailed")  # the person cancelled, or Cognito refused the request
        code = self.get_query_argument("code", "")
        if not code:
            raise ApiError("SignInFailed")
        tokens = await exchange_code(self.services.config, code, started["v"])
        identity = await self.services.tokens.verify_id_token(tokens["id_token"], nonce=started["n"])
        access = await self.services.tokens.verify_access_token(tokens["access_token"])
        if access["sub"] != identity["sub"]:
            raise ApiError("InvalidToken")
        call.refresh_cookie.store(
            StoredRefreshToken.of_sign_in(tokens["refresh_token"], access, tokens.get("expires_in"))
        )
        call.browser_session.start(Person.from_id_token(identity), tokens["access_token"], int(tokens["expires_in"]))
        self.add_cookie_headers(call)
        self.redirect(started["x"])


# What a link from another site to /logout shows: this site's own button, whose POST signs out.
CONFIRM_SIGN_OUT_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8>"
    "<meta name=viewport content='width=device-width, initial-scale=1'>"
    "<link rel=icon href='data:,'><title>Sign out?</title><h1>Sign out?</h1>"
    "<p>A link from another page brought you here. To sign out of this site, press the button.</p>"
    "<form method=post action=/logout><button type=submit>Sign out</button></form>"
    "<p><a href='/'>Stay signed in</a></p>"
)
UNTRUSTED_SIGN_OUT = "Only this site's own sign-out button can sign you out. Open /logout and press it there."


class LogoutHandler(HostedUiHandler):
    """Signing out of this site and of the hosted UI. A navigation from this site's own pages (or
    the address typed) signs out at once; one from another site, which any page can make with a
    link, only shows this site's own "Sign out" button, whose POST does it."""

    allowed_methods = "GET, POST"
    openapi = {
        "get": Operation(
            "Sign out, here and at the hosted UI",
            "hosted UI",
            {
                "302": redirect_answer(
                    "From this site's own pages (or the address typed): the refresh token is "
                    "revoked, both cookies cleared; on to the hosted UI's `/logout`."
                ),
                "200": page_answer(
                    "From another site's link (Sec-Fetch-Site not same-origin, or without the Strict "
                    'refresh cookie): a page of this site whose "Sign out" button posts to `/logout`; '
                    "nothing is signed out yet."
                ),
            },
            errors=("InvalidRequest", "HostedUiOff"),
            cookies=(REFRESH_COOKIE, BROWSER_SESSION_COOKIE),
            html_errors=True,
        ),
        "post": Operation(
            'Sign out, from this site\'s own "Sign out" button',
            "hosted UI",
            {
                "303": redirect_answer(
                    "The refresh token is revoked, both cookies cleared; on to the hosted UI's `/logout`."
                )
            },
            errors=("UntrustedOrigin", "HostedUiOff"),
            cookies=(REFRESH_COOKIE, BROWSER_SESSION_COOKIE),
            html_errors=True,
        ),
    }

    @guarded
    async def get(self) -> None:
        self.check_hosted_ui()
        call = self.new_call()
        # The Strict refresh cookie missing while the session is here: a navigation from another
        # site in a browser that does not send Sec-Fetch-Site.
        if not call.trusted_origin or (call.browser_session.present and not call.refresh_cookie.present):
            set_page_headers(self)  # no script runs; the form may post to this site only
            self.set_header("Content-Type", "text/html; charset=UTF-8")
            self.finish(CONFIRM_SIGN_OUT_PAGE)
            return
        await self._sign_out(call, 302)

    @guarded
    async def post(self) -> None:
        self.check_hosted_ui()
        call = self.new_call()
        if not call.trusted_origin:
            raise ApiError("UntrustedOrigin", UNTRUSTED_SIGN_OUT)  # the cookies are left as they are
        await self._sign_out(call, 303)

    async def _sign_out(self, call: Call, status: int) -> None:
        try:
            await revoke_refresh_token(call)
        except ApiError:
            pass  # Cognito unreachable: the browser is signed out all the same
        call.clear_cookies()
        self.add_cookie_headers(call)
        self.redirect(logout_url(self.services.config), status=status)


class MeHandler(HostedUiHandler):
    """What the page needs: whether someone is signed in, and who."""

    openapi = {
        "get": Operation(
            "Who is signed in, for the page",
            "hosted UI",
            {
                "200": json_answer(
                    "`signed_in`, and when someone is: their email, nickname and groups; whether the "
                    "request carried the refresh cookie (never its value: `refresh` can then answer "
                    "tokens); the password rules the page lists.",
                    {
                        "type": "object",
                        "properties": {
                            "signed_in": {"type": "boolean"},
                            "email": {"type": ["string", "null"]},
                            "nickname": {"type": ["string", "null"]},
                            "groups": {"type": "array", "items": {"type": "string"}},
                            "refresh_cookie": {"type": "boolean"},
                            "password_policy": PASSWORD_POLICY_SCHEMA,
                        },
                        "required": ["signed_in", "refresh_cookie", "password_policy"],
                        "additionalProperties": False,
                    },
                    headers={"Set-Cookie": SET_COOKIE_HEADER},
                )
            },
            errors=("InvalidToken", "TokenExpired", *COGNITO_TROUBLE),
            cookies=(REFRESH_COOKIE, BROWSER_SESSION_COOKIE),
            html_errors=True,
        )
    }

    @guarded
    async def get(self) -> None:
        call = self.new_call()
        try:
            person = await call.browser_session.person()
        finally:
            self.add_cookie_headers(call)  # a refused renewal clears the cookies, and says why
        # Whether the browser holds a refresh cookie (never its value): the page asks `refresh` for
        # tokens only then, so a signed-out visit makes no request that answers an error status.
        answer: dict[str, Any] = {
            "signed_in": person is not None,
            "refresh_cookie": call.refresh_cookie.kept,
            "password_policy": PASSWORD_POLICY.answer(),
        }
        if person is not None:
            answer.update(email=person.email, nickname=person.nickname, groups=list(person.groups))
        self.write_answer(Answer(200, answer))


ROUTES = [
    (r"/login", LoginHandler),
    (r"/callback", CallbackHandler),
    (r"/logout", LogoutHandler),
    (r"/me", MeHandler),
]

"""The hosted UI over HTTP, on the local Cognito's own host and port, at Cognito's paths.

- ``GET /oauth2/authorize``: checks the request; with a hosted-UI session, straight back to the app
  with a code, otherwise on to the sign-in page (``/login``, with the same parameters, as Cognito).
- ``GET /login`` shows the form; ``POST /login``, ``/login/mfa`` and ``/login/new-password`` take
  each step of a sign-in.
- ``/signup`` and ``/confirm``: sign-up and its confirmation code (``hosted_sign_up.py``).
- ``/forgotPassword`` and ``/confirmforgotPassword``: the password reset (``hosted_password_reset.py``).
- ``/oauth2/idpresponse``: back from an identity provider (``hosted_federation.py``).
- ``POST /oauth2/token``, ``GET``/``POST /oauth2/userInfo``: JSON, for the app's server
  (``oauth_endpoints.py``).
- ``GET /logout``: ends the hosted-UI session, then back to a sign-out URL or the sign-in page.
- ``GET /{pool}/.well-known/openid-configuration``: OpenID Connect discovery.
- ``GET /favicon.svg``: the app's icon (``pages.Branding``), which the pages show.

Every form carries the authorize request in one hidden field, ``flow``, signed with a key kept in
the data folder (so it cannot be altered, and a step cannot be replayed as another), and Tornado's
``_xsrf`` token, whose cookie (HttpOnly, SameSite=Lax) a cross-site form post does not carry. The
hosted-UI session is the ``cognito`` cookie (HttpOnly, SameSite=Lax, Path=/, one hour), signed with
the same key and naming a session the pool keeps in memory. Faults become answers in one place per
kind: ``answers_with_pages`` for the browser's pages, ``JsonHandler.fail`` for the JSON endpoints.
Each request is one transaction of the pool (``pool_handler.py``): a page or token that follows a
change is sent only once the change is stored, and a change that cannot be stored answers 503.
The pages are in English or French (``page_languages.py``): ``PageHandler.prepare`` picks the request's.
"""

from __future__ import annotations

import datetime
import functools
import re
import urllib.parse
from typing import Any, Callable

from moto.cognitoidp.models import CognitoIdpUser

from local_cognito import page_languages, pages
from local_cognito.amazon_stand_in import AUTHORIZE_PATH, LOGIN_WITH_AMAZON_SECRET, AmazonStandIn
from local_cognito.faults import CognitoFault, StorageUnavailable
from local_cognito.federation import LOGIN_WITH_AMAZON
from local_cognito.oauth.errors import ErrorPage, RedirectError
from local_cognito.page_languages import _, translated
from local_cognito.oauth.operations import HOSTED_SESSION_SECONDS
from local_cognito.oauth.parameters import as_lists, one
from local_cognito.oauth.records import AuthorizeRequest, SignInStep
from local_cognito.oauth_endpoints import OpenIdConfigurationHandler, TokenHandler, UserInfoHandler
from local_cognito.password_work import new_password_form_work, sign_in_form_work
from local_cognito.passwords import Work
from local_cognito.pool_handler import UNSAVED, PoolHandler
from local_cognito.service import LocalUserPool
from server.languages import DEFAULT_LANGUAGE, LANGUAGE_COOKIE, LANGUAGES, choose
from server.signing import SignedValues


SESSION_COOKIE = "cognito"  # the name Cognito's own hosted UI uses
FORM_SECONDS = 3600  # how long a sign-in or sign-up form stays usable
EXPIRED_FORM = "This page has expired or was changed. Go back to the app and sign in again."
HOSTED_UI_SECRET = "hosted-ui-secret"  # the data folder's file with the key of its forms and cookie
IDP_RESPONSE_PATH = "/oauth2/idpresponse"  # where a provider sends the browser back (hosted_federation.py)
PROVIDER_STEP = "idp"  # the signed state of a request on its way through a provider
SPACES = re.compile(r"\s+")


class HostedUi:
    """What the hosted UI's handlers share: the pool, the URL it is served at, and the signers of
    its form state and session cookie (one key, kept in the data folder; distinct names, so one
    cannot pass for the other)."""

    def __init__(self, pool: LocalUserPool, base_url: str, branding: pages.Branding | None = None):
        self.pool = pool
        self.base_url = base_url
        self.branding = branding or pages.Branding()
        key = (pool.store.secret(HOSTED_UI_SECRET),)
        self.forms = SignedValues(key, "local-cognito-form", FORM_SECONDS / 86400, clock=pool.clock)
        self.sessions = SignedValues(key, SESSION_COOKIE, HOSTED_SESSION_SECONDS / 86400, clock=pool.clock)
        self.stand_in = AmazonStandIn(
            pool.store.secret(LOGIN_WITH_AMAZON_SECRET), base_url + IDP_RESPONSE_PATH, pool.clock
        )

    def provider_url(self, request: AuthorizeRequest) -> str:
        """The provider's sign-in page, with the app's request in a signed ``state``."""
        state = self.forms.encode({"step": PROVIDER_STEP, "request": request.params()})
        return (
            self.base_url
            + AUTHORIZE_PATH
            + "?"
            + urllib.parse.urlencode(
                {
                    "client_id": self.stand_in.client_id,
                    "response_type": "code",
                    "scope": "profile",
                    "redirect_uri": self.stand_in.redirect_uri,
                    "state": state,
                }
            )
        )


def _with_query(path: str, params: dict[str, str]) -> str:
    """A page of the hosted UI, with the authorize request and the page's language (``lang``)."""
    if page_languages.current() != DEFAULT_LANGUAGE:
        params = dict(params, lang=page_languages.current())
    return f"{path}?{urllib.parse.urlencode(params)}"


def answers_with_pages(method: Callable) -> Callable:
    """Faults of a page handler: back to the app's redirect_uri, or an error page."""

    @functools.wraps(method)
    def handle(self: PageHandler, *args: Any) -> None:
        try:
            method(self, *args)
        except RedirectError as redirect:
            self.redirect(redirect.location)
        except ErrorPage as fault:
            self.show(pages.error(fault.message), fault.status)

    return handle


class PageHandler(PoolHandler):
    """A page for the browser: its headers, its form state, and the hosted-UI session."""

    ui: HostedUi  # in place of tornado's ``ui`` namespace, which the pages do not use

    def initialize(self, ui: HostedUi) -> None:
        self.ui = ui
        self.pool = ui.pool

    async def prepare(self) -> None:
        self.use_language()
        await super().prepare()

    def use_language(self) -> None:
        """The page's language: the request's ``lang`` (query or form), the page's cookie, the browser's."""
        given = self.get_argument("lang", None)
        page_languages.use(
            given
            if given in LANGUAGES
            else choose(self.request.headers.get("Accept-Language"), self.get_cookie(LANGUAGE_COOKIE))
        )

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        # No form-action: a form's answer redirects to the app, which that directive would block.
        self.set_header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        )

    def show(self, page: pages.Page, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(self.rendered(page))

    def rendered(self, page: pages.Page) -> str:
        """The page in the app's look, with a way back to the app: the configured home, else the
        app client's first sign-out URL."""
        home = self.ui.branding.home
        if home is None:
            logout_urls = self.pool.oauth.oauth_settings.logout_urls
            home = logout_urls[0] if logout_urls else None
        return pages.render(page, self.ui.branding, home)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.use_language()  # a refused form (XSRF) is answered before ``prepare``
        # 403 is Tornado's answer to a form without its _xsrf cookie and field.
        message = EXPIRED_FORM if status_code == 403 else "Something went wrong. Go back to the app and try again."
        self.show(pages.error(message), status_code)

    def write_storage_unavailable(self, failure: StorageUnavailable) -> None:
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.write(self.rendered(pages.error(UNSAVED)))

    def query(self) -> dict[str, list[str]]:
        try:
            return {
                name: [value.decode("utf-8") for value in values]
                for name, values in self.request.query_arguments.items()
            }
        except UnicodeDecodeError:
            raise ErrorPage("The request's parameters are not UTF-8.") from None

    # --- the signed form state ----------------------------------------------------------------------

    def flow(self, step: str, request: AuthorizeRequest, **extra: str) -> str:
        return self.ui.forms.encode({"step": step, "request": request.params(), **extra})

    def posted_form(self, step: str) -> bool:
        """Whether a form of ``step`` was posted (its flow checks out): scrypt is spent on no other."""
        payload = self.ui.forms.decode(self.get_body_argument("flow", "")) if self.request.method == "POST" else None
        return isinstance(payload, dict) and payload.get("step") == step

    def posted_flow(self, step: str) -> tuple[AuthorizeRequest, dict]:
        """The authorize request a form carries, checked again, and the rest of its state."""
        payload = self.ui.forms.decode(self.get_body_argument("flow", ""))
        if not isinstance(payload, dict) or payload.get("step") != step or not isinstance(payload.get("request"), dict):
            raise ErrorPage(EXPIRED_FORM)
        return self.pool.oauth.authorize_request(as_lists(payload["request"])), payload

    # --- the hosted-UI session ----------------------------------------------------------------------

    def _session_id(self) -> str | None:
        cookie = self.get_cookie(SESSION_COOKIE)
        payload = self.ui.sessions.decode(cookie) if cookie else None
        return payload.get("sid") if isinstance(payload, dict) else None

    def resume_session(self) -> tuple[CognitoIdpUser, int] | None:
        """The browser's signed-in user, whose session (and cookie) then lasts another hour."""
        session_id = self._session_id()
        signed_in = self.pool.oauth.resume_hosted_session(session_id)
        if signed_in is not None:
            self._set_session_cookie(session_id)
        return signed_in

    def _set_session_cookie(self, session_id: str) -> None:
        self.set_cookie(
            SESSION_COOKIE,
            self.ui.sessions.encode({"sid": session_id}),
            path="/",
            max_age=HOSTED_SESSION_SECONDS,
            httponly=True,
            samesite="Lax",
        )

    def end_session(self) -> None:
        self.pool.oauth.end_hosted_session(self._session_id())
        if self.get_cookie(SESSION_COOKIE) is not None:
            self.set_cookie(
                SESSION_COOKIE,
                "",
                path="/",
                max_age=0,
                httponly=True,
                samesite="Lax",
                expires=datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC),
            )

    def sign_in_done(self, request: AuthorizeRequest, user: CognitoIdpUser) -> None:
        """A new hosted-UI session (replacing any in this browser), and back to the app with a code."""
        self.pool.oauth.end_hosted_session(self._session_id())
        auth_time = int(self.pool.clock())
        self._set_session_cookie(self.pool.oauth.start_hosted_session(user, auth_time))
        self.redirect(request.redirect(code=self.pool.oauth.issue_code(request, user, auth_time)))

    # --- the pages of a sign-in ---------------------------------------------------------------------

    def show_sign_in(
        self,
        request: AuthorizeRequest,
        *,
        email: str = "",
        error: str | None = None,
        note: str | None = None,
        status: int = 200,
    ) -> None:
        providers = [name for name in self.pool.oauth.oauth_settings.identity_providers if name != "COGNITO"]
        self.show(
            pages.sign_in(
                xsrf=self.xsrf_form_html(),
                flow=self.flow("password", request),
                request=request.params(),
                email=email,
                error=error,
                note=note,
                providers=providers,
            ),
            status,
        )

    def show_confirm(self, flow: str, *, error: str | None = None, note: str | None = None, status: int = 200) -> None:
        self.show(pages.confirm(xsrf=self.xsrf_form_html(), flow=flow, error=error, note=note), status)

    def continue_sign_in(self, request: AuthorizeRequest, step: SignInStep) -> None:
        xsrf = self.xsrf_form_html()
        if step.next == "done":
            self.sign_in_done(request, step.user)
        elif step.next == "mfa":
            self.show(pages.mfa(xsrf=xsrf, flow=self.flow("mfa", request, session=step.session)))
        elif step.next == "new_password":
            self.show(
                pages.new_password(
                    xsrf=xsrf,
                    flow=self.flow("new_password", request, session=step.session),
                    attributes=self.pool.hosted_sign_in.attributes_to_ask(step.user),
                )
            )
        else:  # "confirm": the password was right, the account is not confirmed yet
            self.show_confirm(
                self.flow("confirm", request, sub=step.user.id),
                note=_("This account is not confirmed yet: enter the code we emailed, or ask for a new one."),
            )


class AuthorizeHandler(PageHandler):
    @answers_with_pages
    def get(self) -> None:
        params = self.query()
        request = self.pool.oauth.authorize_request(params)
        self.pool.oauth.check_identity_provider(params)
        if one(params, "identity_provider") == LOGIN_WITH_AMAZON:  # straight to the provider
            self.redirect(self.ui.provider_url(request))
            return
        signed_in = self.resume_session()
        if signed_in is None:
            self.redirect(_with_query("/login", request.params()))
            return
        user, auth_time = signed_in
        self.redirect(request.redirect(code=self.pool.oauth.issue_code(request, user, auth_time)))


class LoginHandler(PageHandler):
    def password_work(self) -> Work | None:
        return (
            sign_in_form_work(
                self.pool, self.get_body_argument("email", "").strip(), self.get_body_argument("password", "")
            )
            if self.posted_form("password")
            else None
        )

    @answers_with_pages
    def get(self) -> None:
        self.show_sign_in(self.pool.oauth.authorize_request(self.query()))

    @answers_with_pages
    def post(self) -> None:
        request, _flow_state = self.posted_flow("password")
        email = self.get_body_argument("email", "").strip()
        try:
            step = self.pool.hosted_sign_in.password_sign_in(email, self.get_body_argument("password", ""))
        except CognitoFault as fault:  # wrong password and unknown user read the same
            self.show_sign_in(request, email=email, error=fault.message, status=400)
            return
        self.continue_sign_in(request, step)


class MfaHandler(PageHandler):
    @answers_with_pages
    def post(self) -> None:
        request, state = self.posted_flow("mfa")
        code = SPACES.sub("", self.get_body_argument("code", ""))
        try:
            step = self.pool.hosted_sign_in.answer_totp(state.get("session"), code)
        except CognitoFault as fault:
            if fault.name in ("CodeMismatchException", "InvalidParameterException"):
                self.show(
                    pages.mfa(xsrf=self.xsrf_form_html(), flow=self.get_body_argument("flow"), error=fault.message), 400
                )
            else:  # the sign-in session expired, was used up, or the user can no longer sign in
                self.show_sign_in(
                    request, error=_("{message} Sign in again.", message=translated(fault.message)), status=400
                )
            return
        self.continue_sign_in(request, step)


class NewPasswordHandler(PageHandler):
    def password_work(self) -> Work | None:
        return (
            new_password_form_work(self.get_body_argument("password", "")) if self.posted_form("new_password") else None
        )

    @answers_with_pages
    def post(self) -> None:
        request, state = self.posted_flow("new_password")
        names = self.pool.hosted_sign_in.attributes_to_ask_in(state.get("session"))
        values = {name: self.get_body_argument(name, "").strip() for name in names}
        try:
            step = self.pool.hosted_sign_in.set_new_password(
                state.get("session"), self.get_body_argument("password", ""), values
            )
        except CognitoFault as fault:
            if fault.name in ("InvalidPasswordException", "InvalidParameterException"):
                self.show(
                    pages.new_password(
                        xsrf=self.xsrf_form_html(),
                        flow=self.get_body_argument("flow"),
                        attributes=names,
                        values=values,
                        error=fault.message,
                    ),
                    400,
                )
            else:
                self.show_sign_in(
                    request, error=_("{message} Sign in again.", message=translated(fault.message)), status=400
                )
            return
        self.continue_sign_in(request, step)


class FaviconHandler(PageHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "image/svg+xml")
        self.set_header("Cache-Control", "max-age=3600")
        self.finish(self.ui.branding.icon)


class LogoutHandler(PageHandler):
    @answers_with_pages
    def get(self) -> None:
        params = self.query()
        logout_uri = self.pool.oauth.check_logout_uri(params)
        # Without a logout_uri, back to the sign-in page with the authorize parameters (Cognito's
        # "sign out and sign in as someone else").
        target = logout_uri or _with_query("/login", self.pool.oauth.authorize_request(params).params())
        self.end_session()
        self.redirect(target)


def hosted_ui_routes(ui: HostedUi) -> list:
    return [
        (r"/oauth2/authorize", AuthorizeHandler, {"ui": ui}),
        (r"/oauth2/token", TokenHandler, {"ui": ui}),
        (r"/oauth2/userInfo", UserInfoHandler, {"ui": ui}),
        (r"/login", LoginHandler, {"ui": ui}),
        (r"/login/mfa", MfaHandler, {"ui": ui}),
        (r"/login/new-password", NewPasswordHandler, {"ui": ui}),
        (r"/logout", LogoutHandler, {"ui": ui}),
        (r"/favicon\.svg", FaviconHandler, {"ui": ui}),
        (r"/([^/]+)/\.well-known/openid-configuration", OpenIdConfigurationHandler, {"ui": ui}),
    ]

"""The hosted UI's password reset: Cognito's ``/forgotPassword`` and ``/confirmforgotPassword``.

``GET /forgotPassword`` (the sign-in page's "Forgot your password?", with the authorize parameters,
as Cognito's) asks for the email; ``POST /forgotPassword`` sends a reset code as ForgotPassword sends
it (the same answer for an unknown email); ``POST /confirmforgotPassword`` takes the code and a new
password, then shows the sign-in page again. The pages and the handlers' common parts are
``hosted_ui.py``'s.
"""

from __future__ import annotations

from local_cognito import pages
from local_cognito.faults import CognitoFault
from local_cognito.hosted_ui import SPACES, HostedUi, PageHandler, answers_with_pages
from local_cognito.oauth.records import AuthorizeRequest
from local_cognito.page_languages import _
from local_cognito.password_work import reset_form_work
from local_cognito.passwords import Work


class ForgotPasswordHandler(PageHandler):
    """Cognito's /forgotPassword: the email (a reset code is sent as ForgotPassword sends it, the
    same answer for an unknown email), then the code and the new password."""

    def show_forgot(
        self, request: AuthorizeRequest, *, email: str = "", error: str | None = None, status: int = 200
    ) -> None:
        self.show(
            pages.forgot_password(
                xsrf=self.xsrf_form_html(),
                flow=self.flow("forgot", request),
                request=request.params(),
                email=email,
                error=error,
            ),
            status,
        )

    @answers_with_pages
    def get(self) -> None:
        self.show_forgot(self.pool.oauth.authorize_request(self.query()))

    @answers_with_pages
    def post(self) -> None:
        request, _flow_state = self.posted_flow("forgot")
        email = self.get_body_argument("email", "").strip()
        try:
            self.pool.hosted_sign_in.forgot_password(email)
        except CognitoFault as fault:
            self.show_forgot(request, email=email, error=fault.message, status=400)
            return
        self.show(
            pages.confirm_forgot_password(
                xsrf=self.xsrf_form_html(),
                flow=self.flow("reset", request, email=email),
                request=request.params(),
                email=email,
            )
        )


class ConfirmForgotPasswordHandler(PageHandler):
    def password_work(self) -> Work | None:
        payload = self.ui.forms.decode(self.get_body_argument("flow", ""))
        if not isinstance(payload, dict) or payload.get("step") != "reset":
            return None  # refused by ``post`` before a password is looked at
        return reset_form_work(
            self.pool,
            str(payload.get("email", "")),
            SPACES.sub("", self.get_body_argument("code", "")),
            self.get_body_argument("password", ""),
        )

    @answers_with_pages
    def post(self) -> None:
        request, state = self.posted_flow("reset")
        email = str(state.get("email", ""))
        try:
            self.pool.hosted_sign_in.confirm_forgot_password(
                email, SPACES.sub("", self.get_body_argument("code", "")), self.get_body_argument("password", "")
            )
        except CognitoFault as fault:
            self.show(
                pages.confirm_forgot_password(
                    xsrf=self.xsrf_form_html(),
                    flow=self.get_body_argument("flow"),
                    request=request.params(),
                    email=email,
                    error=fault.message,
                ),
                400,
            )
            return
        self.show_sign_in(request, email=email, note=_("Your password is changed. Sign in with the new one."))


def password_reset_routes(ui: HostedUi) -> list:
    return [
        (r"/forgotPassword", ForgotPasswordHandler, {"ui": ui}),
        (r"/confirmforgotPassword", ConfirmForgotPasswordHandler, {"ui": ui}),
    ]

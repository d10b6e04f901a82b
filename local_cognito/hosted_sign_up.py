"""The hosted UI's sign-up: Cognito's ``/signup`` (the form, then SignUp as the API does it) and
``/confirm`` (the emailed code, or another one), after which the sign-in goes on as after ``/login``.
The pages and the handlers' common parts are ``hosted_ui.py``'s.
"""

from __future__ import annotations

from local_cognito import pages
from local_cognito.faults import CognitoFault
from local_cognito.hosted_ui import SPACES, HostedUi, PageHandler, answers_with_pages
from local_cognito.oauth.records import AuthorizeRequest
from local_cognito.page_languages import _
from local_cognito.password_work import new_account_work
from local_cognito.passwords import Work


class SignUpHandler(PageHandler):
    def show_sign_up(
        self,
        request: AuthorizeRequest,
        *,
        email: str = "",
        values: dict[str, str] | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> None:
        self.show(
            pages.sign_up(
                xsrf=self.xsrf_form_html(),
                flow=self.flow("signup", request),
                request=request.params(),
                email=email,
                values=values,
                required=self.pool.required_attributes,
                error=error,
            ),
            status,
        )

    @answers_with_pages
    def get(self) -> None:
        self.show_sign_up(self.pool.oauth.authorize_request(self.query()))

    def password_work(self) -> Work | None:
        if not self.posted_form("signup"):
            return None
        return new_account_work(
            self.pool, self.get_body_argument("email", "").strip(), self.get_body_argument("password", "")
        )

    @answers_with_pages
    def post(self) -> None:
        request, _flow_state = self.posted_flow("signup")
        email = self.get_body_argument("email", "").strip()
        names = dict.fromkeys(["nickname", *self.pool.required_attributes])
        values = {name: self.get_body_argument(name, "").strip() for name in names}
        try:
            sub, delivery = self.pool.hosted_sign_in.sign_up(email, self.get_body_argument("password", ""), values)
        except CognitoFault as fault:
            self.show_sign_up(request, email=email, values=values, error=fault.message, status=400)
            return
        self.show_confirm(
            self.flow("confirm", request, sub=sub),
            note=_("We emailed a confirmation code to {destination}.", destination=delivery["Destination"]),
        )


class ConfirmHandler(PageHandler):
    @answers_with_pages
    def post(self) -> None:
        request, state = self.posted_flow("confirm")
        flow = self.get_body_argument("flow")
        try:
            if self.get_body_argument("action", "confirm") == "resend":
                delivery = self.pool.hosted_sign_in.resend_code(state.get("sub"))
                self.show_confirm(
                    flow, note=_("We emailed a new code to {destination}.", destination=delivery["Destination"])
                )
                return
            step = self.pool.hosted_sign_in.confirm(
                state.get("sub"), SPACES.sub("", self.get_body_argument("code", ""))
            )
        except CognitoFault as fault:
            self.show_confirm(flow, error=fault.message, status=400)
            return
        self.continue_sign_in(request, step)


def sign_up_routes(ui: HostedUi) -> list:
    return [
        (r"/signup", SignUpHandler, {"ui": ui}),
        (r"/confirm", ConfirmHandler, {"ui": ui}),
    ]

"""The hosted UI's sign-in, sign-up and confirmation steps, with the same rules as the API's.

The password is checked as InitiateAuth USER_PASSWORD_AUTH checks it, the new-password and TOTP
challenges are started and answered as RespondToAuthChallenge answers them (``sign_in.py``), and
sign-up and its confirmation go through SignUp, ConfirmSignUp and ResendConfirmationCode
(``accounts.py``). Each step answers a ``SignInStep``: where the sign-in stands, which the hosted
UI's pages (``hosted_ui.py``) turn into the next page or the redirect back to the app.
"""

from __future__ import annotations

from typing import Any

from moto.cognitoidp.models import CognitoIdpUser, UserStatus

from local_cognito.accounts import AccountOperations
from local_cognito.faults import CognitoFault, not_authorized
from local_cognito.oauth.records import SignInStep
from local_cognito.mfa_methods import methods_on
from local_cognito.pool import SOFTWARE_TOKEN_MFA, AuthSession, UserPool
from local_cognito.schema import USER_ATTRIBUTE_PREFIX, missing
from server.secret_hash import secret_hash
from local_cognito.sign_in import NEW_PASSWORD_REQUIRED, SignInOperations


class HostedSignIn:
    """A hosted-UI sign-in or sign-up, one form at a time."""

    def __init__(self, pool: UserPool, sign_in: SignInOperations, accounts: AccountOperations) -> None:
        self.pool = pool
        self.sign_in = sign_in
        self.accounts = accounts

    def _step_after_password(self, user: CognitoIdpUser) -> SignInStep:
        if self.pool.mfa_enabled(user):
            challenge = self.sign_in.start_challenge(user, SOFTWARE_TOKEN_MFA, {})
            return SignInStep(user, "mfa", challenge["Session"])
        if methods_on(self.pool, user):
            # Codes by text message or email: these pages ask only for an authenticator's, and never
            # let a second factor be skipped.
            raise not_authorized(
                "This account signs in with a code sent by text message or email, which "
                "this sign-in page does not ask for: sign in on the app's own page."
            )
        return SignInStep(user, "done")

    def password_sign_in(self, email: str, password: str) -> SignInStep:
        """The password checked as InitiateAuth USER_PASSWORD_AUTH checks it; CognitoFault as it."""
        user = self.pool.checked_password(email, password)
        if user.status is UserStatus.UNCONFIRMED:
            return SignInStep(user, "confirm")  # the password was right: the page asks for the code
        if user.status is UserStatus.RESET_REQUIRED:
            raise CognitoFault("PasswordResetRequiredException", "Password reset required for the user")
        if user.status is UserStatus.FORCE_CHANGE_PASSWORD:
            step = SignInStep(user, "new_password", self.sign_in.new_password_challenge(user)["Session"])
        else:
            step = self._step_after_password(user)
        self.pool.save()
        return step

    def _challenged_user(self, session_id: Any, challenge: str) -> tuple[CognitoIdpUser, AuthSession]:
        session = self.sign_in.open_session(session_id)
        if session.challenge != challenge:
            raise not_authorized("Invalid session for the user.")
        user = self.pool.users.get(session.sub)
        if user is None:
            raise not_authorized("Invalid session for the user.")
        if not user.enabled:
            session.spent = True
            raise not_authorized("User is disabled.")
        return user, session

    def attributes_to_ask(self, user: CognitoIdpUser) -> list[str]:
        """The required attributes a user choosing a new password must give: those they lack."""
        return missing(self.pool.required_attributes, user.attribute_lookup)

    def attributes_to_ask_in(self, session_id: Any) -> list[str]:
        """The same, for the user of a new-password session (none when it is no longer one)."""
        try:
            return self.attributes_to_ask(self._challenged_user(session_id, NEW_PASSWORD_REQUIRED)[0])
        except CognitoFault:
            return []

    def set_new_password(self, session_id: Any, password: Any, attributes: dict[str, str]) -> SignInStep:
        user, session = self._challenged_user(session_id, NEW_PASSWORD_REQUIRED)
        self.sign_in.set_new_password(
            user, session, password, {USER_ATTRIBUTE_PREFIX + name: value for name, value in attributes.items()}
        )
        step = self._step_after_password(user)
        self.pool.save()
        return step

    def answer_totp(self, session_id: Any, code: Any) -> SignInStep:
        user, session = self._challenged_user(session_id, SOFTWARE_TOKEN_MFA)
        self.sign_in.check_totp_answer(user, session, code)  # no code is accepted twice
        self.pool.save()
        return SignInStep(user, "done")

    def _app_params(self, username: str) -> dict:
        return {
            "ClientId": self.pool.client_id,
            "Username": username,
            "SecretHash": secret_hash(username, self.pool.client_id, self.pool.client_secret),
        }

    def sign_up(self, email: str, password: str, attributes: dict[str, str]) -> tuple[str, dict]:
        """SignUp with the attributes given (empty ones left out), with its rules; the new user's sub
        and where the code went."""
        answer = self.accounts.sign_up(
            dict(
                self._app_params(email),
                Password=password,
                UserAttributes=[{"Name": name, "Value": value} for name, value in attributes.items() if value],
            )
        )
        return answer["UserSub"], answer["CodeDeliveryDetails"]

    def _unconfirmed_user(self, sub: Any) -> CognitoIdpUser:
        user = self.pool.users.get(sub) if isinstance(sub, str) else None
        if user is None:
            raise not_authorized("User cannot be confirmed.")
        return user

    def confirm(self, sub: Any, code: str) -> SignInStep:
        """ConfirmSignUp for the user who signed up (or gave their password) in this browser, who is
        then signed in, as the hosted UI does."""
        user = self._unconfirmed_user(sub)
        self.accounts.confirm_sign_up(
            dict(self._app_params(user.attribute_lookup.get("email", "")), ConfirmationCode=code)
        )
        if not user.enabled:
            raise not_authorized("User is disabled.")
        step = self._step_after_password(user)
        self.pool.save()
        return step

    def forgot_password(self, email: str) -> dict:
        """ForgotPassword, with its rules (an unknown email gets the same answer, a simulated
        delivery, as the app client prevents user-existence errors)."""
        return self.accounts.forgot_password(self._app_params(email))["CodeDeliveryDetails"]

    def confirm_forgot_password(self, email: str, code: str, password: str) -> None:
        self.accounts.confirm_forgot_password(dict(self._app_params(email), ConfirmationCode=code, Password=password))
        self.pool.save()

    def resend_code(self, sub: Any) -> dict:
        user = self._unconfirmed_user(sub)
        email = user.attribute_lookup.get("email", "")
        return self.accounts.resend_confirmation_code(self._app_params(email))["CodeDeliveryDetails"]

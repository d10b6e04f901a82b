"""The local Cognito's account operations: what users do to their own account, with no administrator.

SignUp, ConfirmSignUp and ResendConfirmationCode; ChangePassword, ForgotPassword and
ConfirmForgotPassword; GetUser and DeleteUser (UpdateUserAttributes: ``attribute_updates.py``). Codes are sent to the
console log and checked by the pool (``pool.py``); a code request for an unknown or disabled user
answers with a simulated delivery, as PreventUserExistenceErrors asks. Every code request writes to the
database, whether a code was sent or not: the time it takes, and a data folder that cannot be
written, are then the same for every user.
"""

from __future__ import annotations

from moto.cognitoidp.models import CognitoIdpUser, UserStatus

from local_cognito.faults import CognitoFault, not_authorized
from local_cognito.pool import UserPool
from local_cognito.pool_settings import EMAIL, RESET_CODE_SECONDS, SIGN_UP_CODE_SECONDS
from local_cognito.schema import check_sign_up
from local_cognito.srp import keep_verifier
from local_cognito.validation import check_username


class AccountOperations:
    """Sign-up and confirmation, passwords, and the user's own attributes and account."""

    def __init__(self, pool: UserPool) -> None:
        self.pool = pool

    # --- signing up -----------------------------------------------------------------------------

    def sign_up(self, params: dict) -> dict:
        pool = self.pool
        pool.check_client(params)
        username = params.get("Username")
        check_username(username)  # the hosted UI's sign-up comes here directly
        pool.check_secret_hash(params, username)
        if not isinstance(username, str) or not EMAIL.match(username):
            raise CognitoFault("InvalidParameterException", "Username should be an email.")
        pool.check_password_policy(params.get("Password"))
        attributes = pool.checked_attributes(params.get("UserAttributes"))
        check_sign_up(pool.required_attributes, attributes)
        if pool.find_user(username) is not None:
            raise CognitoFault("UsernameExistsException", "An account with the given email already exists.")
        attributes.update({"email": username, "email_verified": "false"})
        user = CognitoIdpUser(
            pool.pool_id,
            None,
            pool.passwords.hash(params["Password"]),
            UserStatus.UNCONFIRMED,
            [{"Name": k, "Value": v} for k, v in attributes.items()],
        )
        keep_verifier(pool, user, params["Password"])
        pool.users[user.username] = user
        delivery = pool.send_code(user, "signup", SIGN_UP_CODE_SECONDS)
        pool.save()
        return {"UserConfirmed": False, "UserSub": user.id, "CodeDeliveryDetails": delivery}

    def confirm_sign_up(self, params: dict) -> dict:
        pool = self.pool
        pool.check_client(params)
        pool.check_secret_hash(params, params.get("Username"))
        user = pool.find_user(params.get("Username"))
        if user is not None and user.status is not UserStatus.UNCONFIRMED:
            pool.save()  # the same write as any refused code (``use_code``)
            raise not_authorized(f"User cannot be confirmed. Current status is {user.status.value}")
        pool.use_code(user, "signup", params.get("ConfirmationCode"))
        user.status = UserStatus.CONFIRMED
        user.update_attributes([{"Name": "email_verified", "Value": "true"}])
        pool.save()
        return {}

    def _user_asking_for_a_code(self, params: dict) -> CognitoIdpUser | None:
        """The enabled user a code request is for; None for an unknown or disabled user, who gets
        a simulated delivery (PreventUserExistenceErrors)."""
        self.pool.check_client(params)
        self.pool.check_secret_hash(params, params.get("Username"))
        user = self.pool.find_user(params.get("Username"))
        return user if user is not None and user.enabled else None

    def _no_code(self, params: dict, refusal: CognitoFault | None = None) -> dict:
        """No code is sent: the same write to the database as when one is, then a simulated
        delivery, or ``refusal``."""
        self.pool.save()
        if refusal is not None:
            raise refusal
        return {"CodeDeliveryDetails": self.pool.delivery(str(params.get("Username")))}

    def resend_confirmation_code(self, params: dict) -> dict:
        user = self._user_asking_for_a_code(params)
        if user is None:
            return self._no_code(params)
        if user.status is not UserStatus.UNCONFIRMED:
            return self._no_code(params, CognitoFault("InvalidParameterException", "User is already confirmed."))
        delivery = self.pool.send_code(user, "signup", SIGN_UP_CODE_SECONDS)
        self.pool.save()
        return {"CodeDeliveryDetails": delivery}

    # --- passwords ------------------------------------------------------------------------------

    def change_password(self, params: dict) -> dict:
        pool = self.pool
        user = pool.user_for_access_token(params.get("AccessToken"))
        if not pool.passwords.matches(params.get("PreviousPassword") or "", user.password):
            raise not_authorized()
        pool.check_password_policy(params.get("ProposedPassword"))
        user.password = pool.passwords.hash(params["ProposedPassword"])
        keep_verifier(pool, user, params["ProposedPassword"])
        user.last_modified_date = pool.now()
        pool.save()
        return {}

    def forgot_password(self, params: dict) -> dict:
        user = self._user_asking_for_a_code(params)
        if user is None:
            return self._no_code(params)
        if user.status is UserStatus.FORCE_CHANGE_PASSWORD:  # an admin's invitation comes first
            return self._no_code(params, not_authorized("User password cannot be reset in the current state."))
        if user.attribute_lookup.get("email_verified") != "true":
            return self._no_code(
                params,
                CognitoFault(
                    "InvalidParameterException",
                    "Cannot reset password for the user as there is no registered/verified email or phone_number",
                ),
            )
        delivery = self.pool.send_code(user, "reset", RESET_CODE_SECONDS)
        self.pool.save()
        return {"CodeDeliveryDetails": delivery}

    def confirm_forgot_password(self, params: dict) -> dict:
        pool = self.pool
        pool.check_client(params)
        pool.check_secret_hash(params, params.get("Username"))
        user = pool.find_user(params.get("Username"))
        pool.check_password_policy(params.get("Password"))
        pool.use_code(user, "reset", params.get("ConfirmationCode"))
        user.password = pool.passwords.hash(params["Password"])
        keep_verifier(pool, user, params["Password"])
        if user.status is UserStatus.RESET_REQUIRED:
            user.status = UserStatus.CONFIRMED
        user.last_modified_date = pool.now()
        pool.save()
        return {}

    # --- the user's own attributes and account --------------------------------------------------

    def get_user(self, params: dict) -> dict:
        user = self.pool.user_for_access_token(params.get("AccessToken"))
        return {
            "Username": user.username,
            "UserAttributes": [{"Name": k, "Value": v} for k, v in user.attribute_lookup.items()],
            "MFAOptions": [],
            **self.pool.mfa_settings(user),
        }

    def delete_user(self, params: dict) -> dict:
        user = self.pool.user_for_access_token(params.get("AccessToken"))
        self.pool.remove_user(user)
        self.pool.save()
        return {}

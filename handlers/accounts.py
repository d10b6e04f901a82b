"""Accounts: createAccount, confirmAccount, resendCode, getUser, deleteAcct (which also removes the
account's photos). updateUser, and verifying a new email: ``handlers.attributes``.

createAccount answers 409 for an email that has an account, as the tutorial's flow expects, so it
is rate-limited like every method that names a user or sends an email. confirmAccount and
resendCode answer alike for every email, with or without an account (``handlers.alike``).
"""

from __future__ import annotations

from server.call import Call
from server.cognito import STANDARD_ATTRIBUTES
from server.errors import ApiError
from server.registry import method
from server.user_names import Email
from handlers.alike import code_accepted, code_sent
from handlers.codes import confirmation_code
from handlers.photos import remove_photos_of
from handlers.sign_in import cognito_claims, password_sign_in, record_cookie_session


def delivery_answer(response: dict) -> dict:
    details = response.get("CodeDeliveryDetails") or {}
    return {"delivery": {"destination": details.get("Destination"), "medium": details.get("DeliveryMedium")}}


def attribute_list(attributes: dict[str, str]) -> list[dict[str, str]]:
    """Cognito's Name/Value list for standard attributes; UnknownField for anything else."""
    for name in attributes:
        if name == "email":
            raise ApiError("InvalidField", 'The sign-in email ("email") cannot be changed here.', field=name)
        if name not in STANDARD_ATTRIBUTES:
            raise ApiError(
                "UnknownField",
                f'"{name[:64]}" is not a field of this method nor a standard attribute a user can set.',
                field=name[:64],
            )
    return [{"Name": name, "Value": value} for name, value in attributes.items()]


@method("createAccount", rate_limited=True)
async def create_account(call: Call, user: Email, pass_: str, **attributes: str) -> dict:
    """Sign up with the email as user name; ``nickname`` and other standard attributes are optional,
    unless the pool requires them (then 400 ``MissingAttribute`` names the ones left out)."""
    response = await call.cognito.call(
        "SignUp",
        **call.cognito.user_params(user),
        Password=pass_,
        UserAttributes=[{"Name": "email", "Value": user}, *attribute_list(attributes)],
    )
    return {"user_confirmed": bool(response.get("UserConfirmed")), **delivery_answer(response)}


@method("confirmAccount", rate_limited=True, uniform_time=True, refresh_cookie=True)
async def confirm_account(call: Call, user: Email, pass_: str, conf_code: str) -> dict:
    """Confirm the account with the emailed code, then sign in (as the tutorial does). A wrong or
    expired code, and an email with no account or a confirmed one, all answer the same 400
    ``CodeMismatch``."""
    await code_accepted(
        call, "ConfirmSignUp", **call.cognito.user_params(user), ConfirmationCode=confirmation_code(conf_code)
    )
    return await password_sign_in(call, user, pass_)


@method("resendCode", rate_limited=True, uniform_time=True)
async def resend_code(call: Call, user: Email) -> dict:
    """Email a new confirmation code. Every email gets the same answer, a delivery to it, whether
    or not it has an account waiting for confirmation."""
    return await code_sent(call, "ResendConfirmationCode", user)


@method("getUser")
async def get_user(call: Call, access_token: str) -> dict:
    """The user's name and attributes, which MFA methods are on (Cognito's UserMFASettingList:
    ``SOFTWARE_TOKEN_MFA`` is the authenticator app, ``SMS_MFA`` codes by text message, ``EMAIL_OTP``
    codes by email) and which one is preferred (None: the sign-in asks, when several are on)."""
    response = await call.cognito.call("GetUser", AccessToken=access_token)
    methods = [m for m in response.get("UserMFASettingList") or [] if isinstance(m, str)]
    preferred = response.get("PreferredMfaSetting")
    return {
        "username": response["Username"],
        "attributes": {a["Name"]: a["Value"] for a in response.get("UserAttributes", [])},
        "mfa_enabled": bool(methods),
        "mfa_methods": methods,
        "mfa_preferred": preferred if preferred in methods else None,
    }


@method("deleteAcct", refresh_cookie=True)
async def delete_account(call: Call, access_token: str) -> dict:
    """Delete the signed-in user's account, then their photos."""
    await call.cognito.call("DeleteUser", AccessToken=access_token)
    claims = cognito_claims(access_token)
    await call.revocations.record_token(claims)  # its tokens stop reading at once
    await record_cookie_session(call, claims.get("username"))
    call.clear_cookies()
    await remove_photos_of(call, claims["sub"])
    return {}

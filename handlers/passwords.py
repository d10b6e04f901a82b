"""Passwords: changePass (signed in) and the reset flow, forgotPassword then confirmForgotPassword."""

from __future__ import annotations

from server.call import Call
from server.registry import method
from handlers.accounts import delivery_answer
from handlers.codes import confirmation_code


@method("changePass", refresh_cookie=True)
async def change_password(call: Call, old_pass: str, new_pass: str, access_token: str) -> dict:
    await call.cognito.call("ChangePassword", PreviousPassword=old_pass, ProposedPassword=new_pass,
                            AccessToken=access_token)
    return {}


@method("forgotPassword", rate_limited=True)
async def forgot_password(call: Call, user: str) -> dict:
    """Email a reset code. An unknown user gets the same answer as a known one (Cognito's
    PreventUserExistenceErrors); a known user whose status rules out a reset is refused, as Cognito
    does."""
    user = user.strip()
    response = await call.cognito.call("ForgotPassword", **call.cognito.user_params(user))
    return delivery_answer(response)


@method("confirmForgotPassword", rate_limited=True)
async def confirm_forgot_password(call: Call, user: str, conf_code: str, new_pass: str) -> dict:
    user = user.strip()
    await call.cognito.call("ConfirmForgotPassword", **call.cognito.user_params(user),
                            ConfirmationCode=confirmation_code(conf_code), Password=new_pass)
    return {}

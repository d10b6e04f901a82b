"""Passwords: changePass (signed in) and the reset flow, forgotPassword then confirmForgotPassword."""

from __future__ import annotations

from server.call import Call
from server.registry import method
from server.user_names import Email
from handlers.alike import NEW_PASSWORD_REFUSALS, RESET_CODE_REFUSED, code_accepted, code_sent
from handlers.codes import confirmation_code


@method("changePass")
async def change_password(call: Call, old_pass: str, new_pass: str, access_token: str) -> dict:
    await call.cognito.call("ChangePassword", PreviousPassword=old_pass, ProposedPassword=new_pass,
                            AccessToken=access_token)
    return {}


@method("forgotPassword", rate_limited=True, uniform_time=True)
async def forgot_password(call: Call, user: Email) -> dict:
    """Email a reset code. Every email gets the same answer, a delivery to it: with no account, an
    unconfirmed one, one whose status rules out a reset, or one that gets the code."""
    return await code_sent(call, "ForgotPassword", user)


@method("confirmForgotPassword", rate_limited=True, uniform_time=True)
async def confirm_forgot_password(call: Call, user: Email, conf_code: str, new_pass: str) -> dict:
    """Set a new password with the emailed reset code. Any refusal of the code, and an email with no
    account, answer the same 400 ``CodeMismatch``; a new password the pool's rules refuse is said so."""
    await code_accepted(call, "ConfirmForgotPassword", **call.cognito.user_params(user),
                        ConfirmationCode=confirmation_code(conf_code), Password=new_pass,
                        refusal=RESET_CODE_REFUSED, passed_on=NEW_PASSWORD_REFUSALS)
    return {}

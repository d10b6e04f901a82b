"""Passwords: changePass (signed in) and the reset flow, forgotPassword then confirmForgotPassword.

Cognito ends no session when a password changes, so a stolen session would survive its owner's new
password. This server ends them itself:

- changePass: after ChangePassword, GlobalSignOut with the caller's token ends every session of the
  user (the caller's too), and the caller is signed in again with the new password (its user name,
  the access token's ``username``): new tokens and a new refresh cookie, or, for an account that
  asks for an authenticator code, that step to answer with respondToChallenge. The password is
  changed whatever happens next; ``other_sessions_ended`` says whether the others ended, and
  ``sign_out_error`` or ``sign_in_error`` what failed.
- confirmForgotPassword: after the reset, every session ends: with the server's AWS credentials
  (AdminUserGlobalSignOut), or without them by signing in with the new password and signing out
  everywhere (GlobalSignOut), which an account that asks for an authenticator code does not allow.
  ``all_sessions_ended`` says whether they ended, ``sessions_error`` why not.

The sessions this server held are also remembered as signed out, so their access tokens stop reading
(``server.revocations``).
"""

from __future__ import annotations

import logging

from server.browser_session import Person
from server.call import Call
from server.errors import ApiError
from server.registry import method
from server.user_names import Email
from handlers.alike import NEW_PASSWORD_REFUSALS, RESET_CODE_REFUSED, code_accepted, code_sent
from handlers.codes import confirmation_code
from handlers.sign_in import cognito_claims, password_auth, record_cookie_session, sign_in_answer

log = logging.getLogger("handlers.passwords")

# Why a reset could not end the sessions of an account that asks for an authenticator code.
NEEDS_ADMIN = (
    "The password is changed, but the account's other sessions could not be ended: its sign-in asks "
    "for an authenticator code, and this server has no AWS credentials for admin calls. Sign in, "
    "then sign out everywhere."
)


def _error_view(error: ApiError) -> dict:
    return {"error": error.code, "message": error.message}


@method("changePass", refresh_cookie=True)
async def change_password(call: Call, old_pass: str, new_pass: str, access_token: str) -> dict:
    """Change the signed-in user's password, then end every other session: Cognito signs the user out
    everywhere, and the caller is signed in again with the new password (new tokens and refresh
    cookie, or the authenticator-code step to answer with respondToChallenge).
    ``other_sessions_ended`` says whether the other sessions ended."""
    await call.cognito.call(
        "ChangePassword", PreviousPassword=old_pass, ProposedPassword=new_pass, AccessToken=access_token
    )
    claims = cognito_claims(access_token)  # Cognito has just taken it
    try:
        await call.cognito.call("GlobalSignOut", AccessToken=access_token)
    except ApiError as error:
        # The caller's session goes on as it was; so do the others, and the answer says so.
        log.warning(
            "After a password change the other sessions could not be ended: %s (request %s)",
            error.code,
            call.request_id,
        )
        return {"other_sessions_ended": False, "sign_out_error": _error_view(error)}
    await call.revocations.record_token(claims)
    await record_cookie_session(call, claims.get("username"))
    hosted_ui = call.browser_session.present
    call.clear_cookies()  # the caller's session ended with the others: a new one replaces it
    try:
        # The name Cognito assigned, not an email the person typed: it names this user whatever
        # the email has become.
        response = await password_auth(call, claims["username"], new_pass)
    except ApiError as error:
        log.warning(
            "After a password change the caller could not be signed in again: %s (request %s)",
            error.code,
            call.request_id,
        )
        return {"other_sessions_ended": True, "signed_in": False, "sign_in_error": _error_view(error)}
    answer = sign_in_answer(call, response)
    if hosted_ui and "id_token" in answer:
        await _keep_browser_session(call, answer)
    return {"other_sessions_ended": True, **answer}


async def _keep_browser_session(call: Call, tokens: dict) -> None:
    """A page signed in through the hosted UI goes on with the new tokens in its browser session."""
    try:
        identity = await call.tokens.verify_id_token(tokens["id_token"])
    except ApiError:
        return  # tokens this server cannot take now: the page signs in again
    call.browser_session.start(Person.from_id_token(identity), tokens["access_token"], tokens["expires_in"])


@method("forgotPassword", rate_limited=True, uniform_time=True)
async def forgot_password(call: Call, user: Email) -> dict:
    """Email a reset code. Every email gets the same answer, a delivery to it: with no account, an
    unconfirmed one, one whose status rules out a reset, or one that gets the code."""
    return await code_sent(call, "ForgotPassword", user)


@method("confirmForgotPassword", rate_limited=True, uniform_time=True)
async def confirm_forgot_password(call: Call, user: Email, conf_code: str, new_pass: str) -> dict:
    """Set a new password with the emailed reset code, then end every session of the account. Any
    refusal of the code, and an email with no account, answer the same 400 ``CodeMismatch``; a new
    password the pool's rules refuse is said so. ``all_sessions_ended`` says whether the sessions
    ended, ``sessions_error`` why not."""
    await code_accepted(
        call,
        "ConfirmForgotPassword",
        **call.cognito.user_params(user),
        ConfirmationCode=confirmation_code(conf_code),
        Password=new_pass,
        refusal=RESET_CODE_REFUSED,
        passed_on=NEW_PASSWORD_REFUSALS,
    )
    error = await _end_every_session_of(call, user, new_pass)
    if error is None:
        return {"all_sessions_ended": True}
    log.warning(
        "After a password reset the account's sessions could not all be ended: %s (request %s)",
        error.code,
        call.request_id,
    )
    return {"all_sessions_ended": False, "sessions_error": _error_view(error)}


async def _end_every_session_of(call: Call, user: str, password: str) -> ApiError | None:
    """End every session of ``user``, whose password is ``password``: None once done, else why not.
    The admin call first: it works for every account. Without it (no AWS credentials, or not allowed),
    a sign-in with the new password gives a token to sign out everywhere with, unless the account
    asks for an authenticator code."""
    try:
        await call.admin_cognito.call("AdminUserGlobalSignOut", UserPoolId=call.config.user_pool_id, Username=user)
        return None
    except ApiError as error:
        admin_error = error
    try:
        response = await password_auth(call, user, password)
    except ApiError as error:
        return error
    result = response.get("AuthenticationResult")
    if not result:  # a step to answer: an authenticator code nobody here has
        return ApiError("AdminUnavailable", NEEDS_ADMIN) if admin_error.code == "AdminUnavailable" else admin_error
    try:
        await call.cognito.call("GlobalSignOut", AccessToken=result["AccessToken"])
    except ApiError as error:
        return error
    return None

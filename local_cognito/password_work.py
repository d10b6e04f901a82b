"""The scrypt work a request to the local Cognito needs, done before its transaction (``passwords.py``).

For the operations that check a password (InitiateAuth USER_PASSWORD_AUTH, ChangePassword, the
hosted UI's sign-in) and those that set one (SignUp, ConfirmForgotPassword, ChangePassword,
RespondToAuthChallenge NEW_PASSWORD_REQUIRED, AdminCreateUser, the hosted UI's sign-up and new
password): the passwords of the request, and for a check the stored hash it will be checked
against, found as the operation will find it (the decoy hash when there is no such user).

A request gets the work its operation will do, and no more: one the operation refuses before it
looks at a password (another app client, a wrong SECRET_HASH, a bad access token or session) needs
none, and its fault is left to the operation. A new password is hashed only when the operation will
keep it: SignUp for an email no account has, ConfirmForgotPassword with the right code. So, as
before, a wrong code costs the same whether there is an account or not, and an answer's time tells
nothing more than the answer.
"""

from __future__ import annotations

import hmac
from typing import Any

from local_cognito.faults import CognitoFault
from local_cognito.passwords import Work
from local_cognito.pool import UserPool
from local_cognito.pool_settings import MAX_CODE_FAILURES
from local_cognito.sign_in import NEW_PASSWORD_REQUIRED


def _text(value: Any) -> list[str]:
    return [value] if isinstance(value, str) and value else []


def check_of(pool: UserPool, username: Any, password: Any) -> list[tuple[str, str]]:
    """The check ``checked_password`` will make of ``password`` for ``username``."""
    user = pool.find_user(username if isinstance(username, str) else None)
    stored = user.password if user is not None else pool.decoy_hash
    return [(password if isinstance(password, str) else "", stored)] if stored else []


def api_work(pool: UserPool, operation: str, params: dict) -> Work | None:
    """The work of a cognito-idp ``operation`` with ``params`` (None: none)."""
    try:
        if operation == "InitiateAuth" and params.get("AuthFlow") == "USER_PASSWORD_AUTH":
            given = params.get("AuthParameters")
            auth = given if isinstance(given, dict) else {}
            pool.check_client(params)
            pool.check_secret_hash(params, auth.get("USERNAME"))
            return Work(checks=check_of(pool, auth.get("USERNAME"), auth.get("PASSWORD")))
        if operation == "SignUp":
            pool.check_client(params)
            pool.check_secret_hash(params, params.get("Username"))
            return new_account_work(pool, params.get("Username"), params.get("Password"))
        if operation == "ConfirmForgotPassword":
            pool.check_client(params)
            pool.check_secret_hash(params, params.get("Username"))
            accepted = _code_accepted(pool, params.get("Username"), "reset", params.get("ConfirmationCode"))
            return Work(new=_text(params.get("Password"))) if accepted else None
        if operation == "ChangePassword":
            user = pool.user_for_access_token(params.get("AccessToken"))
            previous = params.get("PreviousPassword") or ""
            return Work(
                checks=[(previous, user.password)] if user.password and isinstance(previous, str) else [],
                new=_text(params.get("ProposedPassword")),
            )
        if operation == "RespondToAuthChallenge" and params.get("ChallengeName") == NEW_PASSWORD_REQUIRED:
            pool.check_client(params)
            responses = params.get("ChallengeResponses")
            session_id = params.get("Session")
            session = pool.auth_sessions.get(session_id) if isinstance(session_id, str) else None
            if session is None or session.challenge != NEW_PASSWORD_REQUIRED or not isinstance(responses, dict):
                return None
            return Work(new=_text(responses.get("NEW_PASSWORD")))
        if operation == "AdminCreateUser":
            given = _text(params.get("TemporaryPassword"))
            return Work(new=given, temporary=not given)
    except CognitoFault:
        return None
    return None


def _code_accepted(pool: UserPool, username: Any, purpose: str, given: Any) -> bool:
    """Whether ``pool.use_code`` will accept ``given`` as the user's ``purpose`` code."""
    user = pool.find_user(username if isinstance(username, str) else None)
    record = pool.codes.get(f"{purpose}:{user.id}") if user is not None else None
    try:
        return (
            record is not None
            and record.get("failures", 0) < MAX_CODE_FAILURES
            and isinstance(given, str)
            and hmac.compare_digest(record["code"].encode(), given.encode())
            and record["expires"] > pool.clock()
        )
    except UnicodeError:
        return False


def new_account_work(pool: UserPool, email: Any, password: Any) -> Work | None:
    """SignUp's work (the API's and the hosted UI's): the password hashed when no account has the email."""
    return Work(new=_text(password)) if pool.find_user(email if isinstance(email, str) else None) is None else None


def sign_in_form_work(pool: UserPool, email: str, password: str) -> Work:
    """The hosted UI's sign-in form: its password checked as InitiateAuth checks it."""
    try:
        return Work(checks=check_of(pool, email, password))
    except CognitoFault:
        return Work()


def reset_form_work(pool: UserPool, email: str, code: str, password: str) -> Work | None:
    """The hosted UI's new-password-after-reset form: hashed, as ConfirmForgotPassword's, only with the
    right code."""
    return Work(new=_text(password)) if _code_accepted(pool, email, "reset", code) else None


def new_password_form_work(password: str) -> Work:
    """The hosted UI's new-password form (its signed state names a live challenge): the password
    chosen, hashed."""
    return Work(new=_text(password))

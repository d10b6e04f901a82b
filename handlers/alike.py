"""Answers that do not tell who has an account: for resendCode and forgotPassword (a code is sent),
and for the code checks of confirmAccount and confirmForgotPassword.

Cognito, even with PreventUserExistenceErrors, answers these differently for an email with no
account, an unconfirmed account and a confirmed one: a simulated delivery or, at random, an
InvalidParameterException for an unknown user; InvalidParameterException ("User is already
confirmed") or NotAuthorizedException for the wrong status; ExpiredCodeException or
LimitExceededException only where a code was sent. So whatever Cognito answers about the account,
the answer here is one and the same:

- a code request (``code_sent``): 200 with a delivery to the email as it was typed, masked as
  Cognito masks it (``s***@e***``), never the one Cognito answered;
- a code check (``code_accepted``): 400 ``CodeMismatch`` with one sentence that covers every case
  (a wrong code, an expired one, too many tries, an account that has no code to check).

Only answers that say the sign-in service itself cannot be used now, whoever is named, go through
as they are (``SERVICE_FAILURES``): those are the same for everyone. What Cognito said goes to the
log as it always does for the codes an operator must see (``server.cognito_errors.LOGGED``: the
daily email quota, a code that could not be delivered, a misconfigured pool). The methods that use
these are also declared ``uniform_time``, so their answers take the same time too.
"""

from __future__ import annotations

from server.call import Call
from server.errors import ApiError
from server.user_names import masked

# Our codes that describe the service, not the account: passed on as they are.
SERVICE_FAILURES = frozenset(
    {
        "CognitoUnavailable",
        "CognitoTimeout",
        "CognitoError",
        "TooManyRequests",
        "RequestBlocked",
        "InternalError",
    }
)
# The one refusal of a code check, whatever the reason.
CODE_REFUSED = (
    "The code is wrong or has expired. Check it or ask for a new one; if the account is confirmed already, log in."
)
RESET_CODE_REFUSED = "The code is wrong or has expired. Check it, or ask for a new one."
# What ConfirmForgotPassword says about the new password a person chose: theirs to correct.
NEW_PASSWORD_REFUSALS = frozenset({"InvalidPassword", "PasswordReused"})


async def code_sent(call: Call, operation: str, user: str) -> dict:
    """Ask Cognito to send ``user`` a code (ResendConfirmationCode, ForgotPassword); the same answer
    whether or not it did, unless the service itself failed."""
    try:
        await call.cognito.call(operation, **call.cognito.user_params(user))
    except ApiError as error:
        if error.code in SERVICE_FAILURES:
            raise
    return {"delivery": {"destination": masked(user), "medium": "EMAIL"}}


async def code_accepted(
    call: Call, operation: str, *, refusal: str = CODE_REFUSED, passed_on: frozenset[str] = frozenset(), **params
) -> dict:
    """Send a code check (ConfirmSignUp, ConfirmForgotPassword) to Cognito: its answer, or 400
    ``CodeMismatch`` saying ``refusal`` for every refusal but the service's own failures and the
    codes in ``passed_on`` (those about a value the person chose, such as the new password)."""
    try:
        return await call.cognito.call(operation, **params)
    except ApiError as error:
        if error.code in SERVICE_FAILURES or error.code in passed_on:
            raise
        raise ApiError("CodeMismatch", refusal) from None

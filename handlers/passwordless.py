"""Signing in without a password, over Cognito's choice-based sign-in (InitiateAuth USER_AUTH):
signInWithCode (an emailed code), passkeySignInStart and passkeySignInFinish, and getAuthFactors.

Each start answers a step as ``signIn`` does (a signed ``session`` and the challenge), and
``respondToChallenge`` finishes it with the same refresh cookie as ``signIn``: ``totp`` with the
emailed code, ``credential`` with the passkey's answer, ``answer`` to choose among the ways a
SELECT_CHALLENGE offers (``handlers.user_auth_steps``). ``passkeySignInFinish`` is
``respondToChallenge`` for the passkey step. The starts are rate-limited like ``signIn``; the code
request also answers in the same time whether or not the email has an account.
"""

from __future__ import annotations

from server.call import Call
from server.errors import ApiError
from server.registry import method
from server.user_names import Email
from handlers.sign_in import respond_to_challenge, sign_in_answer
from handlers.user_auth_steps import EMAIL_OTP, WEB_AUTHN, check_relying_party

WAYS = (EMAIL_OTP, WEB_AUTHN, "PASSWORD")


async def user_auth(call: Call, user: str, preferred: str | None) -> dict:
    """InitiateAuth with USER_AUTH for ``user``, preferring ``preferred`` (or letting Cognito offer
    its choices, SELECT_CHALLENGE), answered as a sign-in step."""
    parameters = {"USERNAME": user, "SECRET_HASH": call.cognito.secret_hash(user)}
    if preferred is not None:
        parameters["PREFERRED_CHALLENGE"] = preferred
    response = await call.cognito.call(
        "InitiateAuth", AuthFlow="USER_AUTH", ClientId=call.cognito.client_id, AuthParameters=parameters
    )
    return sign_in_answer(call, response, user)


@method("signInWithCode", rate_limited=True, uniform_time=True)
async def sign_in_with_code(call: Call, user: Email, prefer: str | None = EMAIL_OTP) -> dict:
    """Email a one-time sign-in code (the EMAIL_OTP step; ``respondToChallenge`` with ``totp`` and the
    session finishes). With ``"prefer": null`` the answer is Cognito's SELECT_CHALLENGE and its
    ``available_challenges``, to choose from with ``respondToChallenge``'s ``answer``."""
    if prefer is not None and prefer not in WAYS:
        raise ApiError("InvalidField", f'"prefer" must be one of {", ".join(WAYS)}, or null.', field="prefer")
    if prefer == "PASSWORD":
        raise ApiError("InvalidField", 'A password sign-in is signIn; "prefer" PASSWORD needs it.', field="prefer")
    return await user_auth(call, user.strip(), prefer)


@method("passkeySignInStart", rate_limited=True)
async def passkey_sign_in_start(call: Call, user: Email) -> dict:
    """Start signing in with a passkey: the WEB_AUTHN step, with ``credential_request_options`` for
    navigator.credentials.get() (binary values in base64url, as WebAuthn's JSON has them)."""
    answer = await user_auth(call, user.strip(), WEB_AUTHN)
    options = answer.get("credential_request_options")
    if options is not None:
        check_relying_party(call.config.base_url, options.get("rpId"))
    return answer


@method("passkeySignInFinish", refresh_cookie=True)
async def passkey_sign_in_finish(call: Call, session: str, credential: str) -> dict:
    """Finish a passkey sign-in with what navigator.credentials.get() gave, as JSON (its ``toJSON()``):
    tokens and the refresh cookie, as ``signIn``."""
    step = call.challenges.decode(session)
    if isinstance(step, dict) and step.get("c") not in (None, WEB_AUTHN):
        raise ApiError("InvalidField", "This session is not a passkey sign-in's.", field="session")
    return await respond_to_challenge(call, session=session, credential=credential)


@method("getAuthFactors")
async def get_auth_factors(call: Call, access_token: str) -> dict:
    """The ways this account can sign in (Cognito's ConfiguredUserAuthFactors, e.g. ``["PASSWORD",
    "EMAIL_OTP", "WEB_AUTHN"]``) and its MFA (``mfa_methods``, ``preferred_mfa``)."""
    response = await call.cognito.call("GetUserAuthFactors", AccessToken=access_token)
    return {
        "factors": list(response.get("ConfiguredUserAuthFactors") or []),
        "mfa_methods": list(response.get("UserMFASettingList") or []),
        "preferred_mfa": response.get("PreferredMfaSetting"),
    }

"""Signing in and out: signIn, respondToChallenge, refresh, signOut, and the answer to a sign-in
shared with confirmAccount.

The refresh token never appears in an answer: it goes into the HttpOnly refresh cookie together
with the user name Cognito assigned (the access token's ``username`` claim; for pools with email as
the user name that is the ``sub``), which REFRESH_TOKEN_AUTH needs for SECRET_HASH where an endpoint
lacks GetTokensFromRefreshToken. ``refresh`` keeps the new refresh token an app client that rotates
them answers.

A sign-in that needs another step (an authenticator code, a new password) answers a ``session``:
Cognito's session for the step, signed by this server together with the challenge's name and the
user name Cognito assigned (``USER_ID_FOR_SRP``), because the answer's SECRET_HASH must be computed
on that name, not on the email the person typed. For NEW_PASSWORD_REQUIRED it also holds the
attributes the pool requires and the user lacks (Cognito's ``requiredAttributes``), which the
answer names as ``required_attributes`` and ``respondToChallenge`` then takes as fields of their own.
"""

from __future__ import annotations

import json
import re

from server import sign_in_flows
from server.call import Call
from server.cognito import STANDARD_ATTRIBUTES
from server.errors import ApiError, missing_attributes
from server.refresh_cookie import StoredRefreshToken, refreshed_tokens
from server.registry import method
from server.user_names import Email
from server.tokens import unverified_claims
from handlers.codes import authenticator_code, confirmation_code
from handlers import devices, user_auth_steps
from server.cognito_errors import passkey_answer_error

# The challenges that mean "ask the person for a one-time code", and where the code goes.
MFA_CODE_RESPONSES = {
    "SOFTWARE_TOKEN_MFA": "SOFTWARE_TOKEN_MFA_CODE",
    "SMS_MFA": "SMS_MFA_CODE",
    "EMAIL_OTP": "EMAIL_OTP_CODE",
}
NEW_PASSWORD_REQUIRED = "NEW_PASSWORD_REQUIRED"
# Several MFA methods on and none preferred: the person chooses one (Cognito's MFAS_CAN_CHOOSE lists
# them), then answers its challenge.
SELECT_MFA_TYPE = "SELECT_MFA_TYPE"
MFA_CHOICES = {"SOFTWARE_TOKEN_MFA": "totp", "SMS_MFA": "sms", "EMAIL_OTP": "email"}
# How ChallengeResponses and requiredAttributes name an attribute.
USER_ATTRIBUTE_PREFIX = "userAttributes."
# A custom attribute's name (Cognito's limit is 32 characters, "custom:" included).
CUSTOM_ATTRIBUTE = re.compile(r"custom:[A-Za-z0-9_.:-]{1,25}")


# The claims of an access token Cognito has just issued to us, or just accepted: its signature is
# checked wherever a token from a client is trusted on its own, so only the payload is decoded.
cognito_claims = unverified_claims


def token_answer(result: dict) -> dict:
    return {
        "access_token": result["AccessToken"],
        "id_token": result["IdToken"],
        "expires_in": result["ExpiresIn"],
        "token_type": result["TokenType"],
    }


def required_attributes(parameters: dict) -> list[str]:
    """The attribute names in a NEW_PASSWORD_REQUIRED challenge's ``requiredAttributes`` (a JSON list
    like ``["userAttributes.nickname"]``); anything else in it is ignored."""
    try:
        listed = json.loads(parameters.get("requiredAttributes") or "[]")
    except (TypeError, ValueError):
        return []
    if not isinstance(listed, list):
        return []
    names = (item.removeprefix(USER_ATTRIBUTE_PREFIX) for item in listed if isinstance(item, str))
    return [name for name in names if name in STANDARD_ATTRIBUTES or CUSTOM_ATTRIBUTE.fullmatch(name)]


def mfa_choices(parameters: dict) -> list[str]:
    """The methods a SELECT_MFA_TYPE challenge's ``MFAS_CAN_CHOOSE`` (a JSON list of Cognito's names)
    offers, as setMfa names them (totp, sms, email); anything else in it is ignored."""
    try:
        listed = json.loads(parameters.get("MFAS_CAN_CHOOSE") or "[]")
    except (TypeError, ValueError):
        return []
    if not isinstance(listed, list):
        return []
    return [MFA_CHOICES[name] for name in listed if isinstance(name, str) and name in MFA_CHOICES]


def sign_in_answer(call: Call, response: dict, user: str | None = None) -> dict:
    """The answer to a sign-in: tokens and the refresh cookie, or the challenge to answer next.
    ``user``, the name the sign-in was started with, answers the step where Cognito's answer does not
    name the user (USER_ID_FOR_SRP)."""
    if "AuthenticationResult" not in response:
        challenge = response.get("ChallengeName", "")
        parameters = response.get("ChallengeParameters") or {}
        step = {"s": response.get("Session"), "c": challenge, "u": parameters.get("USER_ID_FOR_SRP") or user}
        answer = {"message": "MFA_REQUIRED" if challenge in MFA_CODE_RESPONSES else challenge, "challenge": challenge}
        answer.update(user_auth_steps.step_details(challenge, parameters, response))
        if challenge == NEW_PASSWORD_REQUIRED:
            answer["required_attributes"] = step["r"] = required_attributes(parameters)
        elif challenge == SELECT_MFA_TYPE:
            answer["mfa_choices"] = step["m"] = mfa_choices(parameters)
        elif parameters.get("CODE_DELIVERY_DESTINATION"):  # where an SMS or email code went
            answer["delivery"] = {
                "destination": parameters["CODE_DELIVERY_DESTINATION"],
                "medium": parameters.get("CODE_DELIVERY_DELIVERY_MEDIUM"),
            }
        answer["session"] = call.challenges.encode(step)
        return answer
    result = response["AuthenticationResult"]
    devices.forget_stale_device(call, result)
    if call.browser_session.present:
        call.browser_session.clear()  # a hosted-UI session of whoever signed in before ends here
    call.refresh_cookie.store(
        StoredRefreshToken.of_sign_in(
            result["RefreshToken"], cognito_claims(result["AccessToken"]), result.get("ExpiresIn")
        )
    )
    return token_answer(result)


async def password_auth(call: Call, user: str, password: str) -> dict:
    """Cognito's answer to a sign-in with a password (USER_PASSWORD_AUTH or SRP, as SIGN_IN_FLOW
    chooses: ``server.sign_in_flows``): tokens, or the next step. ``user`` is the email, or the user
    name Cognito assigned. This browser's remembered device, if any, stands in for the MFA code
    (``handlers.devices``)."""
    return await devices.with_device(
        call, lambda device_key: sign_in_flows.password_sign_in(call, user, password, device_key)
    )


async def password_sign_in(call: Call, user: str, password: str) -> dict:
    return sign_in_answer(call, await password_auth(call, user, password))


@method("signIn", rate_limited=True, refresh_cookie=True)
async def sign_in(call: Call, user: Email, pass_: str) -> dict:
    return await password_sign_in(call, user.strip(), pass_)


@method("respondToChallenge", refresh_cookie=True)
async def respond_to_challenge(
    call: Call,
    session: str,
    user: Email | None = None,
    totp: str | None = None,
    new_pass: str | None = None,
    mfa_choice: str | None = None,
    answer: str | None = None,
    credential: str | None = None,
    pass_: str | None = None,
    remember_device: bool = False,
    device_name: str | None = None,
    **attributes: str,
) -> dict:
    """Answer the step a sign-in asked for: ``totp`` for a code (from the authenticator app, or sent by
    text message or email), ``mfa_choice`` for one of the step's ``mfa_choices`` (then that method's
    step follows), ``new_pass`` for a user an admin created, with a field for each of the step's
    ``required_attributes`` (e.g. ``"nickname": "Sam"``); ``answer`` (and ``pass``) to choose a way
    of signing in, ``credential`` for a passkey (``handlers.user_auth_steps``). With a code,
    ``remember_device`` remembers this browser (named ``device_name``) so that the next sign-in here
    skips the code (``handlers.devices``); the answer then says ``device_remembered``. Answers tokens
    and the refresh cookie, or the next step."""
    step = call.challenges.decode(session)
    if not isinstance(step, dict) or not step.get("s") or not step.get("c"):
        raise ApiError("ChallengeExpired")
    challenge = step["c"]
    username = step.get("u") or (user or "").strip()
    if not username:
        raise ApiError("MissingField", 'respondToChallenge needs the field "user".', field="user")
    responses = {"USERNAME": username, "SECRET_HASH": call.cognito.secret_hash(username)}
    if challenge not in user_auth_steps.STEPS:
        user_auth_steps.not_taken(challenge, answer=answer, credential=credential, pass_=pass_)
    if remember_device and challenge not in MFA_CODE_RESPONSES:
        raise ApiError(
            "InvalidField",
            f'The sign-in step {challenge[:64]} does not take "remember_device": '
            "a browser is remembered when it answers a code.",
            field="remember_device",
        )
    if device_name is not None and not remember_device:
        raise ApiError("InvalidField", '"device_name" goes with "remember_device".', field="device_name")
    if challenge != SELECT_MFA_TYPE and mfa_choice is not None:
        raise ApiError(
            "InvalidField", f'The sign-in step {challenge[:64]} does not take "mfa_choice".', field="mfa_choice"
        )
    if challenge in user_auth_steps.STEPS:
        user_auth_steps.not_taken(challenge, totp=totp, new_pass=new_pass, **attributes)
        responses.update(user_auth_steps.step_responses(challenge, answer, credential, pass_))
    elif challenge == SELECT_MFA_TYPE:
        _one_answer(challenge, given=("mfa_choice", mfa_choice), unexpected=("totp", totp))
        _one_answer(challenge, given=("mfa_choice", mfa_choice), unexpected=("new_pass", new_pass))
        if attributes:
            name = next(iter(attributes))[:64]
            raise ApiError("UnknownField", f'The sign-in step {challenge} does not take "{name}".', field=name)
        listed = step.get("m")
        offered = [choice for choice in listed if isinstance(choice, str)] if isinstance(listed, list) else []
        if mfa_choice is None or mfa_choice not in offered:
            raise ApiError(
                "InvalidField",
                'The field "mfa_choice" must be one of the step\'s mfa_choices: ' + ", ".join(offered) + ".",
                field="mfa_choice",
            )
        cognito_names = {ours: name for name, ours in MFA_CHOICES.items()}
        responses["ANSWER"] = cognito_names[mfa_choice]
    elif challenge in MFA_CODE_RESPONSES:
        totp = _one_answer(challenge, given=("totp", totp), unexpected=("new_pass", new_pass))
        if attributes:
            name = next(iter(attributes))[:64]
            raise ApiError("UnknownField", f'The sign-in step {challenge} does not take "{name}".', field=name)
        code = authenticator_code(totp, "totp") if challenge == "SOFTWARE_TOKEN_MFA" else confirmation_code(totp)
        responses[MFA_CODE_RESPONSES[challenge]] = code
    elif challenge == NEW_PASSWORD_REQUIRED:
        new_pass = _one_answer(challenge, given=("new_pass", new_pass), unexpected=("totp", totp))
        responses["NEW_PASSWORD"] = new_pass
        responses.update(_new_password_attributes(step, attributes))
    else:
        raise ApiError("InvalidField", f"This server cannot answer the sign-in step {challenge[:64]}.", field="session")
    try:
        response = await call.cognito.call(
            "RespondToAuthChallenge",
            ClientId=call.cognito.client_id,
            ChallengeName=challenge,
            Session=step["s"],
            ChallengeResponses=responses,
        )
    except ApiError as error:
        raise (passkey_answer_error(error) if challenge == user_auth_steps.WEB_AUTHN else error) from None
    if response.get("ChallengeName") == devices.DEVICE_SRP_AUTH:
        response = await devices.answer_device_step(call, response)  # after a new password
    reply = sign_in_answer(call, response, username)
    if remember_device and "AuthenticationResult" in response:
        reply["device_remembered"] = await devices.remember_this_browser(
            call, response["AuthenticationResult"], device_name
        )
    return reply


def _new_password_attributes(step: dict, attributes: dict[str, str]) -> dict[str, str]:
    """ChallengeResponses' ``userAttributes.<name>`` entries for the attributes given; 400 naming the
    required ones still missing, when the step knows them (else Cognito's answer names them)."""
    for name in attributes:
        if name not in STANDARD_ATTRIBUTES and not CUSTOM_ATTRIBUTE.fullmatch(name):
            raise ApiError(
                "UnknownField",
                f'"{name[:64]}" is not a field of respondToChallenge nor an attribute a user can set.',
                field=name[:64],
            )
    listed = step.get("r")
    required = listed if isinstance(listed, list) else []
    absent = [name for name in required if isinstance(name, str) and not attributes.get(name, "").strip()]
    if absent:
        raise missing_attributes(absent)
    return {USER_ATTRIBUTE_PREFIX + name: value for name, value in attributes.items()}


def _one_answer(challenge: str, given: tuple[str, str | None], unexpected: tuple[str, str | None]) -> str:
    """The answer the step takes (``given``, a field's name and value); 400 when it is missing or
    when the field the step does not take (``unexpected``) came too."""
    if given[1] is None:
        raise ApiError("MissingField", f'The sign-in step {challenge} needs the field "{given[0]}".', field=given[0])
    if unexpected[1] is not None:
        raise ApiError(
            "InvalidField", f'The sign-in step {challenge} does not take "{unexpected[0]}".', field=unexpected[0]
        )
    return given[1]


@method("refresh", refresh_cookie=True)
async def refresh(call: Call) -> dict:
    stored = call.refresh_cookie.current()
    result = await refreshed_tokens(call.cognito, call.refresh_cookie, stored)  # keeps a rotated token
    if not result.get("RefreshToken"):
        # The same token: its cookie's lifetime starts again (with the session's origin_jti, which a
        # cookie written before the server kept it learns here).
        call.refresh_cookie.store(stored.renewed(None, cognito_claims(result["AccessToken"])))
    return token_answer(result)


@method("signOut", refresh_cookie=True)
async def sign_out(call: Call, global_: bool = False, access_token: str | None = None) -> dict:
    """Sign this browser out, always: its cookies go whatever Cognito says. Cognito is asked to
    revoke the refresh token (or, with ``global``, to end every session of the user); ``revoked``
    says whether it did, and ``revoke_error`` (our code and sentence) why not, when it was asked and
    did not."""
    try:
        revoked = await (_end_every_session(call, access_token) if global_ else revoke_refresh_token(call))
    except ApiError as error:
        return {"revoked": False, "revoke_error": {"error": error.code, "message": error.message}}
    finally:
        call.clear_cookies()  # last, so nothing stored on the way survives
    return {"revoked": revoked}


async def _end_every_session(call: Call, access_token: str | None) -> bool:
    """GlobalSignOut with ``access_token``, or with one the refresh cookie gets; False when there is
    neither, since then no token names whose sessions to end."""
    await record_cookie_session(call)
    if access_token is None:
        if not call.refresh_cookie.present:
            return False
        access_token = (await refreshed_tokens(call.cognito, call.refresh_cookie, call.refresh_cookie.current()))[
            "AccessToken"
        ]
    await call.cognito.call("GlobalSignOut", AccessToken=access_token)
    await call.revocations.record_token(cognito_claims(access_token))  # Cognito has just taken it
    return True


async def record_cookie_session(call: Call, username: str | None = None) -> StoredRefreshToken | None:
    """Record the refresh cookie's session as signed out (``server.revocations``), if the cookie is
    readable (and, given ``username``, that user's); answers what it holds."""
    if not call.refresh_cookie.present:
        return None
    try:
        stored = call.refresh_cookie.current()
    except ApiError:
        return None  # an expired or tampered cookie: no session known
    if username is None or stored.username == username:
        await call.revocations.record(stored.origin_jtis, stored.access_lifetime)
    return stored


async def revoke_refresh_token(call: Call) -> bool:
    """Revoke the refresh token in the cookie, if there is a readable one: True once Cognito has
    (one it had revoked already counts), False when there is none to revoke. Its session's access
    tokens are refused from now on, whatever Cognito answers (``server.revocations``)."""
    stored = await record_cookie_session(call)
    if stored is None:
        return False
    try:
        await call.cognito.call(
            "RevokeToken",
            Token=stored.refresh_token,
            ClientId=call.cognito.client_id,
            ClientSecret=call.config.client_secret,
        )
    except ApiError as error:
        if error.code != "NotAuthorized":
            raise
    return True

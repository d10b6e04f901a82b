"""How the server signs a person in with their password: USER_PASSWORD_AUTH, or SRP (USER_SRP_AUTH and
its PASSWORD_VERIFIER step), as SIGN_IN_FLOW chooses.

- ``password``: InitiateAuth USER_PASSWORD_AUTH (the app client must allow ALLOW_USER_PASSWORD_AUTH).
- ``srp``: USER_SRP_AUTH, then PASSWORD_VERIFIER answered here (the app client must allow
  ALLOW_USER_SRP_AUTH, which an app client made in Cognito's console allows by default).
- ``auto`` (the default): USER_PASSWORD_AUTH, one round trip and no big-number work, until the app
  client refuses it ("USER_PASSWORD_AUTH flow not enabled for this client", an
  InvalidParameterException); then that sign-in and every later one in this process use SRP. The
  choice is kept on the Cognito client (``sign_in_flow``), so it is made once per process.

SRP's maths is ``server/srp.py``; its big-number work (some 50 ms of CPU a sign-in) runs in a small
thread pool of its own (``SRP_THREADS``), never on the IOLoop. Python's ``pow`` keeps the GIL while
it runs, so the IOLoop waits for at most one ``pow`` at a time (some 20 ms), never for a whole
sign-in. SECRET_HASH is computed on the name each step sends: the name the person typed for
InitiateAuth, the name Cognito assigned (the challenge's USERNAME, its USER_ID_FOR_SRP) for the
answer. A remembered device's key (DEVICE_KEY) goes in InitiateAuth's parameters and PASSWORD_VERIFIER's
answer (``device_key``); ``handlers.devices`` answers the DEVICE_SRP_AUTH step that may follow.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re

from botocore.exceptions import ClientError

from server import srp
from server.call import Call
from server.errors import ApiError

log = logging.getLogger("server.sign_in")

PASSWORD, SRP, AUTO = "password", "srp", "auto"
SIGN_IN_FLOWS = (PASSWORD, SRP, AUTO)
PASSWORD_VERIFIER = "PASSWORD_VERIFIER"
SRP_THREADS = 2
# Cognito's refusal of a flow the app client does not allow: InvalidParameterException, "USER_PASSWORD_AUTH
# flow not enabled for this client".
_FLOW_REFUSED = re.compile(r"(?P<flow>USER_PASSWORD_AUTH|USER_SRP_AUTH)\s+flow\s+not\s+enabled", re.IGNORECASE)

_executor: concurrent.futures.ThreadPoolExecutor | None = None


def executor() -> concurrent.futures.ThreadPoolExecutor:
    """The threads SRP's maths runs on (made when first needed)."""
    global _executor
    if _executor is None:
        _executor = concurrent.futures.ThreadPoolExecutor(SRP_THREADS, thread_name_prefix="srp")
    return _executor


def refused_flow(error: Exception) -> str | None:
    """The flow (USER_PASSWORD_AUTH, USER_SRP_AUTH) ``error`` says the app client does not allow, if it
    is Cognito saying so."""
    if not isinstance(error, ClientError):
        return None
    details = error.response.get("Error", {})
    found = _FLOW_REFUSED.search(str(details.get("Message", "")))
    return found.group("flow").upper() if found and details.get("Code") == "InvalidParameterException" else None


def password_flow_refused(error: Exception) -> bool:
    return refused_flow(error) == "USER_PASSWORD_AUTH"


def _srp_flow_refused(error: Exception) -> bool:
    return refused_flow(error) == "USER_SRP_AUTH"


async def password_sign_in(call: Call, user: str, password: str, device_key: str | None = None) -> dict:
    """Cognito's answer to signing ``user`` in with ``password`` (InitiateAuth, and for SRP its
    PASSWORD_VERIFIER step): tokens, or the next step (an MFA code, a new password)."""
    cognito = call.cognito
    flow = getattr(cognito, "sign_in_flow", None) or call.config.sign_in_flow
    if flow == SRP:
        return await srp_sign_in(call, user, password, device_key)
    if flow == PASSWORD:
        try:
            return await _password_flow(call, user, password, device_key)
        except ClientError:
            log.error(
                "SIGN_IN_FLOW is password, but the app client refuses USER_PASSWORD_AUTH: allow "
                "ALLOW_USER_PASSWORD_AUTH on it, or set SIGN_IN_FLOW to srp or auto."
            )
            raise ApiError("CognitoMisconfigured") from None
    try:
        return await _password_flow(call, user, password, device_key)
    except ClientError as error:  # only the refusal of the flow gets here
        if getattr(cognito, "sign_in_flow", None) != SRP:
            cognito.sign_in_flow = SRP
            log.warning(
                "The app client refuses USER_PASSWORD_AUTH (%s): signing in with SRP "
                "(USER_SRP_AUTH) from now on in this process.",
                error.response["Error"].get("Code"),
            )
        return await srp_sign_in(call, user, password, device_key)


async def _password_flow(call: Call, user: str, password: str, device_key: str | None = None) -> dict:
    """InitiateAuth USER_PASSWORD_AUTH; the refusal of the flow raised as botocore's ClientError."""
    auth = {"USERNAME": user, "PASSWORD": password, "SECRET_HASH": call.cognito.secret_hash(user)}
    if device_key:
        auth["DEVICE_KEY"] = device_key
    return await call.cognito.call_passing(
        "InitiateAuth",
        password_flow_refused,
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=call.cognito.client_id,
        AuthParameters=auth,
    )


async def srp_sign_in(call: Call, user: str, password: str, device_key: str | None = None) -> dict:
    """USER_SRP_AUTH, then the claim for its PASSWORD_VERIFIER challenge."""
    cognito = call.cognito
    loop = asyncio.get_running_loop()
    session = await loop.run_in_executor(executor(), srp.ClientSession)
    auth = {"USERNAME": user, "SRP_A": session.srp_a, "SECRET_HASH": cognito.secret_hash(user)}
    if device_key:
        auth["DEVICE_KEY"] = device_key
    try:
        response = await cognito.call_passing(
            "InitiateAuth", _srp_flow_refused, AuthFlow="USER_SRP_AUTH", ClientId=cognito.client_id, AuthParameters=auth
        )
    except ClientError:
        log.error(
            "The app client refuses USER_SRP_AUTH: allow ALLOW_USER_SRP_AUTH on it%s.",
            "" if call.config.sign_in_flow == SRP else " (or ALLOW_USER_PASSWORD_AUTH)",
        )
        raise ApiError("CognitoMisconfigured") from None
    if response.get("ChallengeName") != PASSWORD_VERIFIER:
        return response  # tokens or another step, which the caller answers as any other
    parameters: dict[str, str] = response.get("ChallengeParameters") or {}
    timestamp = srp.cognito_timestamp()
    try:
        # The challenge names the user the claim is for (the sub), as it names SALT and SRP_B.
        user_id = parameters["USER_ID_FOR_SRP"]
        signature = await loop.run_in_executor(
            executor(), session.claim, srp.pool_name(call.config.user_pool_id), user_id, password, parameters, timestamp
        )
    except (KeyError, TypeError, ValueError) as error:
        log.error("Cognito's PASSWORD_VERIFIER challenge cannot be answered: %s", type(error).__name__)
        raise ApiError("CognitoError") from None
    username = parameters.get("USERNAME") or user_id
    responses = {
        "USERNAME": username,
        "PASSWORD_CLAIM_SECRET_BLOCK": parameters["SECRET_BLOCK"],
        "PASSWORD_CLAIM_SIGNATURE": signature,
        "TIMESTAMP": timestamp,
        "SECRET_HASH": cognito.secret_hash(username),
    }
    if device_key:
        responses["DEVICE_KEY"] = device_key
    session_token = {"Session": response["Session"]} if response.get("Session") else {}
    try:
        return await cognito.call(
            "RespondToAuthChallenge",
            ClientId=cognito.client_id,
            ChallengeName=PASSWORD_VERIFIER,
            ChallengeResponses=responses,
            **session_token,
        )
    except ApiError as error:
        # NotAuthorizedException answering the claim is a wrong password (or a user who cannot sign
        # in), not a spent session as it is for the other challenges.
        if error.code == "ChallengeExpired":
            raise ApiError("NotAuthorized") from None
        raise

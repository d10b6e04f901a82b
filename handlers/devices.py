"""Remembered devices: this browser remembered at the MFA step, the DEVICE_SRP_AUTH step answered
for it at the next sign-in, and the methods listDevices and forgetDevice.

A person who answers an MFA code with ``remember_device`` (``respondToChallenge``) gets this browser
remembered: with the tokens, a user pool that tracks devices (its DeviceConfiguration) sends
NewDeviceMetadata; the server makes the device's secret and verifier (off the IOLoop), calls
ConfirmDevice and, where the pool waits for the user's word (DeviceOnlyRememberedOnUserPrompt),
UpdateDeviceStatus ``remembered``, and keeps the device in this browser's device cookie
(``server.device_cookie``). At the next sign-in here the device's key goes with the password
(DEVICE_KEY); where Cognito would ask for the MFA code it asks DEVICE_SRP_AUTH instead, which the
server answers with the device's secret (both steps, the SRP maths off the IOLoop), so the person
gets tokens with no code. If Cognito refuses the device (forgotten elsewhere, or the sign-in is
another account's), the cookie goes and the sign-in starts again without it: the code is asked.

``listDevices`` and ``forgetDevice`` (ListDevices, ForgetDevice) take the access token; forgetting
this browser's device also clears its cookie.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import re
from typing import Any, Awaitable, Callable

from server import srp
from server.call import Call
from server.cognito_errors import device_answer_error
from server.device_cookie import StoredDevice, new_device_secret
from server.errors import ApiError
from server.registry import method
from server.sign_in_flows import executor
from server.tokens import unverified_claims

log = logging.getLogger("server.devices")

DEVICE_SRP_AUTH = "DEVICE_SRP_AUTH"
DEVICE_PASSWORD_VERIFIER = "DEVICE_PASSWORD_VERIFIER"
# Cognito's DeviceKeyType: 1 to 55 characters, "<region>_<hex and dashes>".
DEVICE_KEY = re.compile(r"[\w-]+_[0-9a-f-]+")
MAX_DEVICE_KEY = 55
MAX_DEVICE_NAME = 1024
DEFAULT_DEVICE_NAME = "Web browser"
LIST_LIMIT = 60  # ListDevices' largest page
MAX_PAGES = 5


def this_browsers_device(call: Call) -> StoredDevice | None:
    return call.device_cookie.device if call.device_cookie is not None else None


async def with_device(call: Call, sign_in: Callable[[str | None], Awaitable[dict]]) -> dict:
    """Cognito's answer to ``sign_in`` (called with this browser's device key, or None), the
    DEVICE_SRP_AUTH step answered for the device; started again without the device when Cognito
    refuses it (the cookie then goes)."""
    device = this_browsers_device(call)
    if device is None:
        return await sign_in(None)
    try:
        response = await sign_in(device.key)
        if response.get("ChallengeName") == DEVICE_SRP_AUTH:
            response = await device_srp(call, response, device)
        return response
    except ApiError as error:
        # A wrong password is the person's, whatever the device: told as it is.
        if error.code not in ("InvalidParameter", "ChallengeExpired", "DeviceNotFound"):
            raise
        log.info("This browser's remembered device was refused (%s): signing in without it.", error.code)
    call.device_cookie.clear()  # type: ignore[union-attr]
    return await sign_in(None)


async def answer_device_step(call: Call, response: dict) -> dict:
    """DEVICE_SRP_AUTH in answer to another step (a new password): answered with this browser's
    device; when there is none, or Cognito refuses it, the cookie goes and the sign-in must start
    again (it will then ask for the code)."""
    device = this_browsers_device(call)
    try:
        if device is not None:
            return await device_srp(call, response, device)
    except ApiError as error:
        if error.code not in ("InvalidParameter", "ChallengeExpired", "DeviceNotFound"):
            raise
    if call.device_cookie is not None and call.device_cookie.present:
        call.device_cookie.clear()
    raise ApiError("ChallengeExpired")


async def device_srp(call: Call, response: dict, device: StoredDevice) -> dict:
    """DEVICE_SRP_AUTH, then the claim for its DEVICE_PASSWORD_VERIFIER step, with the device's secret."""
    cognito = call.cognito
    loop = asyncio.get_running_loop()
    parameters = response.get("ChallengeParameters") or {}
    username = parameters.get("USERNAME") or parameters.get("USER_ID_FOR_SRP") or device.username
    session = await loop.run_in_executor(executor(), srp.ClientSession)
    try:
        step = await cognito.call(
            "RespondToAuthChallenge",
            ClientId=cognito.client_id,
            ChallengeName=DEVICE_SRP_AUTH,
            Session=response.get("Session"),
            ChallengeResponses={
                "USERNAME": username,
                "DEVICE_KEY": device.key,
                "SRP_A": session.srp_a,
                "SECRET_HASH": cognito.secret_hash(username),
            },
        )
    except ApiError as error:
        raise device_answer_error(error) from None
    if step.get("ChallengeName") != DEVICE_PASSWORD_VERIFIER:
        return step
    challenge: dict[str, str] = step.get("ChallengeParameters") or {}
    timestamp = srp.cognito_timestamp()
    try:
        signature = await loop.run_in_executor(
            executor(), session.claim, device.group, device.key, device.secret, challenge, timestamp
        )
    except (KeyError, TypeError, ValueError) as error:
        log.error("Cognito's DEVICE_PASSWORD_VERIFIER challenge cannot be answered: %s", type(error).__name__)
        raise ApiError("CognitoError") from None
    username = challenge.get("USERNAME") or username
    try:
        return await cognito.call(
            "RespondToAuthChallenge",
            ClientId=cognito.client_id,
            ChallengeName=DEVICE_PASSWORD_VERIFIER,
            Session=step.get("Session"),
            ChallengeResponses={
                "USERNAME": username,
                "DEVICE_KEY": device.key,
                "TIMESTAMP": timestamp,
                "PASSWORD_CLAIM_SECRET_BLOCK": challenge["SECRET_BLOCK"],
                "PASSWORD_CLAIM_SIGNATURE": signature,
                "SECRET_HASH": cognito.secret_hash(username),
            },
        )
    except ApiError as error:
        raise device_answer_error(error) from None


def forget_stale_device(call: Call, result: dict) -> None:
    """Tokens that come with NewDeviceMetadata for the account this browser's device was remembered
    for: Cognito no longer knows that device (it was forgotten elsewhere), so its cookie goes."""
    device = this_browsers_device(call)
    if device is None or not result.get("NewDeviceMetadata"):
        return
    if unverified_claims(result["AccessToken"]).get("username") == device.username:
        call.device_cookie.clear()  # type: ignore[union-attr]


async def remember_this_browser(call: Call, result: dict, name: str | None) -> bool:
    """Remember this browser as the device of the tokens' NewDeviceMetadata: ConfirmDevice (and
    UpdateDeviceStatus where the pool waits for the user's word), and the device cookie. False, and
    a warning in the log, when the pool does not track devices or Cognito refuses; the sign-in
    itself has succeeded either way."""
    metadata = result.get("NewDeviceMetadata")
    if not isinstance(metadata, dict) or not metadata.get("DeviceKey") or not metadata.get("DeviceGroupKey"):
        log.warning(
            "A person asked to remember this browser, but the user pool sent no NewDeviceMetadata: "
            "turn on its device tracking (DeviceConfiguration, docs/production.md)."
        )
        return False
    key, group = metadata["DeviceKey"], metadata["DeviceGroupKey"]
    loop = asyncio.get_running_loop()
    secret, verifier = await loop.run_in_executor(executor(), new_device_secret, group, key)
    access_token = result["AccessToken"]
    try:
        confirmed = await call.cognito.call(
            "ConfirmDevice",
            AccessToken=access_token,
            DeviceKey=key,
            DeviceSecretVerifierConfig=verifier,
            DeviceName=(name or DEFAULT_DEVICE_NAME)[:MAX_DEVICE_NAME],
        )
        if confirmed.get("UserConfirmationNecessary"):
            await call.cognito.call(
                "UpdateDeviceStatus", AccessToken=access_token, DeviceKey=key, DeviceRememberedStatus="remembered"
            )
    except ApiError as error:
        log.warning("This browser could not be remembered: %s.", error.code)
        return False
    username = unverified_claims(access_token)["username"]
    call.device_cookie.store(StoredDevice(key=key, group=group, secret=secret, username=username))  # type: ignore[union-attr]
    return True


def _when(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.datetime) else value


def _device(described: dict, this_browser: str | None) -> dict:
    attributes = {a.get("Name"): a.get("Value") for a in described.get("DeviceAttributes") or [] if isinstance(a, dict)}
    key = described.get("DeviceKey")
    return {
        "key": key,
        "name": attributes.get("device_name"),
        "remembered": attributes.get("device_remembered_status") == "remembered",
        "created": _when(described.get("DeviceCreateDate")),
        "last_signed_in": _when(described.get("DeviceLastAuthenticatedDate")),
        "this_browser": key is not None and key == this_browser,
    }


@method("listDevices", refresh_cookie=True)
async def list_devices(call: Call, access_token: str) -> dict:
    """The account's devices, oldest first: ``key``, ``name``, ``remembered``, ``created`` and
    ``last_signed_in`` (ISO 8601), and ``this_browser``: whether it is the device this browser was
    remembered as."""
    device = this_browsers_device(call)
    devices: list[dict] = []
    parameters: dict = {"AccessToken": access_token, "Limit": LIST_LIMIT}
    for _ in range(MAX_PAGES):
        response = await call.cognito.call("ListDevices", **parameters)
        devices += [
            _device(d, device.key if device else None) for d in response.get("Devices") or [] if isinstance(d, dict)
        ]
        if not response.get("PaginationToken"):
            break
        parameters["PaginationToken"] = response["PaginationToken"]
    return {"devices": devices}


@method("forgetDevice", refresh_cookie=True)
async def forget_device(call: Call, access_token: str, key: str) -> dict:
    """Forget one of the account's devices (``key``, as listDevices gives it); when it is this
    browser's, its cookie goes too, and the next sign-in here asks for the code again."""
    if not key or len(key) > MAX_DEVICE_KEY or not DEVICE_KEY.fullmatch(key):
        raise ApiError("DeviceNotFound", field="key")
    await call.cognito.call("ForgetDevice", AccessToken=access_token, DeviceKey=key)
    device = this_browsers_device(call)
    this_browser = device is not None and device.key == key
    if this_browser:
        call.device_cookie.clear()  # type: ignore[union-attr]
    return {"forgotten": True, "this_browser": this_browser}

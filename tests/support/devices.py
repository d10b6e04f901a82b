"""Remembered devices as a client of the local Cognito makes them, with pycognito's device maths (a
client we did not write): the device secret and verifier for ConfirmDevice (``generate_hash_device``)
and the claim for DEVICE_PASSWORD_VERIFIER (``AWSSRP.process_device_challenge``).
"""

from __future__ import annotations

import dataclasses

from pycognito.aws_srp import AWSSRP, generate_hash_device, long_to_hex

from tests.support.accounts import PASSWORD


@dataclasses.dataclass(frozen=True)
class Device:
    """What a client keeps of a confirmed device."""

    key: str
    group: str
    secret: str


def confirmed(idp, tokens: dict, name: str = "Test browser", remember: bool = True) -> Device:
    """ConfirmDevice for the NewDeviceMetadata of ``tokens`` (an AuthenticationResult), then
    UpdateDeviceStatus remembered (unless ``remember`` is false)."""
    metadata = tokens["NewDeviceMetadata"]
    secret, config = generate_hash_device(metadata["DeviceGroupKey"], metadata["DeviceKey"])
    answer = idp.confirm_device(
        AccessToken=tokens["AccessToken"],
        DeviceKey=metadata["DeviceKey"],
        DeviceSecretVerifierConfig=config,
        DeviceName=name,
    )
    assert answer["UserConfirmationNecessary"] is True
    if remember:
        idp.update_device_status(
            AccessToken=tokens["AccessToken"], DeviceKey=metadata["DeviceKey"], DeviceRememberedStatus="remembered"
        )
    return Device(metadata["DeviceKey"], metadata["DeviceGroupKey"], secret)


def device_srp(idp, pool, email: str, device: Device, challenge: dict) -> dict:
    """Answer a DEVICE_SRP_AUTH challenge and its DEVICE_PASSWORD_VERIFIER step with pycognito's
    maths (the device secret ``device.secret``): RespondToAuthChallenge's last answer."""
    client = AWSSRP(
        username=email,
        password=PASSWORD,
        pool_id=pool.pool_id,
        client_id=pool.client_id,
        client=idp,
        client_secret=pool.client_secret,
        device_key=device.key,
        device_group_key=device.group,
        device_password=device.secret,
    )
    username = challenge["ChallengeParameters"]["USER_ID_FOR_SRP"]
    verifier = idp.respond_to_auth_challenge(
        ClientId=pool.client_id,
        ChallengeName="DEVICE_SRP_AUTH",
        Session=challenge["Session"],
        ChallengeResponses={
            "USERNAME": username,
            "DEVICE_KEY": device.key,
            "SECRET_HASH": idp.hash(username),
            "SRP_A": long_to_hex(client.large_a_value),
        },
    )
    assert verifier["ChallengeName"] == "DEVICE_PASSWORD_VERIFIER"
    responses = client.process_device_challenge(verifier["ChallengeParameters"])
    return idp.respond_to_auth_challenge(
        ClientId=pool.client_id,
        ChallengeName="DEVICE_PASSWORD_VERIFIER",
        Session=verifier["Session"],
        ChallengeResponses=responses,
    )

"""The local Cognito's device tracking (local_cognito/devices.py), as Cognito documents it: a sign-in
answers NewDeviceMetadata; ConfirmDevice keeps the device's verifier and, on a pool that remembers
devices when the user asks, says UserConfirmationNecessary; a remembered device's next sign-in is
asked DEVICE_SRP_AUTH instead of the MFA code, and its claim is checked; the device operations; and
the refusals of a pool without device tracking.

Driven over HTTP with boto3; the device's secret, verifier and claim are pycognito's maths
(tests/support/devices.py), and every answer is checked against botocore's model of Cognito.
"""

from __future__ import annotations

import re

import botocore.session
import pytest

from local_cognito.devices import ALWAYS, OPT_IN
from local_cognito.totp import STEP_SECONDS
from server.config import ConfigError, load_config
from tests.support import PASSWORD, local_config
from tests.support.devices import Device, confirmed, device_srp
from tests.support.local_pool import code_at, error_code, error_message, password_auth, respond_mfa, signed_in, with_mfa

MODEL = botocore.session.get_session().get_service_model("cognito-idp")
DEVICE_KEY = re.compile(MODEL.shape_for("DeviceKeyType").metadata["pattern"])


@pytest.fixture
def tracking(pool):
    """The pool's DeviceConfiguration, put back after the test."""
    yield pool.devices
    pool.devices.configuration = dict(OPT_IN)


def mfa_sign_in(idp, clock, user: dict, secret: str, device_key: str | None = None) -> dict:
    """A password sign-in (with ``device_key``) answered with the authenticator's code."""
    clock.advance(STEP_SECONDS)
    challenge = signed_in_with(idp, user, device_key)
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    return respond_mfa(idp, user, challenge["Session"], code_at(secret, clock()))["AuthenticationResult"]


def signed_in_with(idp, user: dict, device_key: str | None) -> dict:
    """InitiateAuth USER_PASSWORD_AUTH, with ``device_key`` as DEVICE_KEY when given."""
    auth = {"USERNAME": user["email"], "PASSWORD": PASSWORD, "SECRET_HASH": idp.hash(user["email"])}
    if device_key:
        auth["DEVICE_KEY"] = device_key
    return idp.initiate_auth(ClientId=idp.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=auth)


def test_a_sign_in_answers_new_device_metadata_and_confirm_device_keeps_it(idp, pool, tracking):
    user = signed_in(idp)
    metadata = user["NewDeviceMetadata"]
    assert DEVICE_KEY.fullmatch(metadata["DeviceKey"]) and metadata["DeviceKey"].startswith("us-east-1_")
    assert metadata["DeviceGroupKey"]
    assert idp.list_devices(AccessToken=user["AccessToken"])["Devices"] == []  # not confirmed yet
    device = confirmed(idp, user, name="Firefox on a laptop", remember=False)
    got = idp.get_device(AccessToken=user["AccessToken"], DeviceKey=device.key)["Device"]
    attributes = {a["Name"]: a["Value"] for a in got["DeviceAttributes"]}
    assert attributes["device_remembered_status"] == "not_remembered"
    assert attributes["device_name"] == "Firefox on a laptop"
    idp.update_device_status(AccessToken=user["AccessToken"], DeviceKey=device.key, DeviceRememberedStatus="remembered")
    listed = idp.list_devices(AccessToken=user["AccessToken"])["Devices"]
    assert [d["DeviceKey"] for d in listed] == [device.key]
    assert {a["Name"]: a["Value"] for a in listed[0]["DeviceAttributes"]}["device_remembered_status"] == "remembered"
    # The same key cannot be confirmed twice, and a key the pool never gave is refused.
    assert (
        error_code(
            idp.confirm_device,
            AccessToken=user["AccessToken"],
            DeviceKey=device.key,
            DeviceSecretVerifierConfig={"PasswordVerifier": "AQ==", "Salt": "AQ=="},
        )
        == "DeviceKeyExistsException"
    )
    assert error_message(
        idp.confirm_device,
        AccessToken=user["AccessToken"],
        DeviceKey="us-east-1_0000",
        DeviceSecretVerifierConfig={"PasswordVerifier": "AQ==", "Salt": "AQ=="},
    ) == ("InvalidParameterException", "Invalid device key given.")
    # Kept in the database, one row, the user's.
    assert pool.db.all("SELECT sub FROM devices WHERE key = ?", (device.key,)) == [(user["sub"],)]
    idp.forget_device(AccessToken=user["AccessToken"], DeviceKey=device.key)
    assert (
        error_code(idp.get_device, AccessToken=user["AccessToken"], DeviceKey=device.key) == "ResourceNotFoundException"
    )
    assert idp.list_devices(AccessToken=user["AccessToken"])["Devices"] == []


def test_another_users_device_is_not_found(idp, tracking):
    owner, other = signed_in(idp), signed_in(idp)
    device = confirmed(idp, owner)
    for call in (idp.get_device, idp.forget_device):
        assert error_code(call, AccessToken=other["AccessToken"], DeviceKey=device.key) == "ResourceNotFoundException"
    owners_new_key = password_auth(idp, owner["email"])["AuthenticationResult"]["NewDeviceMetadata"]["DeviceKey"]
    assert (
        error_code(
            idp.confirm_device,
            AccessToken=other["AccessToken"],
            DeviceKey=owners_new_key,
            DeviceSecretVerifierConfig={"PasswordVerifier": "AQ==", "Salt": "AQ=="},
        )
        == "InvalidParameterException"
    )


def test_a_remembered_device_signs_in_with_device_srp_instead_of_the_code(idp, pool, clock, tracking):
    user, secret = with_mfa(idp, clock)
    tokens = mfa_sign_in(idp, clock, user, secret)
    device = confirmed(idp, tokens)
    challenge = signed_in_with(idp, user, device.key)
    assert challenge["ChallengeName"] == "DEVICE_SRP_AUTH"
    assert challenge["ChallengeParameters"]["DEVICE_KEY"] == device.key
    result = device_srp(idp, pool, user["email"], device, challenge)["AuthenticationResult"]
    assert idp.get_user(AccessToken=result["AccessToken"])["Username"] == user["sub"]
    assert "NewDeviceMetadata" not in result  # the device is known
    # The same with SRP sign-in (USER_SRP_AUTH's DEVICE_KEY) is tested with amazon-cognito-identity-js.


def test_a_wrong_device_secret_is_refused(idp, pool, clock, tracking):
    user, secret = with_mfa(idp, clock)
    device = confirmed(idp, mfa_sign_in(idp, clock, user, secret))
    challenge = signed_in_with(idp, user, device.key)
    forged = Device(device.key, device.group, "not-the-device-secret")
    assert error_message(lambda: device_srp(idp, pool, user["email"], forged, challenge)) == (
        "NotAuthorizedException",
        "Incorrect username or password.",
    )


def test_a_device_not_remembered_or_forgotten_is_asked_for_the_code(idp, clock, tracking):
    user, secret = with_mfa(idp, clock)
    kept = confirmed(idp, mfa_sign_in(idp, clock, user, secret), remember=False)
    assert signed_in_with(idp, user, kept.key)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    tokens = mfa_sign_in(idp, clock, user, secret, device_key=kept.key)
    assert "NewDeviceMetadata" not in tokens  # a confirmed device, only not remembered
    idp.update_device_status(AccessToken=tokens["AccessToken"], DeviceKey=kept.key, DeviceRememberedStatus="remembered")
    assert signed_in_with(idp, user, kept.key)["ChallengeName"] == "DEVICE_SRP_AUTH"
    idp.forget_device(AccessToken=tokens["AccessToken"], DeviceKey=kept.key)
    assert signed_in_with(idp, user, kept.key)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_another_users_device_key_does_not_skip_the_code(idp, clock, tracking):
    owner, other = signed_in(idp), with_mfa(idp, clock)
    device = confirmed(idp, owner)
    user, _ = other
    assert signed_in_with(idp, user, device.key)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_always_remembers_a_confirmed_device(idp, tracking):
    tracking.configuration = dict(ALWAYS)
    user = signed_in(idp)
    metadata = user["NewDeviceMetadata"]
    answer = idp.confirm_device(
        AccessToken=user["AccessToken"],
        DeviceKey=metadata["DeviceKey"],
        DeviceSecretVerifierConfig={"PasswordVerifier": "AgM=", "Salt": "BAU="},
    )
    assert answer["UserConfirmationNecessary"] is False
    got = idp.get_device(AccessToken=user["AccessToken"], DeviceKey=metadata["DeviceKey"])["Device"]
    assert {"Name": "device_remembered_status", "Value": "remembered"} in got["DeviceAttributes"]


def test_without_device_tracking_the_pool_refuses_devices(idp, clock, tracking):
    user, secret = with_mfa(idp, clock)
    device = confirmed(idp, mfa_sign_in(idp, clock, user, secret))
    tracking.configuration = None
    tokens = mfa_sign_in(idp, clock, user, secret, device_key=device.key)  # the key is ignored
    assert "NewDeviceMetadata" not in tokens
    assert (
        error_code(
            idp.update_device_status,
            AccessToken=tokens["AccessToken"],
            DeviceKey=device.key,
            DeviceRememberedStatus="remembered",
        )
        == "InvalidUserPoolConfigurationException"
    )
    assert (
        error_code(
            idp.confirm_device,
            AccessToken=tokens["AccessToken"],
            DeviceKey=device.key,
            DeviceSecretVerifierConfig={"PasswordVerifier": "AQ==", "Salt": "AQ=="},
        )
        == "InvalidUserPoolConfigurationException"
    )
    assert [d["DeviceKey"] for d in idp.list_devices(AccessToken=tokens["AccessToken"])["Devices"]] == [device.key]
    assert "NewDeviceMetadata" not in password_auth(idp, signed_in(idp)["email"])["AuthenticationResult"]


def test_devices_go_with_their_user_and_admins_list_and_forget_them(idp, admin, pool, tracking):
    user = signed_in(idp)
    device = confirmed(idp, user)
    listed = admin.admin_list_devices(UserPoolId=pool.pool_id, Username=user["email"])["Devices"]
    assert [d["DeviceKey"] for d in listed] == [device.key]
    admin.admin_forget_device(UserPoolId=pool.pool_id, Username=user["email"], DeviceKey=device.key)
    assert admin.admin_list_devices(UserPoolId=pool.pool_id, Username=user["email"])["Devices"] == []
    again = confirmed(idp, password_auth(idp, user["email"])["AuthenticationResult"])
    assert again.group == device.group  # one group key for all the user's devices
    idp.delete_user(AccessToken=user["AccessToken"])
    assert pool.db.all("SELECT key FROM devices WHERE sub = ?", (user["sub"],)) == []


def test_list_devices_pages_as_the_model_says(idp, tracking):
    user = signed_in(idp)
    keys = [confirmed(idp, user).key]
    for _ in range(2):
        keys.append(confirmed(idp, password_auth(idp, user["email"])["AuthenticationResult"]).key)
    first = idp.list_devices(AccessToken=user["AccessToken"], Limit=2)
    second = idp.list_devices(AccessToken=user["AccessToken"], Limit=2, PaginationToken=first["PaginationToken"])
    assert [d["DeviceKey"] for d in first["Devices"] + second["Devices"]] == keys
    assert "PaginationToken" not in second


def test_the_setting_names_the_pools_device_tracking(tmp_path):
    assert load_config(local_config(str(tmp_path))).local_device_tracking == "opt-in"
    assert (
        load_config(local_config(str(tmp_path), LOCAL_COGNITO_DEVICE_TRACKING="Always")).local_device_tracking
        == "always"
    )
    with pytest.raises(ConfigError, match="LOCAL_COGNITO_DEVICE_TRACKING"):
        load_config(local_config(str(tmp_path), LOCAL_COGNITO_DEVICE_TRACKING="sometimes"))

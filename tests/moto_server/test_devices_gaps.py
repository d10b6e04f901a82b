"""What moto's own server lacks of device tracking (no DeviceConfiguration, no device operations),
and that our server then answers cleanly: a person who asks to remember this browser is signed in
all the same, told ``device_remembered: false``, with no device cookie; listDevices and forgetDevice
answer clean JSON errors. The local Cognito fills the gap (docs/local-cognito.md#remembered-devices)."""

from __future__ import annotations

import pytest

from tests.support.against_moto import assert_clean_error, assert_moto_lacks, mfa_step, totp_code, with_authenticator

OPERATIONS = ["ConfirmDevice", "UpdateDeviceStatus", "GetDevice", "ListDevices", "ForgetDevice"]


@pytest.mark.parametrize("operation", OPERATIONS)
def test_moto_gap_the_device_operations_are_missing(moto, operation):
    assert_moto_lacks(moto, operation)


def test_moto_gap_remember_device_signs_in_without_remembering(server):
    email, secret = with_authenticator(server)
    person, session = mfa_step(server, email)
    reply = person.call("respondToChallenge", session=session, user=email, totp=totp_code(secret), remember_device=True)
    assert reply.status == 200 and reply.json["token_type"] == "Bearer", reply.body
    assert reply.json["device_remembered"] is False
    assert "__Host-device" not in person.cookies
    access = reply.json["access_token"]
    assert_clean_error(person.call("listDevices", access_token=access))
    assert_clean_error(person.call("forgetDevice", access_token=access, key="us-east-1_0f5c2b1e"))

"""amazon-cognito-identity-js, AWS's own JavaScript client, remembers a device with the local Cognito
under node (clients/device_sign_in.mjs): after an MFA sign-in it confirms the device itself (its own
secret and verifier), sets it remembered, and its next sign-in is DEVICE_SRP_AUTH and
DEVICE_PASSWORD_VERIFIER (its own claim) with no code asked."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

from tests.support import CODE, PASSWORD, ROOT
from tests.support.local_pool import signed_in

SCRIPT = os.path.join(ROOT, "clients", "device_sign_in.mjs")
PHONE = "+15550100177"


def test_amazon_cognito_identity_js_remembers_a_device_and_skips_the_code(idp, pool, local):
    user = signed_in(idp)
    token = user["AccessToken"]
    idp.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "phone_number", "Value": PHONE}])
    idp.verify_user_attribute(AccessToken=token, AttributeName="phone_number", Code=CODE)
    idp.set_user_mfa_preference(AccessToken=token, SMSMfaSettings={"Enabled": True, "PreferredMfa": True})
    env = dict(
        os.environ,
        COGNITO_ENDPOINT=local.endpoint_url,
        COGNITO_USER_POOL_ID=pool.pool_id,
        COGNITO_USER_CLIENT_ID=pool.client_id,
        COGNITO_CLIENT_SECRET=pool.client_secret,
        DEVICE_EMAIL=user["email"],
        DEVICE_PASSWORD=PASSWORD,
        DEVICE_MFA_CODE=CODE,
    )
    run = subprocess.run(
        [shutil.which("node") or "node", SCRIPT],
        cwd=os.path.dirname(SCRIPT),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["first"] == {"sub": user["sub"], "confirmationNecessary": True}
    assert result["remembered"] == "SUCCESS"
    assert result["second"] == {"sub": user["sub"], "confirmationNecessary": False}
    assert result["sent"] == [
        "InitiateAuth USER_SRP_AUTH",
        "RespondToAuthChallenge PASSWORD_VERIFIER",
        "RespondToAuthChallenge SMS_MFA",
        "ConfirmDevice",
        "UpdateDeviceStatus",
        "InitiateAuth USER_SRP_AUTH",
        "RespondToAuthChallenge PASSWORD_VERIFIER",
        "RespondToAuthChallenge DEVICE_SRP_AUTH",
        "RespondToAuthChallenge DEVICE_PASSWORD_VERIFIER",
    ]
    listed = idp.list_devices(AccessToken=token)["Devices"]
    assert (
        len(listed) == 1
        and {"Name": "device_remembered_status", "Value": "remembered"} in listed[0]["DeviceAttributes"]
    )

"""The AWS SDK for JavaScript v3 (clients/sdk_suite.mjs, under node) against ``python -m local_cognito``
with nothing but what it printed: sign-up, confirmation, sign-in, both refreshes, TOTP MFA and
revocation, with every refusal's name as the SDK reports it, and each of those names one botocore's
model of Cognito lists for that operation. It fails (never skips) when node or the SDK is missing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid

import boto3
import botocore.session
import pytest
from botocore.config import Config as BotoConfig

from tests.support import CODE, clean_environment
from tests.support.emulator import Emulator
from tests.support.processes import ROOT

CLIENTS = os.path.join(ROOT, "clients")
SUITE = os.path.join(CLIENTS, "sdk_suite.mjs")
SDK = "@aws-sdk/client-cognito-identity-provider"
STEPS = [
    "discovery",
    "sign-up",
    "sign-up refusals",
    "confirm",
    "sign-in",
    "refresh: REFRESH_TOKEN_AUTH",
    "refresh: GetTokensFromRefreshToken",
    "TOTP: associate and verify",
    "TOTP: sign-in answers SOFTWARE_TOKEN_MFA",
    "revoke",
]
# Each refusal the suite asks for, in order: (operation, error name).
REFUSALS = [
    ("SignUp", "UsernameExistsException"),  # the same email again
    ("SignUp", "NotAuthorizedException"),  # a SECRET_HASH computed for another user name
    ("InitiateAuth", "UserNotConfirmedException"),
    ("ConfirmSignUp", "CodeMismatchException"),
    ("InitiateAuth", "NotAuthorizedException"),  # a wrong password
    ("InitiateAuth", "NotAuthorizedException"),  # a wrong SECRET_HASH
    ("InitiateAuth", "NotAuthorizedException"),  # REFRESH_TOKEN_AUTH with a token that is not one
    ("GetTokensFromRefreshToken", "NotAuthorizedException"),  # a wrong client secret
    ("VerifySoftwareToken", "EnableSoftwareTokenMFAException"),  # a wrong TOTP code
    ("RespondToAuthChallenge", "CodeMismatchException"),  # a TOTP code already used
    ("GetTokensFromRefreshToken", "NotAuthorizedException"),  # a revoked refresh token
    ("InitiateAuth", "NotAuthorizedException"),  # the same, with REFRESH_TOKEN_AUTH
    ("GetUser", "NotAuthorizedException"),  # an access token issued with the revoked refresh token
]


def require_node_and_sdk() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the JavaScript SDK suite runs under node 20 or later")
    if not os.path.exists(os.path.join(CLIENTS, "node_modules", *SDK.split("/"), "package.json")):
        pytest.fail(f"{SDK} is not installed: run `npm ci --prefix clients`")
    return node


def run_suite(printed: dict[str, str], code: str, email: str) -> subprocess.CompletedProcess:
    """The suite under node, with the printed lines as its environment and no AWS credentials or
    profile of this machine's: nothing else tells it where Cognito is."""
    env = clean_environment(
        unset=("AWS_",),
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        CONFIRMATION_CODE=code,
        SDK_SUITE_EMAIL=email,
        **printed,
    )
    return subprocess.run(
        [require_node_and_sdk(), SUITE], cwd=CLIENTS, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    folder = tmp_path_factory.mktemp("emulator")
    process = Emulator(str(folder / "data"), str(folder / "emulator.log"), "--code", CODE, "--print-env")
    yield process
    process.stop()


def test_the_sdk_is_pinned_exactly_and_installed_at_that_version():
    with open(os.path.join(CLIENTS, "package.json"), encoding="utf-8") as manifest:
        pinned = json.load(manifest)["dependencies"][SDK]
    assert pinned[0].isdigit(), pinned  # an exact version, no range
    with open(os.path.join(CLIENTS, "package-lock.json"), encoding="utf-8") as lock:
        assert json.load(lock)["packages"][f"node_modules/{SDK}"]["version"] == pinned
    require_node_and_sdk()
    with open(os.path.join(CLIENTS, "node_modules", *SDK.split("/"), "package.json"), encoding="utf-8") as installed:
        assert json.load(installed)["version"] == pinned


def test_the_javascript_sdk_goes_through_every_flow_with_the_printed_values(emulator):
    printed = emulator.printed()
    email = f"sdk-{uuid.uuid4().hex[:12]}@example.com"
    result = run_suite(printed, CODE, email)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    lines = result.stdout.splitlines()
    assert [line[3:] for line in lines if line.startswith("ok ")] == STEPS, output
    refusals = [tuple(line.split()[1:]) for line in lines if line.startswith("refused ")]
    assert refusals == REFUSALS, output
    outcome = json.loads(lines[-1].removeprefix("result "))
    assert outcome["email"] == email and outcome["steps"] == STEPS

    # What it did is what the pool holds: seen by boto3, through the admin API.
    admin = boto3.client(
        "cognito-idp",
        region_name=printed["COGNITO_REGION_NAME"],
        endpoint_url=printed["COGNITO_ENDPOINT_URL"],
        aws_access_key_id="any",
        aws_secret_access_key="any",
        config=BotoConfig(retries={"total_max_attempts": 1}),
    )
    user = admin.admin_get_user(UserPoolId=printed["COGNITO_USER_POOL_ID"], Username=email)
    assert user["Username"] == outcome["sub"]
    assert user["UserStatus"] == "CONFIRMED"
    assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert "Email to" in emulator.output() and f"confirmation code is {CODE}" in emulator.output()


def test_each_refusal_it_asserts_is_one_cognitos_model_lists_for_that_operation():
    model = botocore.session.get_session().get_service_model("cognito-idp")
    for operation, error in REFUSALS:
        assert error in {shape.name for shape in model.operation_model(operation).error_shapes}, (operation, error)


def test_the_suite_fails_at_the_step_that_goes_wrong(emulator):
    """A wrong confirmation code: the suite stops at "confirm", with exit status 1."""
    result = run_suite(
        emulator.printed(), "000001" if CODE != "000001" else "000002", f"sdk-{uuid.uuid4().hex[:12]}@example.com"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith("ok ")] == ["ok discovery", "ok sign-up", "ok sign-up refusals"]
    failures = [line for line in lines if line.startswith("FAIL ")]
    assert len(failures) == 1 and failures[0].startswith("FAIL confirm: "), result.stdout
    assert not any(line.startswith("result ") for line in lines)

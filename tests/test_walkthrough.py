"""End to end: ``python tornado_server.py`` as a process, on the embedded local Cognito, played
through the tutorial's Thunder Client walkthrough with its exact bodies, then refresh, sign-out,
a restart, and account deletion."""

from __future__ import annotations

import os
import time

import pyotp
import pytest

from tests.support import Client, free_port, local_server, run_server
from tests.support.hosted_ui import hosted_sign_in_page, submit
from tests.support.tutorial import CONFIRM, CREATE, SIGN_IN, walk_through_after_a_restart, walk_through_before_a_restart


@pytest.fixture
def data_dir(tmp_path):
    return str(tmp_path / "local-cognito")


def test_the_tutorial_walkthrough_with_its_exact_bodies(data_dir):
    port = free_port()
    server = local_server(data_dir, port)
    client = Client(server.url)
    try:
        before = walk_through_before_a_restart(client)
    finally:
        first_run_log = server.stop()

    # A restart keeps the user, the password, the session and the photos.
    server = local_server(data_dir, port)
    try:
        walk_through_after_a_restart(client, before)
        assert not os.listdir(os.path.join(data_dir, "photos", "objects"))  # the account's photos went too
    finally:
        second_run_log = server.stop()

    log = first_run_log + second_run_log
    assert "Local Cognito" in log and "110260" in log  # the banner, and the "email" with the code
    # Each of the banner's lines is a line of the log, not one record with its breaks escaped.
    lines = first_run_log.splitlines()
    for told in ("Local Cognito: no AWS account needed.", "(users survive a restart)", "Hosted-UI sign-in: "):
        assert any(told in line for line in lines), told
    assert not [line for line in lines if "Local Cognito: no AWS" in line and "\\n" in line]
    for secret in ("I_love_apples", before.access_token):
        assert secret not in log


def test_set_backend_env_sh_starts_the_server(data_dir):
    port = free_port()
    server = local_server(data_dir, port, command=["bash", "set_backend_env.sh", "--port", str(port)])
    try:
        assert Client(server.url).post(CREATE).status == 200
    finally:
        output = server.stop()
    # What the script leaves empty keeps the environment's value (here, the test's folders).
    assert f"photos kept in {os.path.join(data_dir, 'photos')}" in output
    assert f"data        {data_dir}" in output


def test_a_partial_configuration_stops_start_up_naming_what_is_missing():
    result = run_server(timeout=30, COGNITO_USER_POOL_ID="us-east-1_abc")
    assert result.returncode == 2
    assert "COGNITO_REGION_NAME" in result.stderr and "COGNITO_CLIENT_SECRET" in result.stderr
    assert "Traceback" not in result.stderr


def test_root_account_keys_stop_start_up_with_the_reason():
    result = run_server(timeout=30, ROOT_USER_CLIENT_ID="AKIAROOTKEY", ROOT_USER_CLIENT_SECRET="root-secret")
    assert result.returncode == 2
    assert "Cannot start: ROOT_USER_CLIENT_ID and ROOT_USER_CLIENT_SECRET hold AWS root-account keys" in result.stderr
    assert "root-secret" not in result.stderr and "Traceback" not in result.stderr


def test_a_newcomer_sets_up_mfa_and_uses_the_admin_methods_as_the_local_admin(data_dir):
    admin_env = {
        "LOCAL_ADMIN_EMAIL": "boss@example.com",
        "LOCAL_ADMIN_PASSWORD": "Boss_password_1",
        "APP_NAME": "Photo Share",
    }
    server = local_server(data_dir, free_port(), **admin_env)
    try:
        person = Client(server.url)
        assert person.post(CREATE).status == 200
        token = person.post(CONFIRM).json["access_token"]
        # The authenticator app reads the URI (or its QR code) and shows codes.
        setup = person.call("QR_init", access_token=token, user="shieldmousetower734@gmail.com").json
        app = pyotp.parse_uri(setup["otpauth_uri"])
        assert app.issuer == "Photo Share" and "<svg" in setup["qr_svg"]
        assert person.call("QR_TOTP", access_token=token, totp=app.now()).json["mfa_enabled"] is True
        step = person.post(SIGN_IN.replace(b"_again", b"")).json
        assert step["challenge"] == "SOFTWARE_TOKEN_MFA"
        reply = person.call("respondToChallenge", session=step["session"], totp=app.at(time.time() + 30))
        assert reply.status == 200 and "access_token" in reply.json

        boss = Client(server.url)
        boss_token = boss.call("signIn", user="boss@example.com", **{"pass": "Boss_password_1"}).json["access_token"]
        users = boss.call("adminListUsers", access_token=boss_token).json["users"]
        assert sorted(u["email"] for u in users) == ["boss@example.com", "shieldmousetower734@gmail.com"]
        person_seen = boss.call("adminGetUser", access_token=boss_token, user="shieldmousetower734@gmail.com")
        assert person_seen.json["user"]["mfa"] == ["SOFTWARE_TOKEN_MFA"]
        # The person is not an admin; the admin is, and can act on the person.
        refused = person.call("adminDisableUser", access_token=reply.json["access_token"], user="boss@example.com")
        assert refused.status == 403
        assert (
            boss.call("adminDisableUser", access_token=boss_token, user="shieldmousetower734@gmail.com").status == 200
        )
    finally:
        output = server.stop()
    assert "boss@example.com" in output  # the banner names the local admin
    assert "Boss_password_1" not in output
    assert "action=adminDisableUser by=boss@example.com" in output  # the audit line


def test_hosted_ui_sign_in_works_with_no_settings(data_dir):
    """The second tutorial's flow on a fresh checkout: BASE_URL and the hosted UI need no setting."""
    port = free_port()
    server = local_server(data_dir, port)
    try:
        browser = Client(server.url)
        assert browser.post(CREATE).status == 200 and browser.post(CONFIRM).status == 200
        browser.jars.clear()  # a new browser, signing in through the hosted UI
        page = hosted_sign_in_page(browser, "/login?next=/me")
        landed = submit(browser, page, email="shieldmousetower734@gmail.com", password="I_love_apples")
        assert landed.url == f"{server.url}/me"
        assert landed.json["signed_in"] is True and landed.json["email"] == "shieldmousetower734@gmail.com"
        assert browser.call("getUser").json["attributes"]["email"] == "shieldmousetower734@gmail.com"
    finally:
        output = server.stop()
    assert f"Hosted-UI sign-in: http://localhost:{port}/login" in output
    assert f"The photos page: http://localhost:{port}/" in output

"""A password change or reset ends the other sessions, over real HTTP against the local Cognito, with
two devices (two clients, each with its own cookies): changePass ends every other session and signs
the caller in again (or asks for its authenticator code); a reset ends every session, with the
server's admin credentials or, without them, by signing in and out everywhere, which an account that
asks for an authenticator code does not allow."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from handlers.passwords import NEEDS_ADMIN
from tests.support import CODE, PASSWORD, Client, Photos, serve_app
from tests.support.hosted_ui import me_answer, signed_in_browser
from tests.support.mfa import set_up_mfa

NEW_PASSWORD = PASSWORD + "_new"


def new_email() -> str:
    return f"pw-{uuid.uuid4().hex[:12]}@example.com"


def device(base_url: str, email: str, password: str = PASSWORD) -> tuple[Client, str]:
    """A device signed in: its client (with its refresh cookie) and its access token."""
    client = Client(base_url)
    reply = client.call("signIn", user=email, **{"pass": password})
    assert reply.status == 200 and reply.json.get("access_token"), reply.body
    return client, reply.json["access_token"]


def account(base_url: str) -> str:
    email = new_email()
    client = Client(base_url)
    assert client.call("createAccount", user=email, nickname="Sam", **{"pass": PASSWORD}).status == 200
    assert client.call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD}).status == 200
    return email


def assert_session_ended(client: Client, token: str) -> None:
    """Its refresh cookie is refused (and cleared), and so is its access token."""
    reply = client.call("refresh")
    assert (reply.status, reply.json["error"]) == (401, "SessionExpired"), reply.body
    assert reply.clears_cookie("__Host-refresh")
    reply = Client(client.base_url).call("getUser", access_token=token)
    assert (reply.status, reply.json["error"]) == (401, "NotAuthorized"), reply.body


def assert_session_lives(client: Client, token: str) -> None:
    assert client.call("refresh").status == 200
    assert Client(client.base_url).call("getUser", access_token=token).status == 200


def test_a_password_change_ends_the_other_sessions_and_keeps_the_callers(base_url):
    email = account(base_url)
    (caller, old_token), (other, other_token) = device(base_url, email), device(base_url, email)
    old_cookie = caller.cookies["__Host-refresh"]
    reply = caller.call("changePass", old_pass=PASSWORD, new_pass=NEW_PASSWORD, access_token=old_token)
    assert reply.status == 200, reply.body
    assert reply.json["other_sessions_ended"] is True and reply.json["message"] == "OK"
    new_token = reply.json["access_token"]
    assert {"id_token", "expires_in", "token_type"} <= set(reply.json)
    assert caller.cookies["__Host-refresh"] != old_cookie  # a new session, in a new cookie

    assert_session_ended(other, other_token)
    stale = Client(base_url)
    stale.cookies["__Host-refresh"] = old_cookie
    assert_session_ended(stale, old_token)
    assert_session_lives(caller, new_token)
    assert Photos(caller, new_token).list().status == 200
    # The caller's old session was this server's: its token reads nothing either.
    assert Photos(caller, old_token).list().json["error"] == "InvalidToken"
    # The new password signs in; the old one does not.
    assert device(base_url, email, NEW_PASSWORD)
    assert Client(base_url).call("signIn", user=email, **{"pass": PASSWORD}).status == 401


def test_a_wrong_current_password_changes_and_ends_nothing(base_url):
    email = account(base_url)
    (caller, token), (other, other_token) = device(base_url, email), device(base_url, email)
    reply = caller.call("changePass", old_pass="Not_the_password_1", new_pass=NEW_PASSWORD, access_token=token)
    assert (reply.status, reply.json["error"]) == (401, "NotAuthorized")
    assert not reply.set_cookies()
    assert_session_lives(caller, token)
    assert_session_lives(other, other_token)


def test_a_password_change_of_an_mfa_account_answers_the_code_step(base_url):
    email = account(base_url)
    caller, token = device(base_url, email)
    _, current, later = set_up_mfa(caller, email, token)
    other_cookie = dict(caller.cookies)  # a second device, signed in before the change
    reply = caller.call("changePass", old_pass=PASSWORD, new_pass=NEW_PASSWORD, access_token=token)
    assert reply.status == 200, reply.body
    assert reply.json["other_sessions_ended"] is True
    assert (reply.json["message"], reply.json["challenge"]) == ("MFA_REQUIRED", "SOFTWARE_TOKEN_MFA")
    assert "access_token" not in reply.json
    assert reply.clears_cookie("__Host-refresh")  # every session ended, the caller's too, for now
    other = Client(base_url)
    other.cookies = other_cookie
    assert_session_ended(other, token)

    answer = caller.call("respondToChallenge", session=reply.json["session"], user=email, totp=current)
    assert answer.status == 200 and answer.json["access_token"], answer.body
    assert_session_lives(caller, answer.json["access_token"])


def test_a_password_change_keeps_a_hosted_ui_session_going(base_url):
    email = account(base_url)
    browser = signed_in_browser(base_url, email)
    copied = dict(browser.cookies)  # someone else's copy of the same session
    reply = browser.call("changePass", old_pass=PASSWORD, new_pass=NEW_PASSWORD)  # the session's token
    assert reply.status == 200 and reply.json["other_sessions_ended"] is True, reply.body
    assert any(header.startswith("__Host-session=") and "Max-Age=0" not in header for header in reply.set_cookies())
    assert browser.request("GET", "/me").json["signed_in"] is True
    assert browser.call("getUser").json["attributes"]["email"] == email
    copy = Client(base_url)
    copy.cookies = copied
    assert copy.request("GET", "/me").json == me_answer()


def reset(base_url: str, email: str) -> dict:
    client = Client(base_url)
    assert client.call("forgotPassword", user=email).status == 200
    reply = client.call("confirmForgotPassword", user=email, conf_code=CODE, new_pass=NEW_PASSWORD)
    assert reply.status == 200, reply.body
    assert not reply.set_cookies()
    return reply.json


def test_a_reset_ends_every_session(base_url):
    email = account(base_url)
    devices = [device(base_url, email), device(base_url, email)]
    assert reset(base_url, email) == {"message": "OK", "all_sessions_ended": True}
    for client, token in devices:
        assert_session_ended(client, token)
    assert device(base_url, email, NEW_PASSWORD)


@pytest.fixture
def without_admin_credentials(config, monkeypatch, tmp_path):
    """A server on the same local Cognito as a real pool's would be: its admin calls signed with
    whatever AWS credentials the environment has, which is none."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    server = serve_app(dataclasses.replace(config, local=False, photos_dir=str(tmp_path / "photos")))
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


def test_a_reset_without_admin_credentials_signs_in_and_out_everywhere(base_url, without_admin_credentials, caplog):
    email = account(base_url)
    devices = [device(base_url, email), device(base_url, email)]
    assert reset(without_admin_credentials, email) == {"message": "OK", "all_sessions_ended": True}
    assert "AdminUserGlobalSignOut needs AWS credentials" in caplog.text  # tried first, and could not
    for client, token in devices:
        assert_session_ended(client, token)


def test_a_reset_of_an_mfa_account_without_admin_credentials_says_its_sessions_go_on(
    base_url, without_admin_credentials
):
    email = account(base_url)
    client, token = device(base_url, email)
    set_up_mfa(client, email, token)
    answer = reset(without_admin_credentials, email)
    assert answer["all_sessions_ended"] is False
    assert answer["sessions_error"] == {"error": "AdminUnavailable", "message": NEEDS_ADMIN}
    assert_session_lives(client, token)  # what the answer says, and docs/security.md

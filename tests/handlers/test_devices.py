"""Remembered devices over real HTTP, against the local Cognito: respondToChallenge with
``remember_device`` at the code step remembers this browser (ConfirmDevice, UpdateDeviceStatus, the
HttpOnly device cookie); the next signIn there gets tokens with no code (the server answers
DEVICE_SRP_AUTH); another browser, a tampered cookie or a forgotten device is asked for the code;
the device cookie alone signs no one in; listDevices and forgetDevice; both SIGN_IN_FLOWs; and a
pool without device tracking.
"""

from __future__ import annotations

import time

import pytest

from local_cognito import start_local_cognito
from server.config import load_config
from tests.support import CODE, PASSWORD, Client, local_config, serve_app

PASS = {"pass": PASSWORD}
DEVICE_COOKIE = "__Host-device"


@pytest.fixture(scope="module", params=["password", "srp"])
def site(request, tmp_path_factory):
    """(base URL, local pool) of a server with SIGN_IN_FLOW password or srp, on a local Cognito of its own."""
    flows = "USER_PASSWORD_AUTH" if request.param == "password" else "USER_SRP_AUTH"
    env = local_config(
        str(tmp_path_factory.mktemp("devices")), SIGN_IN_FLOW=request.param, LOCAL_COGNITO_AUTH_FLOWS=flows
    )
    local, config = start_local_cognito(load_config(env))
    server = serve_app(config, config.port)
    yield config.base_url, local.pool
    server.stop()
    local.stop()


def with_email_codes(base_url: str) -> str:
    """A new account with emailed MFA codes on (every code is the pinned CODE): its email."""
    client, email = Client(base_url), f"device-{time.monotonic_ns()}@example.com"
    assert client.call("createAccount", user=email, **PASS).status == 200
    token = client.call("confirmAccount", user=email, conf_code=CODE, **PASS).json["access_token"]
    assert client.call("setMfa", access_token=token, enabled=True, method="email").status == 200
    return email


def code_step(client: Client, email: str) -> dict:
    reply = client.call("signIn", user=email, **PASS)
    assert reply.status == 200 and reply.json.get("challenge") == "EMAIL_OTP", reply.body
    return reply.json


def remembered(base_url: str, email: str) -> tuple[Client, dict]:
    """A browser that signed in with the code and asked to be remembered: (client, the answer)."""
    browser = Client(base_url)
    step = code_step(browser, email)
    reply = browser.call(
        "respondToChallenge", session=step["session"], totp=CODE, remember_device=True, device_name="Test browser"
    )
    assert reply.status == 200 and reply.json["device_remembered"] is True, reply.body
    return browser, reply


def test_a_remembered_browser_signs_in_without_the_code(site):
    base_url, pool = site
    email = with_email_codes(base_url)
    browser, reply = remembered(base_url, email)
    header = next(h for h in reply.set_cookies() if h.startswith(DEVICE_COOKIE + "="))
    assert all(flag in header for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/"))
    assert "Domain" not in header
    device_key = pool.db.all("SELECT key FROM devices")[-1][0]
    assert device_key not in reply.text  # the device stays in the cookie
    devices = browser.call("listDevices", access_token=reply.json["access_token"]).json["devices"]
    assert [(d["key"], d["name"], d["remembered"], d["this_browser"]) for d in devices] == [
        (device_key, "Test browser", True, True)
    ]
    # Signed out and in again: tokens, no code; the device outlives signing out.
    assert browser.call("signOut").status == 200
    assert DEVICE_COOKIE in browser.cookies
    again = browser.call("signIn", user=email, **PASS)
    assert again.status == 200 and again.json["token_type"] == "Bearer", again.body
    assert "__Host-refresh" in browser.cookies
    # Another browser is asked for the code, and lists the device as not its own.
    other = Client(base_url)
    code_step(other, email)
    listed = other.call("listDevices", access_token=again.json["access_token"]).json["devices"]
    assert [d["this_browser"] for d in listed] == [False]


def test_the_device_cookie_alone_signs_no_one_in(site):
    base_url, _ = site
    email = with_email_codes(base_url)
    browser, _ = remembered(base_url, email)
    thief = Client(base_url)
    thief.cookies = {DEVICE_COOKIE: browser.cookies[DEVICE_COOKIE]}
    reply = thief.call("signIn", user=email, **{"pass": "not-the-password-1"})
    assert (reply.status, reply.json["error"]) == (401, "NotAuthorized")
    assert (thief.call("refresh").json["error"]) == "NoSession"
    # Altered, it is ignored: the code is asked.
    value = browser.cookies[DEVICE_COOKIE]
    thief.cookies = {DEVICE_COOKIE: value[:-2] + ("AA" if not value.endswith("AA") else "BB")}
    code_step(thief, email)


def test_forgetting_this_browser_clears_its_cookie_and_the_code_is_asked_again(site):
    base_url, _ = site
    email = with_email_codes(base_url)
    browser, reply = remembered(base_url, email)
    token = reply.json["access_token"]
    key = browser.call("listDevices", access_token=token).json["devices"][0]["key"]
    forgotten = browser.call("forgetDevice", access_token=token, key=key)
    assert (forgotten.status, forgotten.json) == (200, {"message": "OK", "forgotten": True, "this_browser": True})
    assert forgotten.clears_cookie(DEVICE_COOKIE) and DEVICE_COOKIE not in browser.cookies
    assert browser.call("listDevices", access_token=token).json["devices"] == []
    code_step(browser, email)
    again = browser.call("forgetDevice", access_token=token, key=key)
    assert (again.status, again.json["error"]) == (404, "DeviceNotFound")
    assert browser.call("forgetDevice", access_token=token, key="not a key").json["error"] == "DeviceNotFound"


def test_a_device_forgotten_elsewhere_is_asked_for_the_code_and_its_cookie_goes(site):
    base_url, _ = site
    email = with_email_codes(base_url)
    browser, reply = remembered(base_url, email)
    other, token = Client(base_url), reply.json["access_token"]
    key = other.call("listDevices", access_token=token).json["devices"][0]["key"]
    assert other.call("forgetDevice", access_token=token, key=key).json["this_browser"] is False
    step = code_step(browser, email)
    answer = browser.call("respondToChallenge", session=step["session"], totp=CODE)
    assert answer.status == 200 and answer.clears_cookie(DEVICE_COOKIE), answer.body


def test_remember_device_goes_only_with_a_code(site):
    base_url, _ = site
    email = with_email_codes(base_url)
    browser = Client(base_url)
    step = code_step(browser, email)
    reply = browser.call("respondToChallenge", session=step["session"], totp=CODE, device_name="x")
    assert (reply.status, reply.json["field"]) == (400, "device_name")
    reply = browser.call("respondToChallenge", session=step["session"], totp=CODE)
    assert reply.status == 200 and "device_remembered" not in reply.json and DEVICE_COOKIE not in browser.cookies


def test_a_pool_without_device_tracking(site):
    base_url, pool = site
    email = with_email_codes(base_url)
    pool.devices.configure("off")
    try:
        browser = Client(base_url)
        step = code_step(browser, email)
        reply = browser.call("respondToChallenge", session=step["session"], totp=CODE, remember_device=True)
        assert reply.status == 200 and reply.json["device_remembered"] is False, reply.body
        assert DEVICE_COOKIE not in browser.cookies
        listed = browser.call("listDevices", access_token=reply.json["access_token"])
        assert listed.status == 200 and listed.json["devices"] == []
        forgotten = browser.call("forgetDevice", access_token=reply.json["access_token"], key="us-east-1_0")
        assert (forgotten.status, forgotten.json["error"]) == (404, "DeviceNotFound")
    finally:
        pool.devices.configure("opt-in")


def test_a_device_forgotten_during_the_sign_in_falls_back_to_the_code(site):
    """Cognito refuses the device step (the device was forgotten since the password was checked):
    the sign-in starts again without the device, asks for the code, and the cookie goes."""
    base_url, pool = site
    email = with_email_codes(base_url)
    browser, _ = remembered(base_url, email)
    respond = pool.operations["RespondToAuthChallenge"]

    def forgetting_first(params):
        if params.get("ChallengeName") == "DEVICE_SRP_AUTH":
            del pool.devices.devices[params["ChallengeResponses"]["DEVICE_KEY"]]
        return respond(params)

    pool.operations["RespondToAuthChallenge"] = forgetting_first
    try:
        reply = browser.call("signIn", user=email, **PASS)
    finally:
        pool.operations["RespondToAuthChallenge"] = respond
    assert reply.status == 200 and reply.json.get("challenge") == "EMAIL_OTP", reply.body
    assert reply.clears_cookie(DEVICE_COOKIE) and DEVICE_COOKIE not in browser.cookies

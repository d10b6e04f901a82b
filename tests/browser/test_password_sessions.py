"""Changing the password on the page in a real browser ends the account's other sessions: the page
goes on with its new tokens (or, for an account with authenticator codes, asks for a code to stay
signed in), and another device's session is over."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support import PASSWORD, Client
from tests.support.chromium import create_account, expect_signed_in, expect_signed_out, new_email, sign_in
from tests.support.mfa import set_up_mfa

NEW_PASSWORD = PASSWORD + "_2"


def other_device(server, email: str) -> tuple[Client, str]:
    client = Client(server.url)
    reply = client.call("signIn", user=email, **{"pass": PASSWORD})
    assert reply.status == 200 and reply.json.get("access_token"), reply.body
    return client, reply.json["access_token"]


def change_password(page) -> None:
    page.click("#show-account")
    page.fill("#old-password", PASSWORD)
    page.fill("#new-password", NEW_PASSWORD)
    page.press("#new-password", "Enter")


def assert_ended(client: Client, token: str) -> None:
    assert client.call("refresh").json["error"] == "SessionExpired"
    assert client.call("getUser", access_token=token).json["error"] == "NotAuthorized"


def test_a_password_change_on_the_page_signs_the_other_devices_out(page, server):
    email = new_email()
    create_account(server, email, "Sam")
    page.goto(server.url + "/")
    sign_in(page, email, PASSWORD)
    expect_signed_in(page, email)
    device, token = other_device(server, email)

    change_password(page)
    expect(page.get_by_test_id("password-message")).to_have_text(
        "Your password is changed, and every other session is signed out."
    )
    assert_ended(device, token)
    # The page goes on with its new tokens and cookie: its photos, then a reload.
    page.click("#show-photos")
    expect(page.get_by_test_id("photos-empty")).to_be_visible()
    page.reload()
    expect_signed_in(page, email)


def test_a_password_change_of_an_account_with_codes_asks_for_one(page, server):
    email = new_email()
    create_account(server, email, "Sam")
    device, token = other_device(server, email)
    _, current, later = set_up_mfa(device, email, token)
    page.goto(server.url + "/")
    sign_in(page, email, PASSWORD)
    page.fill("#mfa-code", current)
    page.press("#mfa-code", "Enter")
    expect_signed_in(page, email)

    change_password(page)
    expect(page.locator("#mfa-form")).to_be_visible()
    expect(page.get_by_test_id("page-message")).to_contain_text("Your password is changed")
    expect(page.locator("#mfa-code")).to_be_focused()
    assert_ended(device, token)
    page.fill("#mfa-code", later)
    page.press("#mfa-code", "Enter")
    expect_signed_in(page, email)
    page.reload()
    expect_signed_in(page, email)
    page.get_by_test_id("sign-out").click()
    expect_signed_out(page)

"""Remembered devices on the page in Chromium: "Remember this browser" at the code step, the next
sign-in there with no code, the device listed in account settings as this browser and forgotten
with "Forget", after which the code is asked again; the device cookie is one page scripts cannot read."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support import CODE, PASSWORD, Client
from tests.support.chromium import create_account, expect_signed_in, new_email, screen, sign_in


def with_email_codes(server) -> str:
    email = new_email()
    create_account(server, email, "Dana")
    api = Client(server.url)
    token = api.call("signIn", user=email, **{"pass": PASSWORD}).json["access_token"]
    assert api.call("setMfa", access_token=token, enabled=True, method="email").status == 200
    return email


def test_remember_this_browser_then_forget_it(page, server):
    email = with_email_codes(server)
    page.goto(server.url + "/")
    sign_in(page, email, PASSWORD)
    expect(page.get_by_test_id("mfa-heading")).to_have_text("Enter the code we emailed you")
    remember = page.get_by_label("Remember this browser")
    expect(remember).not_to_be_checked()
    remember.check()
    screen(page, "36-remember-this-browser")
    page.fill("#mfa-code", CODE)
    page.press("#mfa-code", "Enter")
    expect_signed_in(page, email)
    device = next(c for c in page.context.cookies() if c["name"] == "__Host-device")
    assert device["httpOnly"] and device["secure"] and device["sameSite"] == "Strict"
    assert "__Host-device" not in page.evaluate("document.cookie")

    # Signed out and in again: no code asked.
    page.get_by_test_id("sign-out").click()
    sign_in(page, email, PASSWORD)
    expect_signed_in(page, email)
    expect(page.get_by_test_id("mfa-form")).to_be_hidden()

    # Account settings list it as this browser; "Forget" forgets it.
    page.click("#show-account")
    items = page.get_by_test_id("device-list").locator("li")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("(this browser), last sign-in")
    expect(page.get_by_test_id("devices-empty")).to_be_hidden()
    page.get_by_test_id("device-forget").click()
    expect(page.get_by_test_id("devices-message")).to_have_text(
        "This browser is forgotten: signing in here will ask for a code again."
    )
    expect(page.get_by_test_id("devices-empty")).to_be_visible()
    assert all(c["name"] != "__Host-device" for c in page.context.cookies())

    page.get_by_test_id("sign-out").click()
    sign_in(page, email, PASSWORD)
    expect(page.get_by_test_id("mfa-form")).to_be_visible()

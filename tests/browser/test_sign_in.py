"""Signing in on the page in a real browser, other than with the password alone: through the hosted
UI, out of it, and deleting the account from there; and with an authenticator app, set up from the
page, then turned off again."""

from __future__ import annotations

import time

import pyotp
from playwright.sync_api import expect

from tests.support import CODE, PASSWORD, Client
from tests.support.chromium import (
    create_account,
    expect_no_token_stored,
    expect_signed_in,
    expect_signed_out,
    new_email,
    shot,
    sign_in,
)


def test_sign_in_through_the_hosted_ui_and_out_of_it_then_delete_the_account(page, server):
    email = new_email()
    create_account(server, email, "Kim")

    def hosted_sign_in(screenshot: str | None = None) -> None:
        page.get_by_test_id("hosted-ui-link").click()
        # The local Cognito's sign-in page (local_cognito/pages.py), on its own address.
        expect(page.locator("h1")).to_have_text("Sign in")
        assert not page.url.startswith(server.url)
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        if screenshot:
            shot(page, screenshot)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(server.url + "/")
        expect_signed_in(page, email)

    page.goto(server.url + "/")
    expect_signed_out(page)
    hosted_sign_in("11-hosted-ui-sign-in.png")
    expect(page.get_by_test_id("who")).to_have_text(f"Signed in as Kim ({email})")
    shot(page, "12-hosted-ui-signed-in.png")

    # Signing out also ends the hosted UI's session: /logout goes there and comes back here.
    page.get_by_test_id("sign-out").click()
    page.wait_for_url(server.url + "/")
    expect_signed_out(page)
    expect(page.get_by_test_id("page-message")).to_be_empty()
    shot(page, "13-hosted-ui-signed-out.png")
    page.get_by_test_id("hosted-ui-link").click()
    expect(page.locator("h1")).to_have_text("Sign in")  # the form again, not straight back in
    page.go_back()
    expect_signed_out(page)

    # Deleting the account while signed in through the hosted UI: after /logout's way back, the
    # page says so (once), and keeps nothing in storage.
    hosted_sign_in()
    page.click("#show-account")
    page.get_by_test_id("delete-start").click()
    page.get_by_test_id("delete-yes").click()
    page.wait_for_url(server.url + "/")
    expect_signed_out(page)
    expect(page.get_by_test_id("page-message")).to_have_text("Your account is deleted.")
    expect_no_token_stored(page)
    shot(page, "14-hosted-ui-account-deleted.png")
    page.reload()
    expect_signed_out(page)
    expect(page.get_by_test_id("page-message")).to_be_empty()
    assert Client(server.url).call("signIn", user=email, **{"pass": PASSWORD}).status == 401


def test_set_up_an_authenticator_app_and_sign_in_with_its_code(page, server):
    email = new_email()
    create_account(server, email, "Ari", confirm=False)

    page.goto(server.url + "/")
    expect_signed_out(page)
    # Signing in before confirming leads to the code step, with the password kept for it.
    sign_in(page, email, PASSWORD)
    expect(page.locator("#confirm-form")).to_be_visible()
    expect(page.get_by_test_id("confirm-email")).to_have_text(email)
    expect(page.locator("#confirm-code")).to_be_focused()
    page.fill("#confirm-code", CODE)
    page.press("#confirm-code", "Enter")
    expect_signed_in(page, email)

    page.click("#show-account")
    page.get_by_test_id("mfa-start").click()
    qr = page.get_by_test_id("totp-qr")
    page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=qr.element_handle())
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    shown = page.get_by_test_id("totp-secret").text_content()
    assert all(len(group) == 4 for group in shown.split(" ")[:-1])  # in groups of four
    app = pyotp.TOTP(shown.replace(" ", ""))
    expect(page.locator("#totp-code")).to_be_focused()
    shot(page, "15-authenticator-set-up.png")

    # Not 6 digits: said on the page, in the words people know, before asking the server.
    page.fill("#totp-code", "12345")
    page.press("#totp-code", "Enter")
    expect(page.get_by_test_id("mfa-setup-message")).to_contain_text("authenticator code is the 6 digits")
    expect(page.locator("#totp-code")).to_have_attribute("aria-invalid", "true")
    page.fill("#totp-code", "000000" if app.now() != "000000" else "111111")
    page.press("#totp-code", "Enter")
    expect(page.get_by_test_id("mfa-setup-message")).to_have_text("That code is wrong. Check it and try again.")
    page.fill("#totp-code", app.now())
    page.press("#totp-code", "Enter")
    expect(page.get_by_test_id("mfa-setup-message")).to_contain_text("Authenticator codes are on")

    page.get_by_test_id("sign-out").click()
    expect_signed_out(page)
    sign_in(page, email, PASSWORD)
    expect(page.get_by_test_id("mfa-form")).to_be_visible()
    expect(page.locator("#mfa-code")).to_be_focused()
    page.keyboard.type("12 34")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("mfa-message")).to_contain_text("authenticator code is the 6 digits")
    expect(page.locator("#mfa-code")).to_be_focused()
    page.fill("#mfa-code", app.at(time.time() + 30))  # the next code: each code works once
    page.keyboard.press("Enter")
    expect_signed_in(page, email)

    # Turn it off again; then a password is enough: no code step.
    page.click("#show-account")
    page.get_by_test_id("mfa-off").click()
    expect(page.get_by_test_id("mfa-setup-message")).to_contain_text("Authenticator codes are off")
    expect(page.get_by_test_id("mfa-start")).to_be_focused()  # on the button that now makes sense
    page.get_by_test_id("sign-out").click()
    expect_signed_out(page)
    sign_in(page, email, PASSWORD)
    expect_signed_in(page, email)
    expect(page.get_by_test_id("mfa-form")).to_be_hidden()
    expect_no_token_stored(page)

"""The page with the answers that do not tell who has an account: a refused confirmation or reset
code reads as wrong or expired, with the way on (a new code, or logging in), and a reset asked for
an email with no account goes on exactly as for one with an account."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support import PASSWORD
from tests.support.chromium import expect_signed_out, new_email


def test_a_refused_confirmation_code_says_it_may_be_wrong_or_expired(page, server):
    page.goto(server.url + "/")
    expect_signed_out(page)
    page.click("#tab-sign-up")
    page.fill("#sign-up-email", new_email())
    page.fill("#sign-up-nickname", "Robin")
    page.fill("#sign-up-password", PASSWORD)
    page.press("#sign-up-password", "Enter")
    expect(page.locator("#confirm-form")).to_be_visible()
    page.fill("#confirm-code", "000000")
    page.press("#confirm-code", "Enter")
    expect(page.get_by_test_id("confirm-message")).to_have_text(
        "That code is wrong or has expired. Check it, or ask for a new code. If your account is confirmed "
        "already, sign in."
    )
    expect(page.locator("#confirm-code")).to_be_focused()


def test_a_reset_for_an_email_with_no_account_goes_on_as_for_any(page, server):
    nobody = new_email()
    page.goto(server.url + "/")
    expect_signed_out(page)
    page.click("#show-forgot")
    page.fill("#forgot-email", nobody)
    page.press("#forgot-email", "Enter")
    expect(page.locator("#reset-form")).to_be_visible()
    expect(page.locator("#reset-note")).to_have_text(f"If {nobody} has an account, we emailed it a code.")
    page.fill("#reset-code", "000000")
    page.fill("#reset-password", "A_new_password_1")
    page.press("#reset-password", "Enter")
    expect(page.get_by_test_id("reset-message")).to_have_text(
        "That code is wrong or has expired. Check it, or ask for a new code."
    )

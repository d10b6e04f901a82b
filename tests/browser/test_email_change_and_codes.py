"""Changing the email and sign-in codes by text message or email, on the page in a real browser:
"Change email" with its code step (the old email signing in until the code is given), adding and
verifying a phone number, turning SMS and email codes on, the code step of a sign-in that says
where the code went, and the choice of code when several kinds are on with none preferred."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support import CODE, PASSWORD, Client
from tests.support.chromium import create_account, expect_signed_in, expect_signed_out, new_email, shot, sign_in


def open_account(page, server, email):
    page.goto(server.url + "/")
    sign_in(page, email, PASSWORD)
    expect_signed_in(page, email)
    page.click("#show-account")


def test_change_email_with_its_code(page, server):
    email, new = new_email(), new_email()
    create_account(server, email, "Sam")
    open_account(page, server, email)
    expect(page.get_by_test_id("email-current")).to_have_text(email)

    page.get_by_test_id("email-change-start").click()
    expect(page.locator("#email-new")).to_be_focused()
    page.fill("#email-new", new)
    page.press("#email-new", "Enter")
    expect(page.get_by_test_id("email-code-form")).to_be_visible()
    expect(page.get_by_test_id("email-code-destination")).to_have_text(new)
    expect(page.locator("#email-code")).to_be_focused()
    # Meanwhile the old email is still the one that signs in.
    assert Client(server.url).call("signIn", user=email, **{"pass": PASSWORD}).status == 200
    assert Client(server.url).call("signIn", user=new, **{"pass": PASSWORD}).status == 401

    page.fill("#email-code", "000000")
    page.press("#email-code", "Enter")
    expect(page.get_by_test_id("email-message")).to_have_text("That code is wrong. Check it and try again.")
    expect(page.locator("#email-code")).to_have_attribute("aria-invalid", "true")
    page.click("#email-code-resend")
    expect(page.get_by_test_id("email-message")).to_have_text("We sent a new code.")
    page.fill("#email-code", CODE)
    page.press("#email-code", "Enter")
    expect(page.get_by_test_id("signed-in-message")).to_have_text(
        f"Your email is now {new}. Sign in with it from now on."
    )
    expect(page.get_by_test_id("email-current")).to_have_text(new)
    expect_signed_in(page, new)
    shot(page, "30-email-changed.png")

    page.get_by_test_id("sign-out").click()
    expect_signed_out(page)
    sign_in(page, email, PASSWORD)
    expect(page.get_by_test_id("sign-in-message")).to_have_text("The email or password is wrong.")
    sign_in(page, new, PASSWORD)
    expect_signed_in(page, new)


def test_an_email_another_account_uses_is_refused_on_the_page(page, server):
    email, other = new_email(), new_email()
    create_account(server, email, "Sam")
    create_account(server, other, "Lee")
    open_account(page, server, email)
    page.get_by_test_id("email-change-start").click()
    page.fill("#email-new", other)
    page.press("#email-new", "Enter")
    expect(page.get_by_test_id("email-message")).to_have_text("Another account already uses this email.")
    expect(page.get_by_test_id("email-code-form")).to_be_hidden()


def test_sms_codes_then_email_codes_and_the_choice_at_sign_in(page, server):
    email = new_email()
    create_account(server, email, "Kim")
    open_account(page, server, email)
    expect(page.get_by_test_id("codes-status")).to_have_text("Text-message codes are off. Email codes are off.")
    expect(page.get_by_test_id("sms-on")).to_be_hidden()  # no verified number yet

    page.fill("#phone-number", "+1 555 010 0123")
    page.press("#phone-number", "Enter")
    expect(page.get_by_test_id("phone-code-destination")).to_have_text("+15550100123")
    page.fill("#phone-code", CODE)
    page.press("#phone-code", "Enter")
    expect(page.get_by_test_id("codes-message")).to_have_text(
        "Your number is verified. You can turn on text-message codes."
    )
    expect(page.get_by_test_id("phone-form")).to_be_hidden()
    page.get_by_test_id("sms-on").click()
    expect(page.get_by_test_id("codes-message")).to_have_text(
        "Text-message codes are on. Signing in will text you a code."
    )
    expect(page.get_by_test_id("codes-status")).to_have_text(
        "Text-message codes are on. Email codes are off. Text messages go to +15550100123."
    )
    shot(page, "31-sms-codes-on.png")

    page.get_by_test_id("sign-out").click()
    sign_in(page, email, PASSWORD)
    expect(page.get_by_test_id("mfa-form")).to_be_visible()
    expect(page.get_by_test_id("mfa-heading")).to_have_text("Enter the code we texted you")
    expect(page.get_by_test_id("mfa-note")).to_have_text("We sent a 6-digit code by text message to +*******0123.")
    page.fill("#mfa-code", "12345")
    page.press("#mfa-code", "Enter")
    expect(page.get_by_test_id("mfa-message")).to_have_text("The code is the 6 digits we sent you. Please check it.")
    page.fill("#mfa-code", CODE)
    page.press("#mfa-code", "Enter")
    expect_signed_in(page, email)

    # Email codes as well, and "ask me each time": the next sign-in offers the choice.
    page.click("#show-account")
    page.get_by_test_id("mfa-ask-each-time").check()
    page.get_by_test_id("email-codes-on").click()
    expect(page.get_by_test_id("codes-status")).to_contain_text("Text-message codes are on. Email codes are on.")
    page.get_by_test_id("sign-out").click()
    sign_in(page, email, PASSWORD)
    expect(page.get_by_test_id("mfa-choice-form")).to_be_visible()
    expect(page.locator("#mfa-choice-sms")).to_be_visible()
    expect(page.locator("#mfa-choice-email")).to_be_visible()
    expect(page.locator("#mfa-choice-totp")).to_be_hidden()
    shot(page, "32-choose-a-code.png")
    page.locator("#mfa-choice-email input").check()
    page.click("#mfa-choice-submit")
    expect(page.get_by_test_id("mfa-heading")).to_have_text("Enter the code we emailed you")
    expect(page.get_by_test_id("mfa-note")).to_have_text(f"We sent a 6-digit code by email to {email[0]}***@e***.")
    page.fill("#mfa-code", CODE)
    page.press("#mfa-code", "Enter")
    expect_signed_in(page, email)

    page.click("#show-account")
    page.get_by_test_id("sms-off").click()
    page.get_by_test_id("email-codes-off").click()
    expect(page.get_by_test_id("codes-status")).to_have_text(
        "Text-message codes are off. Email codes are off. Text messages go to +15550100123."
    )
    page.get_by_test_id("sign-out").click()
    sign_in(page, email, PASSWORD)
    expect_signed_in(page, email)

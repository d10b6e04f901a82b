"""Passkeys and emailed codes on the page in Chromium, with Chromium's virtual authenticator (the
DevTools WebAuthn domain, through Playwright's CDP session) standing in for a phone or a security key:
add a passkey in account settings, sign out, sign in with it, sign in with an emailed code, delete the
passkey; the local Cognito verifies what the browser's authenticator made and signed."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support import CODE, PASSWORD
from tests.support.chromium import (
    create_account,
    expect_signed_in,
    expect_signed_out,
    is_call,
    new_email,
    screen,
    sign_in,
    virtual_authenticator,
)


def sign_out(page) -> None:
    page.get_by_test_id("sign-out").click()
    expect_signed_out(page)


def test_add_a_passkey_sign_in_with_it_and_with_a_code_then_delete_it(page, server):
    email = new_email()
    create_account(server, email, "Kim")
    cdp, authenticator = virtual_authenticator(page)
    page.goto(server.url + "/")
    expect_signed_out(page)
    sign_in(page, email, PASSWORD)
    expect_signed_in(page, email)
    page.click("#show-account")
    expect(page.get_by_test_id("passkeys-empty")).to_have_text("You have no passkeys yet.")
    page.get_by_test_id("passkey-add").click()
    expect(page.get_by_test_id("passkeys-message")).to_have_text("The passkey is added. You can sign in with it now.")
    expect(page.get_by_test_id("passkey-list").locator("li")).to_have_count(1)
    expect(page.get_by_test_id("passkeys-empty")).to_be_hidden()
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(stored) == 1 and stored[0]["rpId"] == "localhost" and stored[0]["isResidentCredential"]
    screen(page, "passkeys-account")  # axe at desktop and phone sizes, no sideways scrolling, screenshots

    sign_out(page)
    page.fill("#sign-in-email", email)
    page.get_by_test_id("passkey-sign-in").click()
    expect_signed_in(page, email)
    signed = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert signed[0]["signCount"] > stored[0]["signCount"]  # the authenticator signed the server's challenge

    sign_out(page)
    page.fill("#sign-in-email", email)
    page.get_by_test_id("code-sign-in").click()
    expect(page.get_by_test_id("code-form")).to_be_visible()
    expect(page.locator("#code-note")).to_contain_text(f"If {email} has an account, we emailed a code to")
    expect(page.locator("#code-input")).to_be_focused()
    screen(page, "passwordless-code")
    page.fill("#code-input", "00000000")
    page.press("#code-input", "Enter")
    expect(page.get_by_test_id("code-message")).not_to_be_empty()
    page.fill("#code-input", CODE)
    page.press("#code-input", "Enter")
    expect_signed_in(page, email)

    page.click("#show-account")
    expect(page.get_by_test_id("passkey-list").locator("li")).to_have_count(1)
    page.get_by_test_id("passkey-list").get_by_role("button").click()
    expect(page.get_by_test_id("passkeys-message")).to_have_text("The passkey is deleted.")
    expect(page.get_by_test_id("passkeys-empty")).to_be_visible()
    expect(page.get_by_test_id("passkey-list").locator("li")).to_have_count(0)

    # The authenticator still has it, but the site no longer takes it.
    sign_out(page)
    page.fill("#sign-in-email", email)
    page.get_by_test_id("passkey-sign-in").click()
    expect(page.get_by_test_id("sign-in-message")).to_have_text(
        "That passkey did not sign you in. Try another passkey, or sign in another way."
    )


def test_passwordless_buttons_need_the_email_first(page, server):
    page.goto(server.url + "/")
    expect_signed_out(page)
    page.get_by_test_id("code-sign-in").click()
    expect(page.get_by_test_id("sign-in-message")).to_have_text("Enter your email first.")
    expect(page.locator("#sign-in-email")).to_be_focused()


def test_a_passkey_request_that_ends_without_a_passkey_reads_as_cancelled(page, server):
    """The authenticator has no passkey for the site, so the browser answers NotAllowedError, as it
    does when the person cancels: the page says so, and nothing reaches passkeySignInFinish."""
    email = new_email()
    create_account(server, email, "Lee")
    virtual_authenticator(page)
    finishes = []
    page.on("request", lambda request: finishes.append(request) if is_call(request, "passkeySignInFinish") else None)
    page.goto(server.url + "/")
    expect_signed_out(page)
    page.fill("#sign-in-email", email)
    page.get_by_test_id("passkey-sign-in").click()
    expect(page.get_by_test_id("sign-in-message")).to_have_text(
        "The passkey request was cancelled or timed out. Try again when you are ready."
    )
    expect(page.get_by_test_id("passkey-sign-in")).to_be_enabled()
    assert finishes == []

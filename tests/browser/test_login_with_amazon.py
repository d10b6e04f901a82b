"""Signing in with Login with Amazon in a real browser, with no AWS account: the page's "More sign-in
options", the local Cognito's "Continue with Login with Amazon", the Login with Amazon stand-in's
page, and back to the page signed in with the Amazon name as the nickname; then ``/login?provider=
LoginWithAmazon`` straight to Amazon, where a changed name reaches the page at the next sign-in."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.chromium import expect_signed_in, expect_signed_out, new_email, shot


def test_sign_in_with_amazon_from_the_page_and_straight_from_login(page, server):
    email = new_email()
    page.goto(server.url + "/")
    expect_signed_out(page)
    page.get_by_test_id("hosted-ui-link").click()
    expect(page.locator("h1")).to_have_text("Sign in")  # the local Cognito's hosted UI
    page.get_by_role("link", name="Continue with Login with Amazon").click()
    expect(page.locator("h1")).to_have_text("Login with Amazon")  # the stand-in's page
    assert "/login-with-amazon/ap/oa?" in page.url and not page.url.startswith(server.url)
    page.fill("#name", "Amelia Amazon")
    page.fill("#email", email)
    shot(page, "19-login-with-amazon.png")
    page.get_by_role("button", name="Sign in and share your profile").click()
    page.wait_for_url(server.url + "/")
    expect_signed_in(page, email)
    expect(page.get_by_test_id("who")).to_have_text(f"Signed in as Amelia Amazon ({email})")
    shot(page, "20-signed-in-with-amazon.png")

    page.get_by_test_id("sign-out").click()
    page.wait_for_url(server.url + "/")
    expect_signed_out(page)

    # Straight to Amazon; the provider's attributes are written again at every sign-in.
    page.goto(server.url + "/login?provider=LoginWithAmazon")
    expect(page.locator("h1")).to_have_text("Login with Amazon")
    page.fill("#name", "Amelia A.")
    page.fill("#email", email)
    page.get_by_role("button", name="Sign in and share your profile").click()
    page.wait_for_url(server.url + "/")
    expect(page.get_by_test_id("who")).to_have_text(f"Signed in as Amelia A. ({email})")

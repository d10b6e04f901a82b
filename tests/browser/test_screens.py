"""Every screen of the page and of the local Cognito's sign-in pages, at 1280×800 and 360×740: axe-core
finds no violation, the phone has no horizontal scrolling, and a screenshot of each is saved under
tests/screenshots/ (``screen-NN-name-desktop.png`` and ``-phone.png``), so the screens can be looked
at without running anything."""

from __future__ import annotations

import pyotp
from playwright.sync_api import expect

from tests.support import CODE, PASSWORD
from tests.support.axe import axe_violations
from tests.support.chromium import (
    create_account,
    expect_signed_in,
    expect_signed_out,
    expect_view,
    new_email,
    screen,
    sign_in,
    upload,
)
from tests.support.pictures import sample_jpeg


def test_every_screen_of_the_page(page, pages, server, tmp_path):
    pages.problems[0].expected_4xx.add(server.url + "/photos")
    page.goto(server.url + "/")
    expect_signed_out(page)
    screen(page, "screen-01-sign-in")
    sign_in(page, new_email(), "not the password")
    expect(page.get_by_test_id("sign-in-message")).to_have_text("The email or password is wrong.")
    screen(page, "screen-02-sign-in-refused")

    page.click("#show-forgot")
    expect(page.locator("#forgot-form")).to_be_visible()
    screen(page, "screen-03-forgot-password")
    page.fill("#forgot-email", new_email())
    page.press("#forgot-email", "Enter")
    expect(page.locator("#reset-form")).to_be_visible()
    page.fill("#reset-password", "short")
    screen(page, "screen-04-choose-a-new-password")
    page.click("#reset-cancel")

    email = new_email()
    page.click("#tab-sign-up")
    page.fill("#sign-up-email", email)
    page.fill("#sign-up-nickname", "Sasha")
    page.fill("#sign-up-password", PASSWORD)
    page.locator("#sign-up-panel button.reveal").click()
    screen(page, "screen-05-sign-up")
    page.press("#sign-up-password", "Enter")
    expect(page.locator("#confirm-form")).to_be_visible()
    screen(page, "screen-06-confirm")
    page.fill("#confirm-code", CODE)
    page.press("#confirm-code", "Enter")
    expect_signed_in(page, email)
    expect_view(page, "photos")
    expect(page.get_by_test_id("photos-empty")).to_be_visible()
    screen(page, "screen-07-my-photos-empty")

    page.set_input_files("#upload-file", sample_jpeg(tmp_path / "sky.jpg"))
    page.fill("#upload-description", "Sky over the hills")
    screen(page, "screen-08-upload-preview")
    page.click("#upload-submit")
    expect(page.get_by_test_id("photos-message")).to_have_text("Your photo is uploaded.")
    upload(page, sample_jpeg(tmp_path / "second.jpg"), "Second photo")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#photo-list img')].every((i) => i.complete && i.naturalWidth)"
    )
    screen(page, "screen-09-my-photos")
    page.locator("#photo-list button.thumb").first.click()
    page.wait_for_function("() => document.getElementById('viewer-image').naturalWidth > 0")
    screen(page, "screen-10-photo-viewer")
    page.keyboard.press("Escape")
    page.get_by_test_id("delete-photo").first.click()
    expect(page.get_by_test_id("delete-photo-dialog")).to_be_visible()
    screen(page, "screen-11-delete-photo")
    page.get_by_test_id("delete-photo-no").click()
    not_a_picture = tmp_path / "notes.png"
    not_a_picture.write_text("not a picture")
    page.set_input_files("#upload-file", str(not_a_picture))
    page.click("#upload-submit")
    expect(page.get_by_test_id("photos-message")).to_contain_text("not a picture we can read")
    screen(page, "screen-12-upload-refused")

    page.click("#show-account")
    expect_view(page, "account")
    expect(page.get_by_test_id("mfa-status")).to_have_text("Authenticator codes are off.")
    screen(page, "screen-13-account")
    page.get_by_test_id("mfa-start").click()
    qr = page.get_by_test_id("totp-qr")
    page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=qr.element_handle())
    screen(page, "screen-14-authenticator-set-up")
    secret = page.get_by_test_id("totp-secret").text_content().replace(" ", "")
    page.fill("#totp-code", pyotp.TOTP(secret).now())
    page.press("#totp-code", "Enter")
    expect(page.get_by_test_id("mfa-status")).to_have_text("Authenticator codes are on.")
    page.get_by_test_id("delete-start").click()
    screen(page, "screen-15-authenticator-on-and-delete-account")
    page.locator("#delete-no").click()

    page.get_by_test_id("sign-out").click()
    expect_signed_out(page)
    sign_in(page, email, PASSWORD)
    expect(page.get_by_test_id("mfa-form")).to_be_visible()
    screen(page, "screen-16-authenticator-code")


def test_every_screen_of_the_local_sign_in_pages(page, pages, server):
    email = new_email()
    create_account(server, email, "Noor")
    page.goto(server.url + "/")
    expect_signed_out(page)
    page.get_by_test_id("hosted-ui-link").click()
    expect(page.locator("h1")).to_have_text("Sign in")
    expect(page.locator(".brand")).to_have_text("Photos")  # the app's name
    screen(page, "screen-20-local-sign-in")
    # A refused password is answered 400 with the page again, which the browser logs.
    pages.problems[0].expected_4xx.add(page.url.split("?")[0])
    page.fill("#email", email)
    page.fill("#password", "not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".error")).to_be_visible()
    screen(page, "screen-21-local-sign-in-refused")

    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.locator("h1")).to_have_text("Reset your password")
    screen(page, "screen-22-local-forgot-password")
    page.fill("#email", email)
    page.get_by_role("button", name="Email me a code").click()
    expect(page.locator("h1")).to_have_text("Choose a new password")
    screen(page, "screen-23-local-choose-a-new-password")
    page.get_by_role("link", name="Back to sign in").click()

    page.get_by_role("link", name="Sign up").click()
    expect(page.locator("h1")).to_have_text("Sign up")
    screen(page, "screen-24-local-sign-up")
    page.fill("#email", new_email())
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("h1")).to_have_text("Confirm your account")
    screen(page, "screen-25-local-confirm")

    # "Back to Photos" leads home, signed out still.
    page.get_by_role("link", name="Back to Photos").click()
    page.wait_for_url(server.url + "/")
    expect_signed_out(page)


def test_axe_finds_what_it_should(page, server):
    """The check can fail: on the page, an image without a text alternative and a field without a
    label are found."""
    page.goto(server.url + "/")
    expect_signed_out(page)
    page.evaluate("""() => {
        const image = document.createElement("img");
        image.src = "/static/favicon.svg";
        const field = document.createElement("input");
        document.getElementById("main").append(image, field);
    }""")
    found = {violation["id"] for violation in axe_violations(page)}
    assert {"image-alt", "label"} <= found, found

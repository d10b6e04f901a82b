"""The page in a real browser, from sign-up to sign-out: it signs up (back to the form from the code
step, a forged LimitExceeded), confirms, uploads a photo and sees its thumbnail and the photo itself,
fits a phone's width, stays signed in across a reload, deletes the photo while a list is on its way
(the server no longer has it; the late list does not bring it back), signs out and in with the
password. No token is ever in storage or readable cookies; a screenshot of each step goes to
``tests/screenshots/``."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support import CODE, PASSWORD
from tests.support.chromium import (
    DESKTOP,
    PHONE,
    expect_no_token_stored,
    expect_signed_in,
    expect_signed_out,
    is_call,
    new_email,
    open_photos_and_expect_list_call,
    server_photo_ids,
    shot,
    sign_in,
    upload,
)
from tests.support.pictures import sample_jpeg


DESCRIPTION = 'Sunset <b>over</b> the "bay" & <img src=x onerror=alert(1)>'


def test_sign_up_upload_a_photo_reload_delete_it_and_sign_out(page, server, tmp_path):
    mistyped, email = new_email(), new_email()
    page.goto(server.url + "/")
    expect_signed_out(page)
    shot(page, "01-signed-out.png")

    # Sign up, then the code step: it shows the email as typed (not only the masked address) and
    # has a way back to the form, to use another email.
    page.click("#tab-sign-up")
    page.fill("#sign-up-email", mistyped)
    page.fill("#sign-up-nickname", "Robin")
    page.fill("#sign-up-password", PASSWORD)
    page.press("#sign-up-password", "Enter")
    expect(page.locator("#confirm-form")).to_be_visible()
    expect(page.get_by_test_id("confirm-email")).to_have_text(mistyped)
    page.get_by_test_id("confirm-back").click()
    expect(page.locator("#sign-up-form")).to_be_visible()
    expect(page.locator("#confirm-form")).to_be_hidden()
    expect(page.locator("#sign-up-email")).to_be_focused()
    expect(page.locator("#sign-up-email")).to_have_value(mistyped)
    page.fill("#sign-up-email", email)
    page.press("#sign-up-email", "Enter")
    expect(page.locator("#confirm-form")).to_be_visible()
    expect(page.get_by_test_id("confirm-email")).to_have_text(email)
    # The focus waits in the code field, and Enter submits.
    expect(page.locator("#confirm-code")).to_be_focused()
    shot(page, "02-confirm-code.png")

    # Too many wrong codes (LimitExceeded, forged once here): ask for a new code, not "wait".
    limited = []

    def limit_once(route):
        if is_call(route.request, "confirmAccount") and not limited:
            limited.append(route.request)
            route.fulfill(
                status=429,
                content_type="application/json",
                headers={"Retry-After": "30"},
                body='{"error": "LimitExceeded", "message": "Too many attempts. Wait a while and try again."}',
            )
        else:
            route.continue_()

    page.route(server.url + "/", limit_once)
    page.keyboard.type("654321")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("confirm-message")).to_have_text("Too many wrong codes. Ask for a new code.")
    expect(page.locator("#resend-code")).to_be_focused()
    page.unroute(server.url + "/", limit_once)
    page.keyboard.press("Enter")  # the new code
    expect(page.get_by_test_id("confirm-message")).to_contain_text("A new code is on its way.")
    expect(page.locator("#confirm-code")).to_be_focused()
    page.fill("#confirm-code", "")
    page.keyboard.type(CODE)
    page.keyboard.press("Enter")
    expect_signed_in(page, email)
    expect(page.get_by_test_id("who")).to_have_text(f"Signed in as Robin ({email})")
    expect_no_token_stored(page)
    shot(page, "03-signed-in.png")

    # Upload a photo with a description; its thumbnail is fetched with the token and shown.
    page.click("#show-photos")
    expect(page.get_by_test_id("photos-empty")).to_be_visible()
    photo_id = upload(page, sample_jpeg(tmp_path / "sunset.jpg"), DESCRIPTION)
    item = page.locator("#photo-list > li[data-photo-id]")
    expect(item).to_have_count(1)
    thumbnail = item.locator("img")
    page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=thumbnail.element_handle())
    assert thumbnail.evaluate("image => [image.naturalWidth, image.naturalHeight]") == [300, 300]
    assert thumbnail.get_attribute("src").startswith("blob:")
    # The description is text, never markup.
    expect(item.locator(".description")).to_have_text(DESCRIPTION)
    assert item.locator(".description *").count() == 0
    assert server_photo_ids(server, email) == [photo_id]
    shot(page, "04-photo-uploaded.png")

    # The full-size photo opens in a dialog; Escape closes it and its blob: URL goes.
    item.locator("button.thumb").click()
    viewer_image = page.locator("#viewer-image")
    page.wait_for_function("image => image.complete && image.naturalWidth === 640", arg=viewer_image.element_handle())
    expect(page.get_by_test_id("photo-viewer")).to_have_attribute("data-photo-id", photo_id)
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("photo-viewer")).to_be_hidden()
    expect(viewer_image).not_to_have_attribute("src", re.compile("."))

    # Phone width: one column, no horizontal scrolling.
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "05-phone-360px.png")
    page.set_viewport_size(DESKTOP)

    # A reload keeps the person signed in: the refresh cookie gives a new access token. Here the
    # first getUser after it answers NotAuthorized, as the JSON methods do for a token that ran out:
    # the page refreshes again and retries.
    refreshes, expired = [], []
    page.on("request", lambda request: refreshes.append(request) if is_call(request, "refresh") else None)

    def expire_once(route):
        if is_call(route.request, "getUser") and not expired:
            expired.append(route.request)
            route.fulfill(
                status=401,
                content_type="application/json",
                body='{"error": "NotAuthorized", "message": "The access token is invalid, expired or revoked."}',
            )
        else:
            route.continue_()

    page.route(server.url + "/", expire_once)
    page.reload()
    expect_signed_in(page, email)
    expect(page.get_by_test_id("signed-in-message")).to_be_empty()
    assert len(expired) == 1 and len(refreshes) == 2
    page.unroute(server.url + "/", expire_once)
    page.click("#show-photos")
    expect(page.locator(f'#photo-list > li[data-photo-id="{photo_id}"]')).to_have_count(1)
    shot(page, "06-after-reload.png")

    # Deleting while a reload of the list is on its way: that list (answered before the deletion)
    # arrives last, and must not bring the photo back. Gone from the page, and from the server
    # (asked with a token of another sign-in).
    held = []

    def hold_first_list(route):
        if route.request.method == "GET" and not held:
            held.append((route, route.fetch()))  # the server's answer now, with the photo
        else:
            route.continue_()

    page.route(server.url + "/photos", hold_first_list)
    page.click("#show-photos")
    while not held:
        page.wait_for_timeout(20)
    assert photo_id in held[0][1].text()
    delete_button = page.locator(f'li[data-photo-id="{photo_id}"]').get_by_test_id("delete-photo")
    delete_button.focus()
    page.keyboard.press("Enter")  # asks first, "Keep it" focused; Tab then Enter would be "Delete"
    expect(page.get_by_test_id("delete-photo-no")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_test_id("delete-photo-yes")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(f'li[data-photo-id="{photo_id}"]')).to_have_count(0)
    expect(page.get_by_test_id("photos-empty")).to_be_visible()
    expect(page.locator("#upload-file")).to_be_focused()  # the focus did not drop to <body>
    late, late_answer = held[0]
    late.fulfill(response=late_answer)
    assert late.request.response().status == 200
    page.wait_for_timeout(200)  # time for the late answer to be (wrongly) drawn
    page.unroute(server.url + "/photos", hold_first_list)
    expect(page.locator(f'li[data-photo-id="{photo_id}"]')).to_have_count(0)
    expect(page.get_by_test_id("photos-empty")).to_be_visible()
    expect(page.get_by_test_id("photos-message")).to_have_text("The photo is deleted.")
    assert server_photo_ids(server, email) == []
    shot(page, "07-photo-deleted.png")

    page.get_by_test_id("sign-out").click()
    expect_signed_out(page)
    shot(page, "08-signed-out-again.png")
    page.reload()
    expect_signed_out(page)

    # A backend error reads as a sentence near the form, with the focus back on the password.
    sign_in(page, email, "not the password")
    message = page.get_by_test_id("sign-in-message")
    expect(message).to_have_text("The email or password is wrong.")
    expect(message).to_have_attribute("role", "alert")
    expect(page.locator("#sign-in-password")).to_be_focused()
    shot(page, "09-wrong-password.png")

    # A plain password sign-in through the form: signed in, and the photos API takes its token.
    sign_in(page, email, PASSWORD)
    expect_signed_in(page, email)
    expect(page.locator("#mfa-form")).to_be_hidden()
    assert open_photos_and_expect_list_call(page) == 0
    expect(page.get_by_test_id("photos-empty")).to_be_visible()
    shot(page, "10-password-sign-in.png")
    expect_no_token_stored(page)  # also after the refreshes above

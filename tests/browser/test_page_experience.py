"""What the page is like to use, in a real browser: a signed-out visit logs nothing; after signing in
the person is greeted by name in My photos; the view is in the URL (reload, Back, Forward, a shared
link); passwords can be shown and their rules are ticked as they are met; busy buttons say what they
do; uploads show a preview and their progress; deleting a photo asks first; a new action clears the
previous message; the list notices a session ended elsewhere; the authenticator box says whether
codes are on and copies the key."""

from __future__ import annotations

import re

import pyotp
from playwright.sync_api import expect

from tests.support import CODE, PASSWORD, Client
from tests.support.chromium import (
    create_account,
    delete_photo,
    expect_signed_in,
    expect_signed_out,
    expect_view,
    is_call,
    new_email,
    server_photo_ids,
    sign_in,
    upload,
)
from tests.support.pictures import noisy_jpeg, sample_jpeg


def test_a_signed_out_visit_asks_no_refresh_and_logs_nothing(page, pages, server):
    asked = []
    page.on("request", lambda request: asked.append(request) if is_call(request, "refresh") else None)
    page.goto(server.url + "/")
    expect_signed_out(page)
    page.reload()
    expect_signed_out(page)
    page.goto(server.url + "/#account")
    expect_signed_out(page)
    page.go_back()
    expect_signed_out(page)
    # GET /me said there is no refresh cookie: no refresh call, so no 401 for the browser to log.
    assert asked == []
    assert pages.problems[0].refusals == []  # the fixture checks every other console error


def test_greeted_by_name_in_my_photos_and_the_view_is_in_the_url(page, server):
    email = new_email()
    create_account(server, email, "Robin")
    # A shared link to the account settings, opened signed out: sign in, and land there.
    page.goto(server.url + "/#account")
    expect_signed_out(page)
    assert page.url.endswith("#account")
    sign_in(page, email, PASSWORD)
    expect_signed_in(page, email)
    expect(page.get_by_test_id("greeting")).to_have_text("Hello, Robin!")
    expect_view(page, "account")

    page.click("#show-photos")
    expect_view(page, "photos")
    expect(page.locator("#photos-heading")).to_be_focused()
    page.go_back()  # Back stays in the app, on the previous view
    expect_view(page, "account")
    page.go_forward()
    expect_view(page, "photos")
    page.reload()  # still signed in, on the same view
    expect_signed_in(page, email)
    expect_view(page, "photos")
    expect(page.get_by_test_id("greeting")).to_have_text("Hello, Robin!")
    page.click("#show-account")
    page.reload()
    expect_view(page, "account")

    # Signing out leaves no view in the URL; signing in without one opens My photos.
    page.get_by_test_id("sign-out").click()
    expect_signed_out(page)
    assert "#" not in page.url
    sign_in(page, email, PASSWORD)
    expect_view(page, "photos")
    expect(page.get_by_test_id("greeting")).to_be_focused()

    # Without a nickname, the greeting uses the email.
    other = new_email()
    create_account(server, other, None)
    page.get_by_test_id("sign-out").click()
    sign_in(page, other, PASSWORD)
    expect(page.get_by_test_id("greeting")).to_have_text(f"Hello, {other}!")


def test_tabs_password_reveal_rules_and_busy_buttons(page, server):
    page.goto(server.url + "/")
    expect_signed_out(page)
    # The tabs: the ARIA tabs pattern, arrow keys between them, the tab in the URL.
    sign_in_tab, sign_up_tab = page.locator("#tab-sign-in"), page.locator("#tab-sign-up")
    expect(page.get_by_role("tablist")).to_have_count(1)
    expect(sign_in_tab).to_have_attribute("aria-selected", "true")
    sign_in_tab.focus()
    page.keyboard.press("ArrowRight")
    expect(sign_up_tab).to_be_focused()
    expect(sign_up_tab).to_have_attribute("aria-selected", "true")
    expect(page.locator("#sign-up-panel")).to_be_visible()
    expect(page.locator("#sign-in-panel")).to_be_hidden()
    assert page.url.endswith("#sign-up")
    page.reload()
    expect(page.locator("#sign-up-panel")).to_be_visible()

    # The password rules, from GET /me, ticked as they are met.
    rule = page.locator("#sign-up-password-rules li")
    expect(rule).to_have_count(1)
    expect(rule).to_contain_text("8 characters or more")
    page.fill("#sign-up-password", "1234567")
    expect(rule).not_to_have_class("met")
    expect(rule.locator(".rule-state")).to_have_text("not yet: ")
    page.type("#sign-up-password", "8")
    expect(rule).to_have_class("met")
    expect(rule.locator(".rule-state")).to_have_text("done: ")
    assert page.get_attribute("#sign-up-password", "aria-describedby") == "sign-up-password-rules"

    # Show / hide: a toggle button, with the keyboard too.
    toggle = page.locator('#sign-up-panel button.reveal[aria-controls="sign-up-password"]')
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.focus()
    page.keyboard.press("Space")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#sign-up-password")).to_have_attribute("type", "text")
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#sign-up-password")).to_have_attribute("type", "password")

    # A busy button says what it does, with a spinner that stands still for people who ask for less motion.
    email = new_email()
    create_account(server, email, "Kai")
    page.emulate_media(reduced_motion="reduce")
    sign_up_tab.press("ArrowLeft")
    expect(sign_in_tab).to_have_attribute("aria-selected", "true")
    held = []

    def hold_sign_in(route):
        if is_call(route.request, "signIn") and not held:
            held.append(route)
        else:
            route.continue_()

    page.route(server.url + "/", hold_sign_in)
    sign_in(page, email, PASSWORD)
    submit = page.locator("#sign-in-submit")
    expect(submit).to_have_text("Signing in…")
    expect(submit).to_be_disabled()
    assert submit.locator(".spinner").evaluate("s => getComputedStyle(s).animationName") == "none"
    held[0].continue_()
    expect_signed_in(page, email)
    page.unroute(server.url + "/", hold_sign_in)
    page.get_by_test_id("sign-out").click()
    expect(submit).to_have_text("Sign in")


def test_the_confirm_screen_says_the_email_once(page, server):
    email = new_email()
    page.goto(server.url + "/#sign-up")
    page.fill("#sign-up-email", email)
    page.fill("#sign-up-nickname", "Once")
    page.fill("#sign-up-password", PASSWORD)
    page.press("#sign-up-password", "Enter")
    expect(page.get_by_test_id("confirm-email")).to_have_text(email)
    assert page.locator("#confirm-form").inner_text().count(email.split("@")[0][:6]) == 1
    page.fill("#confirm-code", CODE)
    page.press("#confirm-code", "Enter")
    expect(page.get_by_test_id("greeting")).to_have_text("Hello, Once!")


def test_upload_preview_progress_delete_confirmation_and_one_message(page, pages, server, tmp_path):
    email = new_email()
    create_account(server, email, "Ana")
    page.goto(server.url + "/")
    sign_in(page, email, PASSWORD)
    expect_view(page, "photos")

    # The chosen file is previewed from a blob: URL.
    big = noisy_jpeg(tmp_path / "noise.jpg")
    page.set_input_files("#upload-file", big)
    preview = page.get_by_test_id("upload-preview")
    expect(preview).to_be_visible()
    assert preview.get_attribute("src").startswith("blob:")
    expect(page.locator("#upload-preview-caption")).to_contain_text("noise.jpg")

    # The upload's progress, as XMLHttpRequest reports it, on an upload slowed down to see it move.
    page.evaluate("""() => { window.seenPercents = [];
        new MutationObserver(() => seenPercents.push(Number(document.getElementById("upload-progress-box").dataset.percent)))
          .observe(document.getElementById("upload-progress-box"), { attributes: true, attributeFilter: ["data-percent"] }); }""")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 600 * 1024},
    )
    page.fill("#upload-description", "Noise")
    page.click("#upload-submit")
    expect(page.get_by_test_id("upload-progress")).to_be_visible()
    expect(page.locator("#upload-submit")).to_have_text("Uploading…")
    expect(page.get_by_test_id("photos-message")).to_have_text("Your photo is uploaded.", timeout=30_000)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    seen = page.evaluate("seenPercents")
    assert max(seen) == 100 and any(0 < percent < 100 for percent in seen), seen
    expect(page.get_by_test_id("upload-progress")).to_be_hidden()
    expect(preview).to_be_hidden()
    [photo_id] = server_photo_ids(server, email)

    # Delete asks first: Escape and "Keep it" keep the photo, the focus back on its Delete button.
    button = page.locator(f'li[data-photo-id="{photo_id}"]').get_by_test_id("delete-photo")
    button.click()
    dialog = page.get_by_test_id("delete-photo-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("“Noise” will be gone for good.")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()
    button.click()
    page.get_by_test_id("delete-photo-no").click()
    expect(dialog).to_be_hidden()
    assert server_photo_ids(server, email) == [photo_id]
    delete_photo(page, photo_id)
    expect(page.get_by_test_id("photos-message")).to_have_text("The photo is deleted.")
    assert server_photo_ids(server, email) == []

    # The next action's message replaces it: no green "deleted" under a red error (400 NotAnImage,
    # which the browser logs).
    pages.problems[0].expected_4xx.add(server.url + "/photos")
    not_a_picture = tmp_path / "notes.jpg"
    not_a_picture.write_text("not a picture")
    page.set_input_files("#upload-file", str(not_a_picture))
    expect(page.get_by_test_id("photos-message")).to_be_empty()
    page.click("#upload-submit")
    message = page.get_by_test_id("photos-message")
    expect(message).to_have_text("That file is not a picture we can read. Choose a JPEG, PNG, GIF or WebP image.")
    expect(message).to_have_class("message error")
    upload(page, sample_jpeg(tmp_path / "after.jpg"), "After")


def test_listing_the_photos_notices_a_session_ended_elsewhere(page, pages, server):
    pages.expect_refresh_refusals()
    pages.problems[0].expected_4xx.add(server.url + "/photos")
    email = new_email()
    create_account(server, email, "Lou")
    page.goto(server.url + "/")
    sign_in(page, email, PASSWORD)
    expect_view(page, "photos")
    expect(page.get_by_test_id("photos-empty")).to_be_visible()
    # The account is deleted by another program (with a token of its own): this tab's access token
    # has not expired, but listing the photos asks Cognito, and the tab shows the signed-out page.
    api = Client(server.url)
    token = api.call("signIn", user=email, **{"pass": PASSWORD}).json["access_token"]
    assert api.call("deleteAcct", access_token=token).status == 200
    with page.expect_response(lambda r: r.url.endswith("/photos") and r.request.method == "GET") as answer:
        page.click("#show-photos")
    assert answer.value.status == 401 and answer.value.json()["error"] == "InvalidToken"
    expect_signed_out(page)
    expect(page.get_by_test_id("page-message")).to_have_text("Your session has ended. Please sign in again.")


def test_the_authenticator_box_says_whether_codes_are_on_and_copies_the_key(page, pages, server):
    pages.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    email = new_email()
    create_account(server, email, "Max")
    page.goto(server.url + "/#account")
    sign_in(page, email, PASSWORD)
    expect_view(page, "account")
    status = page.get_by_test_id("mfa-status")
    expect(status).to_have_text("Authenticator codes are off.")
    expect(page.get_by_test_id("mfa-start")).to_be_visible()
    expect(page.get_by_test_id("mfa-off")).to_be_hidden()  # only the button that makes sense

    page.get_by_test_id("mfa-start").click()
    secret = page.get_by_test_id("totp-secret")
    expect(secret).to_have_text(re.compile(r"^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$"))
    expect(page.get_by_test_id("mfa-start")).to_be_hidden()
    page.get_by_test_id("totp-copy").click()
    expect(page.get_by_test_id("mfa-setup-message")).to_have_text(
        "The key is copied. Paste it into your authenticator app."
    )
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == secret.text_content().replace(" ", "") and " " not in copied
    # A browser that refuses: the person is told to copy it themselves.
    page.evaluate("() => { navigator.clipboard.writeText = () => Promise.reject(new Error('denied')); }")
    page.get_by_test_id("totp-copy").click()
    expect(page.get_by_test_id("mfa-setup-message")).to_contain_text("Select it and copy it yourself.")

    page.fill("#totp-code", pyotp.TOTP(copied).now())
    page.press("#totp-code", "Enter")
    expect(status).to_have_text("Authenticator codes are on.")
    expect(page.get_by_test_id("mfa-off")).to_be_visible()
    expect(page.get_by_test_id("mfa-start")).to_be_hidden()
    page.reload()  # what getUser says, not what the page remembers
    expect_view(page, "account")
    expect(status).to_have_text("Authenticator codes are on.")
    expect(page.get_by_test_id("mfa-start")).to_be_hidden()
    page.get_by_test_id("mfa-off").click()
    expect(status).to_have_text("Authenticator codes are off.")
    expect(page.get_by_test_id("mfa-off")).to_be_hidden()

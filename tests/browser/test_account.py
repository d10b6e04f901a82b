"""The account and its session on the page in a real browser: changing the password and deleting the
account; a session signed out elsewhere (changePass and an upload then read as a session that
ended); and, in two tabs of one browser, another account signed in in the other tab replacing this
one."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support import PASSWORD
from tests.support.chromium import (
    create_account,
    expect_no_token_stored,
    expect_signed_in,
    expect_signed_out,
    new_email,
    open_photos_and_expect_list_call,
    server_photo_ids,
    shot,
    sign_in,
    upload,
)
from tests.support.pictures import sample_jpeg


def test_change_password_then_delete_the_account(page, server):
    email = new_email()
    new_password = PASSWORD + "_2"
    create_account(server, email, "Sam")
    page.goto(server.url + "/")
    sign_in(page, email, PASSWORD)
    expect_signed_in(page, email)
    page.click("#show-account")

    # A wrong current password (changePass answers NotAuthorized, which the page tells apart from
    # a session that ended): said as such, and the session stays.
    page.fill("#old-password", "not the password")
    page.fill("#new-password", new_password)
    page.press("#new-password", "Enter")
    expect(page.get_by_test_id("password-message")).to_have_text("Your current password is wrong.")
    expect(page.locator("#old-password")).to_be_focused()
    expect_signed_in(page, email)
    page.fill("#old-password", PASSWORD)
    page.fill("#new-password", new_password)
    submit = page.locator("#password-form button[type=submit]")
    submit.click()
    expect(page.get_by_test_id("password-message")).to_have_text(
        "Your password is changed, and every other session is signed out."
    )
    expect(submit).to_be_focused()  # disabled while busy, then the focus is back (not on <body>)
    shot(page, "16-password-changed.png")

    page.get_by_test_id("sign-out").click()
    expect_signed_out(page)
    sign_in(page, email, PASSWORD)
    expect(page.get_by_test_id("sign-in-message")).to_have_text("The email or password is wrong.")
    sign_in(page, email, new_password)
    expect_signed_in(page, email)

    page.click("#show-account")
    page.get_by_test_id("delete-start").click()
    expect(page.locator("#delete-no")).to_be_focused()
    page.get_by_test_id("delete-yes").click()
    expect_signed_out(page)
    expect(page.get_by_test_id("page-message")).to_have_text("Your account is deleted.")
    shot(page, "17-account-deleted.png")
    sign_in(page, email, new_password)
    expect(page.get_by_test_id("sign-in-message")).to_have_text("The email or password is wrong.")
    expect_signed_out(page)


def test_a_session_ended_elsewhere_reads_as_signed_out(page, server, pages, tmp_path):
    pages.expect_refresh_refusals()
    email = new_email()
    create_account(server, email, "Lee")
    page.goto(server.url + "/")
    sign_in(page, email, PASSWORD)
    expect_signed_in(page, email)

    # Signed out everywhere by another program with this browser's cookie: changePass answers
    # NotAuthorized, which here is not a wrong password but the end of the session.
    assert page.request.post(server.url + "/", data={"env": "signOut", "global": True}).status == 200
    page.click("#show-account")
    page.fill("#old-password", PASSWORD)
    page.fill("#new-password", PASSWORD + "_2")
    page.press("#new-password", "Enter")
    expect_signed_out(page)
    expect(page.get_by_test_id("page-message")).to_have_text("Your session has ended. Please sign in again.")
    expect(page.get_by_test_id("who")).to_be_hidden()

    # An upload of a signed-out session: the photos API answers InvalidToken; the page refreshes
    # once, which fails, and shows the signed-out page with a sentence.
    sign_in(page, email, PASSWORD)
    expect_signed_in(page, email)
    page.click("#show-photos")
    expect(page.get_by_test_id("photos-empty")).to_be_visible()
    pages.problems[0].expected_4xx.add(server.url + "/photos")
    assert page.request.post(server.url + "/", data={"env": "signOut", "global": True}).status == 200
    page.set_input_files("#upload-file", sample_jpeg(tmp_path / "late.jpg"))
    with page.expect_response(lambda r: r.url.endswith("/photos") and r.request.method == "POST") as answer:
        page.click("#upload-submit")
    assert answer.value.status == 401 and answer.value.json()["error"] == "InvalidToken"
    expect_signed_out(page)
    expect(page.get_by_test_id("page-message")).to_have_text("Your session has ended. Please sign in again.")
    assert server_photo_ids(server, email) == []


def test_another_account_signed_in_in_another_tab_replaces_this_one(pages, server, tmp_path):
    alice, bob = new_email(), new_email()
    create_account(server, alice, "Alice")
    create_account(server, bob, "Bob")

    first = pages.new_page()
    first.goto(server.url + "/")
    sign_in(first, alice, PASSWORD)
    expect_signed_in(first, alice)
    first.click("#show-photos")
    alice_photo = upload(first, sample_jpeg(tmp_path / "alice.jpg"), "Alice's photo")

    # Another tab of the same browser: signed in as Alice by the shared cookie; signs out, then in as Bob.
    second = pages.new_page()
    second.goto(server.url + "/")
    expect_signed_in(second, alice)
    second.get_by_test_id("sign-out").click()
    expect_signed_out(second)
    sign_in(second, bob, PASSWORD)
    expect_signed_in(second, bob)

    # The first tab still holds Alice's access token (the photos API trusts it until it expires).
    # Opening Alice's photo there is told the token expired: the refresh answers Bob's session, so
    # the tab drops everything of Alice's (list, blob: URLs, the viewer) and shows Bob, saying why.
    image_url = f"{server.url}/photos/{alice_photo}/image"
    pages.problems[0].expected_4xx.add(image_url)
    expired = []

    def expire_once(route):
        if not expired:
            expired.append(route.request)
            route.fulfill(
                status=401,
                content_type="application/json",
                body='{"error": "TokenExpired", "message": "The access token has expired."}',
            )
        else:
            route.continue_()

    first.route(image_url, expire_once)
    first.locator(f'li[data-photo-id="{alice_photo}"] button.thumb').click()
    expect_signed_in(first, bob)
    expect(first.get_by_test_id("who")).not_to_contain_text(alice)
    expect(first.get_by_test_id("signed-in-message")).to_contain_text("another account in this browser")
    expect(first.locator(f'li[data-photo-id="{alice_photo}"]')).to_have_count(0)
    expect(first.get_by_test_id("photo-viewer")).to_be_hidden()
    assert first.evaluate("document.querySelectorAll('#photo-list img[src^=blob]').length") == 0
    assert len(expired) == 1
    shot(first, "18-account-changed.png")

    # Bob's photos now (none), never Alice's; Bob's account settings use Bob's email.
    assert open_photos_and_expect_list_call(first) == 0
    expect(first.get_by_test_id("photos-empty")).to_be_visible()
    first.click("#show-account")
    expect(first.locator("#password-form-username")).to_have_attribute("value", bob)
    assert server_photo_ids(server, alice) == [alice_photo]
    expect_no_token_stored(first)

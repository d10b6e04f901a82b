"""The page in a real browser: headless Chromium drives web/index.html against ``tornado_server.py``
run as a process in local mode (the embedded local Cognito, photos on disk).

It signs up (back to the form from the code step, a forged LimitExceeded), confirms, uploads a
photo and sees its thumbnail, stays signed in across a reload, deletes the photo while a list is
on its way (the server no longer has it; the late list does not bring it back), signs out and in
with the password; signs in through the hosted UI, out of it, and deletes the account from there;
sets up an authenticator app, signs in with its code, turns it off and signs in with the password
alone; changes the password and deletes the account; is signed out elsewhere (changePass and an
upload then read as a session that ended); and, in two tabs of one browser, is replaced by another
account signed in in the other tab. Every step must leave no JavaScript error and no
Content-Security-Policy violation in the console, and no token in storage or readable cookies. A
screenshot of each step goes to ``tests/screenshots/``.

Chromium is the Debian package (``.ci/run`` installs it), found as ``chromium`` on PATH or at
``CHROMIUM_PATH``; playwright never downloads a browser here. Without it these tests fail, on purpose.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid

import pyotp
import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import ConsoleMessage, Page, expect, sync_playwright

from tests.support import CODE, PASSWORD, Client, Photos, free_port, local_server

SCREENSHOTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "screenshots")
SIGNED_OUT = "Click log in/sign up to access this site"
SIGNED_IN = "Click my photos to access your photos"
DESKTOP = {"width": 1100, "height": 800}
PHONE = {"width": 360, "height": 740}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# A description that would be markup if the page ever parsed it as HTML.
DESCRIPTION = 'Sunset <b>over</b> the "bay" & <img src=x onerror=alert(1)>'


def chromium_path() -> str:
    """Chromium's executable; a failure (never a skip) without it, so a CI without it is noticed."""
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        if not os.access(configured, os.X_OK):
            pytest.fail(f"CHROMIUM_PATH is {configured!r}, which is not an executable file.", pytrace=False)
        return configured
    path = shutil.which("chromium")
    if not path:
        pytest.fail("Chromium is not installed, so the page cannot be tested in a browser. Install Debian's "
                    "'chromium' package (.ci/run does) or set CHROMIUM_PATH to a Chromium executable.",
                    pytrace=False)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The server as a process, local mode, its pool and photos in a temporary folder; every emailed
    code is tests.support.CODE."""
    data = tmp_path_factory.mktemp("browser")
    # Every browser signs in from 127.0.0.1: the page's own handling of 429 is tested with forged answers.
    process = local_server(str(data / "local-cognito"), free_port(), LOCAL_COGNITO_CODE=CODE,
                           PHOTOS_DATA=str(data / "photos"), RATE_LIMIT_PER_ADDRESS="off",
                           RATE_LIMIT_PER_USER="off")
    yield process
    log = process.stop()
    assert "Traceback" not in log, log
    assert PASSWORD not in log


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    os.makedirs(SCREENSHOTS, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageProblems:
    """Console errors and uncaught exceptions of a page. Chromium logs every 4xx answer as "Failed to
    load resource"; from the JSON endpoint (``POST /``) those are how the API answers ``refresh``
    with nobody signed in, a wrong password or code, an unconfirmed account, and the tests check
    the page turns them into sentences. Anything else, a CSP violation included, is a problem."""

    def __init__(self, page: Page, base_url: str):
        self.base_url = base_url
        self.found: list[str] = []
        # URLs whose 4xx a test caused on purpose (an answer it forged with page.route, say).
        self.expected_4xx: set[str] = set()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.found.append(f"page error: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        api_answer = (re.search(r"Failed to load resource: .* status of 4\d\d", message.text)
                      and message.location.get("url") in {f"{self.base_url}/", *self.expected_4xx})
        if not api_answer:
            self.found.append(f"console error: {message.text} at {message.location.get('url')}")


class Pages:
    """One browser context (one cookie jar, as tabs of one browser share) and its pages, each
    watched for console problems."""

    def __init__(self, browser, base_url: str):
        self.base_url = base_url
        self.context = browser.new_context(viewport=DESKTOP)
        self.problems: list[PageProblems] = []

    def new_page(self) -> Page:
        page = self.context.new_page()
        page.set_default_timeout(10_000)
        self.problems.append(PageProblems(page, self.base_url))
        return page

    def found(self) -> list[str]:
        return [problem for watcher in self.problems for problem in watcher.found]


@pytest.fixture
def pages(browser, server):
    opened = Pages(browser, server.url)
    yield opened
    opened.context.close()
    assert opened.found() == []


@pytest.fixture
def page(pages):
    return pages.new_page()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=os.path.join(SCREENSHOTS, name), full_page=True)


def new_email() -> str:
    return f"browser-{uuid.uuid4().hex[:10]}@example.com"


def sample_jpeg(path) -> str:
    image = Image.new("RGB", (640, 480), "#2a6fb0")
    draw = ImageDraw.Draw(image)
    draw.ellipse((380, 60, 560, 240), fill="#f7c948")
    draw.rectangle((0, 330, 640, 480), fill="#1d7a46")
    image.save(path, "JPEG", quality=85)
    return str(path)


def expect_signed_out(page: Page) -> None:
    expect(page.get_by_test_id("status")).to_have_text(SIGNED_OUT)
    expect(page.locator("#sign-in-form")).to_be_visible()


def expect_signed_in(page: Page, email: str) -> None:
    expect(page.get_by_test_id("status")).to_have_text(SIGNED_IN)
    expect(page.get_by_test_id("who")).to_contain_text(email)


def is_call(request, method: str) -> bool:
    """Whether ``request`` is a call of ``method`` on the JSON endpoint."""
    if request.method != "POST" or not request.url.endswith("/") or request.url.count("/") != 3:
        return False
    return json.loads(request.post_data or "{}").get("env") == method


def sign_in(page: Page, email: str, password: str) -> None:
    page.fill("#sign-in-email", email)
    page.fill("#sign-in-password", password)
    page.press("#sign-in-password", "Enter")



def expect_no_token_stored(page: Page) -> None:
    """The access token lives in the script's memory only: nothing in storage or readable cookies."""
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert page.evaluate("document.cookie") == ""


def create_account(server, email: str, nickname: str, confirm: bool = True) -> None:
    api = Client(server.url)
    assert api.call("createAccount", user=email, nickname=nickname, **{"pass": PASSWORD}).status == 200
    if confirm:
        assert api.call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD}).status == 200


def server_photo_ids(server, email: str, password: str = PASSWORD) -> list[str]:
    """The person's photos as the server has them, asked with a token of a separate sign-in."""
    api = Client(server.url)
    reply = api.call("signIn", user=email, **{"pass": password})
    assert reply.status == 200, reply.body
    listed = Photos(api, reply.json["access_token"]).list()
    assert listed.status == 200, listed.body
    return [photo["id"] for photo in listed.json["photos"]]


def upload(page: Page, path: str, description: str) -> str:
    """Uploads through the form; the new photo's id."""
    page.set_input_files("#upload-file", path)
    page.fill("#upload-description", description)
    page.click("#upload-submit")
    expect(page.get_by_test_id("upload-message")).to_have_text("Your photo is uploaded.")
    item = page.locator("#photo-list > li[data-photo-id]").first
    expect(item.locator(".description")).to_have_text(description)
    return item.get_attribute("data-photo-id")


def open_photos_and_expect_list_call(page: Page) -> int:
    """Clicks "My photos"; the page's GET /photos must answer 200. Returns how many it drew."""
    with page.expect_response(lambda r: r.url.endswith("/photos") and r.request.method == "GET") as answer:
        page.click("#show-photos")
    assert answer.value.status == 200
    expect(page.get_by_test_id("photos-message")).to_be_empty()
    return page.locator("#photo-list > li[data-photo-id]").count()


def test_sign_up_upload_a_photo_reload_delete_it_and_sign_out(page, server, tmp_path):
    mistyped, email = new_email(), new_email()
    page.goto(server.url + "/")
    expect_signed_out(page)
    shot(page, "01-signed-out.png")

    # Sign up, then the code step: it shows the email as typed (not only the masked address) and
    # has a way back to the form, to use another email.
    page.click("#show-sign-up")
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
            route.fulfill(status=429, content_type="application/json", headers={"Retry-After": "30"},
                          body='{"error": "LimitExceeded", "message": "Too many attempts. Wait a while and try again."}')
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
    page.wait_for_function("image => image.complete && image.naturalWidth === 640",
                           arg=viewer_image.element_handle())
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
            route.fulfill(status=401, content_type="application/json",
                          body='{"error": "NotAuthorized", "message": "The access token is invalid, expired or revoked."}')
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
    expect(page.get_by_test_id("photos-message")).to_be_empty()
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
    secret = page.get_by_test_id("totp-secret").text_content()
    app = pyotp.TOTP(secret)
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
    expect(page.get_by_test_id("mfa-off")).to_be_focused()  # back on the pressed button
    page.get_by_test_id("sign-out").click()
    expect_signed_out(page)
    sign_in(page, email, PASSWORD)
    expect_signed_in(page, email)
    expect(page.get_by_test_id("mfa-form")).to_be_hidden()
    expect_no_token_stored(page)


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
    expect(page.get_by_test_id("password-message")).to_have_text("Your password is changed.")
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
    expect(page.get_by_test_id("page-message")).to_have_text("Your session has ended. Please log in again.")
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
    expect(page.get_by_test_id("page-message")).to_have_text("Your session has ended. Please log in again.")
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
            route.fulfill(status=401, content_type="application/json",
                          body='{"error": "TokenExpired", "message": "The access token has expired."}')
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

"""The page in a real browser: headless Chromium drives web/index.html against ``tornado_server.py``
run as a process in local mode (the embedded local Cognito, photos on disk).

It signs up, confirms, uploads a photo and sees its thumbnail, stays signed in across a reload,
deletes the photo and signs out; signs in through the hosted UI and back out of it; sets up an
authenticator app and signs in with its code. Every step must leave no JavaScript error and no
Content-Security-Policy violation in the console. A screenshot of each step goes to
``tests/screenshots/``.

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

from tests.support import CODE, PASSWORD, Client, free_port
from tests.test_walkthrough import ServerProcess

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
    process = ServerProcess(str(data / "local-cognito"), free_port(), LOCAL_COGNITO_CODE=CODE,
                            PHOTOS_DATA=str(data / "photos"))
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
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.found.append(f"page error: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        api_answer = (re.search(r"Failed to load resource: .* status of 4\d\d", message.text)
                      and message.location.get("url") == f"{self.base_url}/")
        if not api_answer:
            self.found.append(f"console error: {message.text} at {message.location.get('url')}")


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = PageProblems(page, server.url)
    yield page
    context.close()
    assert problems.found == []


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


def test_sign_up_upload_a_photo_reload_delete_it_and_sign_out(page, server, tmp_path):
    email = new_email()
    page.goto(server.url + "/")
    expect_signed_out(page)
    shot(page, "01-signed-out.png")

    # Sign up, then the code: the focus waits in the code field, and Enter submits.
    page.click("#show-sign-up")
    page.fill("#sign-up-email", email)
    page.fill("#sign-up-nickname", "Robin")
    page.fill("#sign-up-password", PASSWORD)
    page.press("#sign-up-password", "Enter")
    expect(page.locator("#confirm-form")).to_be_visible()
    expect(page.locator("#confirm-code")).to_be_focused()
    shot(page, "02-confirm-code.png")
    page.keyboard.type(CODE)
    page.keyboard.press("Enter")
    expect_signed_in(page, email)
    expect(page.get_by_test_id("who")).to_have_text(f"Signed in as Robin ({email})")
    # The access token is in the script's memory only: nothing in storage or readable cookies.
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert page.evaluate("document.cookie") == ""
    shot(page, "03-signed-in.png")

    # Upload a photo with a description; its thumbnail is fetched with the token and shown.
    page.click("#show-photos")
    expect(page.get_by_test_id("photos-empty")).to_be_visible()
    page.set_input_files("#upload-file", sample_jpeg(tmp_path / "sunset.jpg"))
    page.fill("#upload-description", DESCRIPTION)
    page.click("#upload-submit")
    expect(page.get_by_test_id("upload-message")).to_have_text("Your photo is uploaded.")
    item = page.locator("#photo-list > li[data-photo-id]")
    expect(item).to_have_count(1)
    photo_id = item.get_attribute("data-photo-id")
    thumbnail = item.locator("img")
    page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=thumbnail.element_handle())
    assert thumbnail.evaluate("image => [image.naturalWidth, image.naturalHeight]") == [300, 300]
    assert thumbnail.get_attribute("src").startswith("blob:")
    # The description is text, never markup.
    expect(item.locator(".description")).to_have_text(DESCRIPTION)
    assert item.locator(".description *").count() == 0
    shot(page, "04-photo-uploaded.png")

    # The full-size photo opens in a dialog; Escape closes it.
    item.locator("button.thumb").click()
    viewer_image = page.locator("#viewer-image")
    page.wait_for_function("image => image.complete && image.naturalWidth === 640",
                           arg=viewer_image.element_handle())
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("photo-viewer")).to_be_hidden()

    # Phone width: one column, no horizontal scrolling.
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "05-phone-360px.png")
    page.set_viewport_size(DESKTOP)

    # A reload keeps the person signed in: the refresh cookie gives a new access token. Here the
    # first getUser after it answers TokenExpired, as a token that ran out would: the page refreshes
    # again and retries.
    refreshes, expired = [], []
    page.on("request", lambda request: refreshes.append(request) if is_call(request, "refresh") else None)

    def expire_once(route):
        if is_call(route.request, "getUser") and not expired:
            expired.append(route.request)
            route.fulfill(status=401, content_type="application/json",
                          body='{"error": "TokenExpired", "message": "The access token has expired."}')
        else:
            route.continue_()

    page.route(server.url + "/", expire_once)
    page.reload()
    expect_signed_in(page, email)
    assert len(expired) == 1 and len(refreshes) == 2
    page.unroute(server.url + "/", expire_once)
    page.click("#show-photos")
    expect(page.locator(f'#photo-list > li[data-photo-id="{photo_id}"]')).to_have_count(1)
    shot(page, "06-after-reload.png")

    page.locator(f'li[data-photo-id="{photo_id}"]').get_by_test_id("delete-photo").click()
    expect(page.locator(f'li[data-photo-id="{photo_id}"]')).to_have_count(0)
    expect(page.get_by_test_id("photos-empty")).to_be_visible()
    expect(page.get_by_test_id("photos-message")).to_have_text("The photo is deleted.")
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


def test_sign_in_through_the_hosted_ui_and_out_of_it(page, server):
    email = new_email()
    api = Client(server.url)
    assert api.call("createAccount", user=email, nickname="Kim", **{"pass": PASSWORD}).status == 200
    assert api.call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD}).status == 200

    page.goto(server.url + "/")
    expect_signed_out(page)
    page.get_by_test_id("hosted-ui-link").click()
    # The local Cognito's sign-in page (server/local_cognito/pages.py), on its own address.
    expect(page.locator("h1")).to_have_text("Sign in")
    assert not page.url.startswith(server.url)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    shot(page, "10-hosted-ui-sign-in.png")
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(server.url + "/")
    expect_signed_in(page, email)
    expect(page.get_by_test_id("who")).to_have_text(f"Signed in as Kim ({email})")
    shot(page, "11-hosted-ui-signed-in.png")

    # Signing out also ends the hosted UI's session: /logout goes there and comes back here.
    page.get_by_test_id("sign-out").click()
    page.wait_for_url(server.url + "/")
    expect_signed_out(page)
    page.get_by_test_id("hosted-ui-link").click()
    expect(page.locator("h1")).to_have_text("Sign in")  # the form again, not straight back in


def test_set_up_an_authenticator_app_and_sign_in_with_its_code(page, server):
    email = new_email()
    api = Client(server.url)
    assert api.call("createAccount", user=email, nickname="Ari", **{"pass": PASSWORD}).status == 200

    page.goto(server.url + "/")
    expect_signed_out(page)
    # Signing in before confirming leads to the code step, with the password kept for it.
    sign_in(page, email, PASSWORD)
    expect(page.locator("#confirm-form")).to_be_visible()
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
    shot(page, "12-authenticator-set-up.png")

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
    page.keyboard.type(app.at(time.time() + 30))  # the next code: each code works once
    page.keyboard.press("Enter")
    expect_signed_in(page, email)

    # Turn it off again; then a password is enough.
    page.click("#show-account")
    page.get_by_test_id("mfa-off").click()
    expect(page.get_by_test_id("mfa-setup-message")).to_contain_text("Authenticator codes are off")

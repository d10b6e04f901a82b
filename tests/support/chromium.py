"""Headless Chromium on the page (web/index.html), for the browser tests in tests/browser/: finding
Chromium, pages watched for console problems, screenshots, the steps those tests share (signing
in through the form, uploading, what the server has), and a page of another origin. The
accessibility checks (axe-core) are in ``tests/support/axe.py``.

Chromium is the Debian package (``.ci/run`` installs it), found as ``chromium`` on PATH or at
``CHROMIUM_PATH``; playwright never downloads a browser here. Without it the browser tests fail, on
purpose.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import shutil
import threading
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect, sync_playwright

from tests.support.accounts import CODE, PASSWORD
from tests.support.axe import expect_no_axe_violations
from tests.support.http import Client, Photos
from tests.support.processes import ROOT

SCREENSHOTS = os.path.join(ROOT, "tests", "screenshots")
SIGNED_OUT = "Click log in/sign up to access this site"
SIGNED_IN = "Click my photos to access your photos"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    """Chromium's executable; a failure (never a skip) without it, so a CI without it is noticed."""
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        if not os.access(configured, os.X_OK):
            pytest.fail(f"CHROMIUM_PATH is {configured!r}, which is not an executable file.", pytrace=False)
        return configured
    path = shutil.which("chromium")
    if not path:
        pytest.fail(
            "Chromium is not installed, so the page cannot be tested in a browser. Install Debian's "
            "'chromium' package (.ci/run does) or set CHROMIUM_PATH to a Chromium executable.",
            pytrace=False,
        )
    return path


@contextlib.contextmanager
def chromium_page() -> Iterator[Page]:
    """A page of a headless Chromium of its own, closed afterwards: for a test outside tests/browser/."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(10_000)
            yield page
        finally:
            browser.close()


class PageProblems:
    """Console errors and uncaught exceptions of a page. Chromium logs every 4xx answer as "Failed to
    load resource"; from the JSON endpoint (``POST /``) those are how the API answers a wrong
    password or code, an unconfirmed account, and the tests check the page turns them into
    sentences (``refusals`` counts them). A refusal of ``refresh`` is a problem unless the test
    ended the session on purpose (``refresh_refusals_expected``): the page asks ``refresh`` only
    when GET /me says there is a refresh cookie, so a signed-out visit logs nothing. Anything
    else, a CSP violation included, is a problem."""

    def __init__(self, page: Page, base_url: str):
        self.base_url = base_url
        self.found: list[str] = []
        self.refusals: list[str] = []
        self.refresh_refusals_expected = False
        # URLs whose 4xx a test caused on purpose (an answer it forged with page.route, say).
        self.expected_4xx: set[str] = set()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.found.append(f"page error: {error}"))
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        api_answer = re.search(r"Failed to load resource: .* status of 4\d\d", message.text) and message.location.get(
            "url"
        ) in {f"{self.base_url}/", *self.expected_4xx}
        if api_answer:
            self.refusals.append(message.text)
        else:
            self.found.append(f"console error: {message.text} at {message.location.get('url')}")

    def _response(self, response) -> None:
        if (
            response.status >= 400
            and response.url == f"{self.base_url}/"
            and is_call(response.request, "refresh")
            and not self.refresh_refusals_expected
        ):
            self.found.append(f"refresh answered {response.status}: the page asked without a live session")


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

    def expect_refresh_refusals(self) -> None:
        """The test ends sessions behind the page's back: `refresh` may then answer 401."""
        for watcher in self.problems:
            watcher.refresh_refusals_expected = True


def shot(page: Page, name: str) -> None:
    page.screenshot(path=os.path.join(SCREENSHOTS, name), full_page=True)


def screen(page: Page, name: str) -> None:
    """A screen checked and kept at both sizes, 1280×800 and 360×740: axe finds nothing, the phone
    has no horizontal scrolling, and ``{name}-desktop.png`` and ``{name}-phone.png`` are saved."""
    size = page.viewport_size
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        if label == "phone":
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
        expect_no_axe_violations(page, name)
        shot(page, f"{name}-{label}.png")
    page.set_viewport_size(size)


def new_email() -> str:
    return f"browser-{uuid.uuid4().hex[:10]}@example.com"


def expect_signed_out(page: Page) -> None:
    expect(page.get_by_test_id("status")).to_have_text(SIGNED_OUT)
    expect(page.locator("#sign-in-form")).to_be_visible()


def expect_signed_in(page: Page, email: str) -> None:
    expect(page.get_by_test_id("status")).to_have_text(SIGNED_IN)
    expect(page.get_by_test_id("who")).to_contain_text(email)


def expect_view(page: Page, view: str) -> None:
    """The signed-in view ``photos`` or ``account``: open, and named by the URL."""
    expect(page.locator(f"#{view}-panel")).to_be_visible()
    expect(page.locator(f"#show-{view}")).to_have_attribute("aria-current", "page")
    assert page.url.endswith(f"#{view}"), page.url


def is_call(request, method: str) -> bool:
    """Whether ``request`` is a call of ``method`` on the JSON endpoint."""
    if request.method != "POST" or not request.url.endswith("/") or request.url.count("/") != 3:
        return False
    return json.loads(request.post_data or "{}").get("env") == method


def sign_in(page: Page, email: str, password: str) -> None:
    page.fill("#sign-in-email", email)
    page.fill("#sign-in-password", password)
    page.press("#sign-in-password", "Enter")


def virtual_authenticator(page: Page) -> tuple[object, str]:
    """Chromium's virtual authenticator (the DevTools WebAuthn domain) standing in for a phone or a
    security key: a platform authenticator with resident keys and user verification, that always says
    yes. Returns the CDP session and the authenticator's id."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def expect_no_token_stored(page: Page) -> None:
    """The access token lives in the script's memory only: nothing in storage or readable cookies."""
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert page.evaluate("document.cookie") == ""


def create_account(server, email: str, nickname: str | None, confirm: bool = True) -> None:
    api = Client(server.url)
    named = {"nickname": nickname} if nickname is not None else {}
    assert api.call("createAccount", user=email, **named, **{"pass": PASSWORD}).status == 200
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
    expect(page.get_by_test_id("photos-message")).to_have_text("Your photo is uploaded.")
    item = page.locator("#photo-list > li[data-photo-id]").first
    expect(item.locator(".description")).to_have_text(description)
    return item.get_attribute("data-photo-id")


def open_photos_and_expect_list_call(page: Page) -> int:
    """Clicks "My photos"; the page's GET /photos must answer 200. Returns how many it drew."""
    with page.expect_response(lambda r: r.url.endswith("/photos") and r.request.method == "GET") as answer:
        page.click("#show-photos")
    assert answer.value.status == 200
    expect(page.locator("#photo-list")).not_to_have_attribute("aria-busy", "true")
    expect(page.get_by_test_id("photos-message")).to_be_empty()
    return page.locator("#photo-list > li[data-photo-id]").count()


def delete_photo(page: Page, photo_id: str) -> None:
    """Deletes a photo as a person does: its Delete button, then "Delete" in the dialog that asks."""
    page.locator(f'li[data-photo-id="{photo_id}"]').get_by_test_id("delete-photo").click()
    expect(page.get_by_test_id("delete-photo-dialog")).to_be_visible()
    page.get_by_test_id("delete-photo-yes").click()


@contextlib.contextmanager
def page_elsewhere(html: str) -> Iterator[str]:
    """``html`` served at http://localhost on a port of its own: a page of another origin of the
    same site as a server on localhost (its cookies go with that page's requests). Yields its URL."""
    body = html.encode()

    class OnePage(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OnePage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

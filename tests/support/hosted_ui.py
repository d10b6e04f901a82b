"""Signing in to the app through its hosted UI as a person in a browser does: ``/login`` to the
hosted UI's page, its form filled and sent, and back through ``/callback``."""

from __future__ import annotations

import html.parser
import urllib.parse

from server.page_identity import PASSWORD_POLICY
from tests.support.accounts import PASSWORD
from tests.support.http import Client, Reply


class _Form(html.parser.HTMLParser):
    """The first form of a page: its action, method and fields."""

    def __init__(self):
        super().__init__()
        self.action, self.method, self.fields, self._in_form, self._done = None, "GET", [], False, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and not self._done and self.action is None:
            self.action, self.method, self._in_form = attrs.get("action", ""), attrs.get("method", "GET"), True
        elif tag in ("input", "button") and self._in_form and attrs.get("name"):
            self.fields.append((attrs["name"], attrs.get("type", "text"), attrs.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True


def submit(browser: Client, page: Reply, follow: bool = True, **typed: str) -> Reply:
    """Fill the page's form like a person (email, password, code) and send it."""
    form = _Form()
    form.feed(page.body.decode())
    assert form.action is not None, page.body[:500]
    values = []
    for name, kind, value in form.fields:
        if kind == "email" or name in ("username", "email"):
            value = typed.get("email", value)
        elif kind == "password":
            value = typed.get("password", value)
        elif name in typed:
            value = typed[name]
        values.append((name, value))
    body = urllib.parse.urlencode(values).encode()
    return browser.request(
        form.method.upper(),
        urllib.parse.urljoin(page.url, form.action),
        body,
        {"Content-Type": "application/x-www-form-urlencoded"},
        follow=follow,
    )


def hosted_sign_in_page(browser: Client, path: str = "/login") -> Reply:
    page = browser.request("GET", path, headers={"Accept": "text/html"}, follow=True)
    # Cognito's hosted UI, on its own host, shows its sign-in form.
    assert page.status == 200 and not page.url.startswith(browser.base_url), (page.status, page.url)
    assert b"password" in page.body.lower()
    return page


def signed_in_browser(base_url, email) -> Client:
    browser = Client(base_url)
    submit(browser, hosted_sign_in_page(browser), email=email, password=PASSWORD)
    assert browser.request("GET", "/me").json["signed_in"] is True
    return browser


def me_answer(*, refresh_cookie: bool = False, **person) -> dict:
    """``GET /me``'s whole answer: signed out, or signed in as ``person`` (email, nickname, groups);
    whether the browser holds a refresh cookie; the password rules the page lists."""
    return {
        "signed_in": bool(person),
        **person,
        "refresh_cookie": refresh_cookie,
        "password_policy": PASSWORD_POLICY.answer(),
    }

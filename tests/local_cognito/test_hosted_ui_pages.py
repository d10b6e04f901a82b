"""The local Cognito's hosted-UI pages as the app's people see them: the app's name and icon, the way
back to the app, and "Forgot your password?" (Cognito's /forgotPassword and /confirmforgotPassword),
over real HTTP like a browser (cookies kept by hand, no redirect followed)."""

from __future__ import annotations

import html
import re

import pytest
from botocore.exceptions import ClientError

from local_cognito import start_local_cognito
from local_cognito.pages import DEFAULT_ICON
from server.config import load_config
from server.page_identity import favicon, page_name
from tests.support import CODE, PASSWORD, local_config
from tests.support.local_hosted_ui import SIGNED_OUT, Browser, authorization, sign_in_page
from tests.support.local_pool import new_email, new_user, password_auth

NEW_PASSWORD = PASSWORD + "_new"


def forgot_link(page) -> str:
    found = re.search(r'<a href="([^"]+)">Forgot your password\?</a>', page.text)
    assert found, page.text
    return html.unescape(found.group(1))


def test_the_sign_in_page_links_to_the_app_and_to_a_password_reset(browser, pool):
    request = authorization(pool)
    page = sign_in_page(browser, request)
    # Without a configured home, "Back to" is the app client's sign-out URL, its home page.
    assert f'<a href="{SIGNED_OUT}">Back to Local Cognito</a>' in page.text
    assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in page.text
    link = forgot_link(page)
    assert link.startswith("/forgotPassword?") and f"state={request.state}" in link
    icon = browser.get("/favicon.svg")
    assert icon.status == 200 and icon.headers["Content-Type"] == "image/svg+xml" and icon.body == DEFAULT_ICON
    # Images of its own host only: the icon.
    assert "img-src 'self'" in page.headers["Content-Security-Policy"]


def test_a_forgotten_password_is_reset_through_the_pages(browser, pool, idp):
    email = new_user(idp)
    request = authorization(pool)
    forgot = browser.get(forgot_link(sign_in_page(browser, request)))
    assert forgot.status == 200 and "Reset your password" in forgot.text
    sent = browser.post("/forgotPassword", dict(forgot.form("/forgotPassword"), email=email))
    assert sent.status == 200 and "Choose a new password" in sent.text

    wrong = browser.post(
        "/confirmforgotPassword", dict(sent.form("/confirmforgotPassword"), code="000000", password=NEW_PASSWORD)
    )
    assert wrong.status == 400 and 'class="error"' in wrong.text
    done = browser.post(
        "/confirmforgotPassword", dict(wrong.form("/confirmforgotPassword"), code=CODE, password=NEW_PASSWORD)
    )
    # Back on the sign-in page, the email filled in, the same authorize request still going.
    assert done.status == 200 and "Your password is changed." in done.text
    assert done.form("/login")["email"] == email
    signed_in = browser.post("/login", dict(done.form("/login"), password=NEW_PASSWORD))
    assert signed_in.status == 302 and f"state={request.state}" in signed_in.location
    # The pool has the new password, as InitiateAuth checks it.
    assert "AuthenticationResult" in password_auth(idp, email, NEW_PASSWORD)
    with pytest.raises(ClientError):
        password_auth(idp, email, PASSWORD)


def test_an_unknown_email_gets_the_same_page_and_a_short_password_is_refused(browser, pool, idp):
    request = authorization(pool)
    forgot = browser.get(forgot_link(sign_in_page(browser, request)))
    unknown = browser.post("/forgotPassword", dict(forgot.form("/forgotPassword"), email=new_email()))
    assert unknown.status == 200 and "Choose a new password" in unknown.text  # no user-existence error

    email = new_user(idp)
    sent = browser.post("/forgotPassword", dict(forgot.form("/forgotPassword"), email=email))
    short = browser.post(
        "/confirmforgotPassword", dict(sent.form("/confirmforgotPassword"), code=CODE, password="short")
    )
    assert short.status == 400 and "Password not long enough" in short.text
    # A step's form state cannot be used for another step.
    replay = browser.post("/login", dict(sent.form("/confirmforgotPassword"), email=email, password=PASSWORD))
    assert replay.status == 400 and "expired" in replay.text


def test_the_served_local_cognito_shows_the_apps_name_and_icon(tmp_path):
    """As the server starts it: APP_NAME (by default the page's <title>) and the page's icon."""
    local, config = start_local_cognito(load_config(local_config(str(tmp_path))))
    try:
        assert config.app_name == page_name() == "Photos"
        browser = Browser(local.endpoint_url)
        page = browser.get(
            "/oauth2/authorize",
            {
                "response_type": "code",
                "client_id": config.client_id,
                "redirect_uri": f"{config.base_url}/callback",
                "scope": "openid",
                "code_challenge": "x" * 43,
                "code_challenge_method": "S256",
                "state": "s",
            },
        )
        page = browser.get(page.location)
        assert "<title>Sign in · Photos</title>" in page.text and "Back to Photos</a>" in page.text
        assert browser.get("/favicon.svg").body == favicon()
    finally:
        local.stop()

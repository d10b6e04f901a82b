"""``/login?provider=LoginWithAmazon`` over real HTTP, following redirects like a browser: through the
local Cognito's hosted UI to its Login with Amazon stand-in, back through ``/callback``, and signed
in with the Amazon name as the nickname; and refused, as Cognito refuses it, where the local app
client does not offer the provider (``LOCAL_COGNITO_LOGIN_WITH_AMAZON=off``)."""

from __future__ import annotations

import uuid

import pytest

from local_cognito import start_local_cognito
from server.config import ConfigError, load_config
from tests.support import Client, local_config, serve_app
from tests.support.hosted_ui import me_answer, submit


def test_login_with_amazon_signs_in_with_the_amazon_name_as_nickname(base_url):
    browser = Client(base_url)
    page = browser.request("GET", "/login?provider=LoginWithAmazon", headers={"Accept": "text/html"}, follow=True)
    assert page.status == 200 and "/login-with-amazon/ap/oa?" in page.url and b"Login with Amazon" in page.body
    email = f"amazon-{uuid.uuid4().hex[:10]}@example.com"
    landed = submit(browser, page, email=email, name="Ama Zon")
    assert landed.status == 200 and landed.url == base_url + "/", (landed.status, landed.url)
    assert browser.request("GET", "/me").json == me_answer(
        email=email, nickname="Ama Zon", groups=[], refresh_cookie=True
    )
    # The session renews with the refresh token of a federated user (its SECRET_HASH takes the
    # LoginWithAmazon_... user name the access token carries).
    assert browser.call("refresh").status == 200


def test_the_setting_is_on_by_default_and_only_on_or_off(tmp_path):
    assert load_config(local_config(str(tmp_path))).local_login_with_amazon is True
    with pytest.raises(ConfigError, match="LOCAL_COGNITO_LOGIN_WITH_AMAZON must be on or off"):
        load_config(local_config(str(tmp_path), LOCAL_COGNITO_LOGIN_WITH_AMAZON="maybe"))


def test_without_the_provider_the_hosted_ui_refuses_it(tmp_path):
    config = load_config(local_config(str(tmp_path), LOCAL_COGNITO_LOGIN_WITH_AMAZON="off"))
    assert config.local_login_with_amazon is False
    local, config = start_local_cognito(config)
    server = serve_app(config, config.port)
    try:
        browser = Client(config.base_url)
        refused = browser.request(
            "GET", "/login?provider=LoginWithAmazon", headers={"Accept": "text/html"}, follow=True
        )
        assert refused.status == 400 and refused.url.startswith(config.hosted_ui_url + "/oauth2/authorize?")
        assert b"Login option is not available. Please try another one." in refused.body
        page = browser.request("GET", "/login", headers={"Accept": "text/html"}, follow=True)
        assert page.status == 200 and b"Login with Amazon" not in page.body
    finally:
        server.stop()
        local.stop()

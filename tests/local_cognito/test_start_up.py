"""Starting the local Cognito (``start_local_cognito`` in local_cognito/__init__.py): never with a
real pool configured, on the configured port, with the app's hosted-UI URLs of this start."""

from __future__ import annotations

import dataclasses

import pytest

from local_cognito import start_local_cognito
from server.config import load_config
from tests.support.data_folder import database_bytes
from tests.support.local_hosted_ui import Browser, error_page


def test_it_never_starts_with_a_real_configuration():
    real = load_config(
        {
            "COGNITO_REGION_NAME": "eu-west-1",
            "COGNITO_USER_POOL_ID": "p",
            "COGNITO_USER_CLIENT_ID": "c",
            "COGNITO_CLIENT_SECRET": "s",
            "COOKIE_SECRET": "k",
        }
    )
    with pytest.raises(RuntimeError):
        start_local_cognito(real)


def test_start_up_registers_the_apps_urls_from_the_configuration(tmp_path):
    for base_url in ("http://localhost:4000", "http://localhost:5000"):
        config = load_config(
            {"LOCAL_COGNITO_DATA": str(tmp_path), "LOCAL_COGNITO_PORT": "0", "BASE_URL": base_url + "/", "PORT": "4000"}
        )
        local, completed = start_local_cognito(config)
        try:
            assert completed.hosted_ui_url == local.endpoint_url and completed.hosted_ui
            assert not completed.hosted_ui_url.endswith("/")
            browser = Browser(local.endpoint_url)
            params = {
                "response_type": "code",
                "client_id": completed.client_id,
                "redirect_uri": f"{base_url}/callback",
                "scope": "openid email profile",
            }
            assert browser.get("/oauth2/authorize", params).location.startswith("/login?")
            stale = dict(params, redirect_uri="http://localhost:4000/callback")
            if base_url != "http://localhost:4000":  # the previous start's URL is gone
                error_page(browser.get("/oauth2/authorize", stale))
            out = browser.get("/logout", {"client_id": completed.client_id, "logout_uri": f"{base_url}/"})
            assert out.location == f"{base_url}/"
            assert base_url.encode() not in database_bytes(str(tmp_path))  # not saved with the pool
        finally:
            local.stop()


def test_start_up_listens_on_the_configured_port(tmp_path):
    config = load_config({"LOCAL_COGNITO_DATA": str(tmp_path), "LOCAL_COGNITO_PORT": "0"})
    local, completed = start_local_cognito(config)
    port = local.port
    local.stop()
    again, completed = start_local_cognito(dataclasses.replace(config, local_cognito_port=port))
    try:
        assert again.port == port and completed.hosted_ui_url == f"http://127.0.0.1:{port}"
    finally:
        again.stop()
    override, _ = start_local_cognito(dataclasses.replace(config, local_cognito_port=port), port=0)
    try:
        assert override.port != 0
    finally:
        override.stop()

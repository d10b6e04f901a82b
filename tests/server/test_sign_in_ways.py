"""LOCAL_COGNITO_FEATURE_PLAN and LOCAL_COGNITO_FIRST_AUTH_FACTORS: read once, bad values stop
start-up naming the setting, and the local Cognito started with them refuses what they leave out
(and has BASE_URL's host as its passkeys' relying party id)."""

from __future__ import annotations

import pytest

from local_cognito import start_local_cognito
from server.config import ConfigError, load_config
from tests.support import CODE, PASSWORD, Client, local_config, serve_app
from tests.support.processes import free_port


def test_the_defaults_allow_every_way():
    config = load_config({})
    assert (config.local_feature_plan, config.local_first_auth_factors) == (
        "ESSENTIALS",
        ("PASSWORD", "EMAIL_OTP", "WEB_AUTHN"),
    )


def test_values_are_read_in_any_case_and_order():
    config = load_config(
        {"LOCAL_COGNITO_FEATURE_PLAN": "plus", "LOCAL_COGNITO_FIRST_AUTH_FACTORS": "web_authn, password"}
    )
    assert (config.local_feature_plan, config.local_first_auth_factors) == ("PLUS", ("PASSWORD", "WEB_AUTHN"))


@pytest.mark.parametrize(
    "name, value, needle",
    [
        ("LOCAL_COGNITO_FEATURE_PLAN", "GOLD", "LOCAL_COGNITO_FEATURE_PLAN must be one of LITE, ESSENTIALS, PLUS"),
        ("LOCAL_COGNITO_FIRST_AUTH_FACTORS", "PASSWORD,SMS_OTP", "LOCAL_COGNITO_FIRST_AUTH_FACTORS lists 'SMS_OTP'"),
        ("LOCAL_COGNITO_FIRST_AUTH_FACTORS", "EMAIL_OTP", "LOCAL_COGNITO_FIRST_AUTH_FACTORS must include PASSWORD"),
    ],
)
def test_bad_values_stop_start_up_naming_the_setting(name, value, needle):
    with pytest.raises(ConfigError, match=needle):
        load_config({name: value})


@pytest.fixture(scope="module")
def lite_site(tmp_path_factory):
    port = free_port()
    local, config = start_local_cognito(
        load_config(
            local_config(
                str(tmp_path_factory.mktemp("lite")),
                PORT=str(port),
                BASE_URL=f"http://localhost:{port}",
                LOCAL_COGNITO_FEATURE_PLAN="LITE",
            )
        )
    )
    server = serve_app(config, port)
    yield config.base_url, local
    server.stop()
    local.stop()


def test_on_the_lite_plan_the_server_answers_sign_in_way_not_enabled(lite_site):
    base_url, local = lite_site
    assert local.pool.sign_in_ways.relying_party_id == "localhost"
    client = Client(base_url)
    email = "lite@example.com"
    assert client.call("createAccount", user=email, **{"pass": PASSWORD}).status == 200
    signed = client.call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD})
    assert signed.status == 200, signed.body
    for method in ("signInWithCode", "passkeySignInStart"):
        reply = client.call(method, user=email)
        assert (reply.status, reply.json["error"]) == (403, "SignInWayNotEnabled"), reply.body
    refused = client.call("passkeyRegisterStart", access_token=signed.json["access_token"])
    assert (refused.status, refused.json["error"]) == (403, "PasskeysNotEnabled")
    # The password still signs in, and the choices offered are the password alone.
    choices = client.call("signInWithCode", user=email, prefer=None)
    assert choices.json["available_challenges"] == ["PASSWORD"], choices.body

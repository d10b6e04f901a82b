"""signIn over SRP, over real HTTP, against a local Cognito whose app client refuses USER_PASSWORD_AUTH
(LOCAL_COGNITO_AUTH_FLOWS=USER_SRP_AUTH), as an app client made in Cognito's console does by default.

With SIGN_IN_FLOW=auto the server tries USER_PASSWORD_AUTH once, is refused, and signs in with SRP from
then on; the local Cognito's InitiateAuth calls are counted to show it.
"""

from __future__ import annotations

import threading
import time
import urllib.request

import pytest

from local_cognito import start_local_cognito
from server import srp
from server.config import load_config
from tests.support import CODE, PASSWORD, Client, local_config, serve_app
from tests.support.mfa import set_up_mfa

PASS = {"pass": PASSWORD}


@pytest.fixture(scope="module")
def srp_only(tmp_path_factory):
    """(base URL, the flows of every InitiateAuth the local Cognito was sent) for a server with
    SIGN_IN_FLOW=auto on an app client that allows SRP only."""
    env = local_config(
        str(tmp_path_factory.mktemp("srp-only")), LOCAL_COGNITO_AUTH_FLOWS="USER_SRP_AUTH", SIGN_IN_FLOW="auto"
    )
    local, config = start_local_cognito(load_config(env))
    flows: list[str] = []
    initiate = local.pool.operations["InitiateAuth"]

    def counted(params):
        flows.append(params.get("AuthFlow"))
        return initiate(params)

    local.pool.operations["InitiateAuth"] = counted
    server = serve_app(config, config.port)
    yield config.base_url, flows
    server.stop()
    local.stop()


def new_account(base_url: str) -> tuple[Client, str]:
    client, email = Client(base_url), f"srp-{time.monotonic_ns()}@example.com"
    assert client.call("createAccount", user=email, **PASS).status == 200
    return client, email


def test_auto_falls_back_to_srp_once_and_remembers(srp_only):
    base_url, flows = srp_only
    client, email = new_account(base_url)
    assert flows == []
    # confirmAccount signs in: refused USER_PASSWORD_AUTH, then SRP.
    reply = client.call("confirmAccount", user=email, conf_code=CODE, **PASS)
    assert reply.status == 200, reply.body
    assert flows == ["USER_PASSWORD_AUTH", "USER_SRP_AUTH"]
    for _ in range(2):
        reply = Client(base_url).call("signIn", user=email, **PASS)
        assert reply.status == 200 and reply.json["access_token"] and reply.json["token_type"] == "Bearer"
        assert any(cookie.startswith("__Host-refresh=") for cookie in reply.set_cookies())
    assert flows == ["USER_PASSWORD_AUTH", "USER_SRP_AUTH", "USER_SRP_AUTH", "USER_SRP_AUTH"]


def test_srp_sign_in_gives_tokens_that_work_and_a_refresh_cookie(srp_only):
    base_url, _ = srp_only
    client, email = new_account(base_url)
    assert client.call("confirmAccount", user=email, conf_code=CODE, **PASS).status == 200
    signed = Client(base_url)
    answer = signed.call("signIn", user=email.upper(), **PASS).json  # the email in any case
    assert signed.call("getUser", access_token=answer["access_token"]).json["attributes"]["email"] == email
    refreshed = signed.call("refresh")
    assert refreshed.status == 200 and refreshed.json["access_token"]


def test_a_wrong_password_is_refused_as_ever(srp_only):
    base_url, _ = srp_only
    client, email = new_account(base_url)
    assert client.call("confirmAccount", user=email, conf_code=CODE, **PASS).status == 200
    reply = Client(base_url).call("signIn", user=email, **{"pass": "not-the-password"})
    assert (reply.status, reply.json["error"], reply.json["message"]) == (
        401,
        "NotAuthorized",
        "Incorrect username or password.",
    )
    unknown = Client(base_url).call("signIn", user="nobody-" + email, **PASS)
    assert (unknown.status, unknown.json) == (reply.status, reply.json)


def test_mfa_after_srp_goes_on_to_the_client(srp_only):
    base_url, _ = srp_only
    client, email = new_account(base_url)
    token = client.call("confirmAccount", user=email, conf_code=CODE, **PASS).json["access_token"]
    secret, current, _ = set_up_mfa(client, email, token)
    other = Client(base_url)
    challenge = other.call("signIn", user=email, **PASS)
    assert challenge.status == 200 and challenge.json["challenge"] == "SOFTWARE_TOKEN_MFA"
    assert other.call("respondToChallenge", session=challenge.json["session"], totp=current).json["access_token"]


def test_srp_runs_off_the_ioloop(srp_only, monkeypatch):
    """The claim is computed on the SRP threads: while one is held up there, the server answers others."""
    base_url, _ = srp_only
    client, email = new_account(base_url)
    assert client.call("confirmAccount", user=email, conf_code=CODE, **PASS).status == 200
    threads, release = [], threading.Event()
    claim = srp.ClientSession.claim

    def slow_claim(self, *args):
        threads.append(threading.current_thread().name)
        release.wait(10)
        return claim(self, *args)

    monkeypatch.setattr(srp.ClientSession, "claim", slow_claim)
    answers = []
    signing_in = threading.Thread(target=lambda: answers.append(Client(base_url).call("signIn", user=email, **PASS)))
    signing_in.start()
    try:
        deadline = time.monotonic() + 10
        while not threads and time.monotonic() < deadline:
            time.sleep(0.01)
        assert threads and threads[0].startswith("srp")
        started = time.monotonic()
        with urllib.request.urlopen(base_url + "/healthz", timeout=5) as health:
            assert health.status == 200
        assert time.monotonic() - started < 2 and not answers  # answered while the sign-in waits
    finally:
        release.set()
        signing_in.join(10)
    assert answers[0].status == 200 and answers[0].json["access_token"]


@pytest.mark.parametrize("allowed, flow", [("ALLOW_USER_SRP_AUTH", "password"), ("USER_PASSWORD_AUTH", "srp")])
def test_a_flow_the_app_client_refuses_is_a_configuration_error(tmp_path, caplog, allowed, flow):
    env = local_config(str(tmp_path), LOCAL_COGNITO_AUTH_FLOWS=allowed, SIGN_IN_FLOW=flow)
    local, config = start_local_cognito(load_config(env))
    server = serve_app(config, config.port)
    try:
        client, email = new_account(config.base_url)
        reply = client.call("confirmAccount", user=email, conf_code=CODE, **PASS)
        assert (reply.status, reply.json["error"]) == (503, "CognitoMisconfigured")
        refused = "USER_SRP_AUTH" if flow == "srp" else "USER_PASSWORD_AUTH"
        assert f"refuses {refused}: allow ALLOW_{refused}" in caplog.text
    finally:
        server.stop()
        local.stop()

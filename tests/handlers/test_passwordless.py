"""Signing in with an emailed code and with a passkey, registering, listing and deleting passkeys,
and getAuthFactors: over real HTTP against the local Cognito, the passkeys made and used by a
software authenticator (tests.support.passkeys) and verified by py_webauthn in the local Cognito."""

from __future__ import annotations

import dataclasses
import json
import uuid

import pytest

from local_cognito import start_local_cognito
from server.config import load_config
from tests.support import CODE, PASSWORD, Client, local_config, serve_app
from tests.support.processes import free_port
from tests.support.passkeys import SoftAuthenticator


@pytest.fixture(scope="module")
def site_config(tmp_path_factory):
    """A server whose BASE_URL is http://localhost:PORT, so its pool's relying party id is "localhost":
    its configuration."""
    data = tmp_path_factory.mktemp("passwordless")
    port = free_port()
    local, config = start_local_cognito(
        load_config(local_config(str(data), PORT=str(port), BASE_URL=f"http://localhost:{port}"))
    )
    server = serve_app(config, port)
    yield config
    server.stop()
    local.stop()


@pytest.fixture(scope="module")
def site(site_config):
    return site_config.base_url


def new_account(base_url: str) -> tuple[Client, str, dict]:
    client, email = Client(base_url), f"pw-{uuid.uuid4().hex[:12]}@example.com"
    assert client.call("createAccount", user=email, **{"pass": PASSWORD}).status == 200
    reply = client.call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD})
    assert reply.status == 200, reply.body
    return client, email, reply.json


def register(client: Client, token: str, authenticator: SoftAuthenticator, origin: str, **kwargs) -> object:
    start = client.call("passkeyRegisterStart", access_token=token)
    assert start.status == 200, start.body
    options = start.json["credential_creation_options"]
    made = authenticator.create(options, origin, **kwargs)
    return client.call("passkeyRegisterFinish", access_token=token, credential=json.dumps(made))


def test_an_emailed_code_signs_in_with_the_refresh_cookie(site):
    _, email, _ = new_account(site)
    client = Client(site)
    started = client.call("signInWithCode", user=email)
    assert started.status == 200, started.body
    assert started.json["challenge"] == "EMAIL_OTP" and started.json["delivery"]["medium"] == "EMAIL"
    assert started.json["delivery"]["destination"].endswith("@e***")
    assert started.set_cookies() == []
    wrong = client.call("respondToChallenge", session=started.json["session"], totp="000000")
    assert (wrong.status, wrong.json["error"]) == (400, "CodeMismatch")
    done = client.call("respondToChallenge", session=started.json["session"], totp=CODE)
    assert done.status == 200, done.body
    assert done.json["access_token"] and any(c.startswith("__Host-refresh=") for c in done.set_cookies())
    assert client.call("refresh").status == 200  # the cookie works as signIn's does
    again = client.call("respondToChallenge", session=started.json["session"], totp=CODE)
    assert (again.status, again.json["error"]) == (401, "ChallengeExpired")


def test_without_a_preference_the_choices_reach_the_client(site):
    _, email, _ = new_account(site)
    client = Client(site)
    started = client.call("signInWithCode", user=email, prefer=None)
    assert started.status == 200, started.body
    assert started.json["challenge"] == "SELECT_CHALLENGE"
    assert started.json["available_challenges"] == ["PASSWORD", "EMAIL_OTP", "WEB_AUTHN"]
    chosen = client.call("respondToChallenge", session=started.json["session"], answer="EMAIL_OTP")
    assert chosen.status == 200 and chosen.json["challenge"] == "EMAIL_OTP", chosen.body
    assert client.call("respondToChallenge", session=chosen.json["session"], totp=CODE).json["access_token"]
    # The password, chosen in the same way.
    started = client.call("signInWithCode", user=email, prefer=None)
    chosen = client.call("respondToChallenge", session=started.json["session"], answer="PASSWORD", **{"pass": PASSWORD})
    assert chosen.status == 200 and chosen.json["access_token"], chosen.body
    started = client.call("signInWithCode", user=email, prefer=None)
    bad = client.call("respondToChallenge", session=started.json["session"], answer="SMS_OTP")
    assert (bad.status, bad.json["error"], bad.json["field"]) == (400, "InvalidField", "answer")


def test_an_unknown_email_gets_the_same_code_step(site):
    client = Client(site)
    started = client.call("signInWithCode", user=f"nobody-{uuid.uuid4().hex[:8]}@example.com")
    assert started.status == 200 and started.json["challenge"] == "EMAIL_OTP", started.body
    refused = client.call("respondToChallenge", session=started.json["session"], totp=CODE)
    assert (refused.status, refused.json["error"]) == (400, "CodeMismatch")


def test_a_passkey_registers_signs_in_lists_and_deletes(site):
    client, email, answer = new_account(site)
    token = answer["access_token"]
    authenticator = SoftAuthenticator()
    assert client.call("getAuthFactors", access_token=token).json["factors"] == ["PASSWORD", "EMAIL_OTP"]
    finished = register(client, token, authenticator, site)
    assert (finished.status, finished.json.get("registered")) == (200, True), finished.body
    listed = client.call("passkeyList", access_token=token).json["passkeys"]
    assert [p["relying_party"] for p in listed] == ["localhost"] and listed[0]["transports"] == ["internal"]
    factors = client.call("getAuthFactors", access_token=token).json
    assert factors == {
        "factors": ["PASSWORD", "EMAIL_OTP", "WEB_AUTHN"],
        "mfa_methods": [],
        "preferred_mfa": None,
        "message": "OK",
    }

    other = Client(site)
    started = other.call("passkeySignInStart", user=email)
    assert started.status == 200 and started.json["challenge"] == "WEB_AUTHN", started.body
    options = started.json["credential_request_options"]
    assert options["rpId"] == "localhost" and [c["id"] for c in options["allowCredentials"]] == [listed[0]["id"]]
    signed = other.call(
        "passkeySignInFinish", session=started.json["session"], credential=json.dumps(authenticator.get(options, site))
    )
    assert signed.status == 200 and signed.json["access_token"], signed.body
    assert any(c.startswith("__Host-refresh=") for c in signed.set_cookies())

    deleted = client.call("passkeyDelete", access_token=token, id=listed[0]["id"])
    assert deleted.status == 200, deleted.body
    assert client.call("passkeyList", access_token=token).json["passkeys"] == []
    again = client.call("passkeyDelete", access_token=token, id=listed[0]["id"])
    assert (again.status, again.json["error"]) == (404, "PasskeyNotFound")
    started = other.call("passkeySignInStart", user=email)
    refused = other.call(
        "passkeySignInFinish",
        session=started.json["session"],
        credential=json.dumps(authenticator.get(started.json["credential_request_options"], site)),
    )
    assert (refused.status, refused.json["error"]) == (401, "PasskeyRefused")


def test_a_passkey_for_another_site_or_origin_is_refused(site):
    client, _, answer = new_account(site)
    token = answer["access_token"]
    wrong_rp = register(client, token, SoftAuthenticator(), site, rp_id="example.org")
    assert (wrong_rp.status, wrong_rp.json["error"]) == (400, "PasskeyWrongSite")
    wrong_origin = register(client, token, SoftAuthenticator(), "https://evil.example")
    assert (wrong_origin.status, wrong_origin.json["error"]) == (400, "PasskeyWrongSite")
    not_started = client.call(
        "passkeyRegisterFinish",
        access_token=token,
        credential=json.dumps(
            SoftAuthenticator().create({"rp": {"id": "localhost"}, "user": {"id": "eA"}, "challenge": "AAAA"}, site)
        ),
    )
    assert (not_started.status, not_started.json["error"]) == (400, "PasskeyRegistrationExpired")
    garbled = client.call("passkeyRegisterFinish", access_token=token, credential="{not json")
    assert (garbled.status, garbled.json["error"], garbled.json["field"]) == (400, "InvalidCredential", "credential")


def test_a_passkey_of_another_account_does_not_sign_in(site):
    client, _, answer = new_account(site)
    mine = SoftAuthenticator()
    assert register(client, answer["access_token"], mine, site).status == 200
    _, other_email, _ = new_account(site)
    started = Client(site).call("passkeySignInStart", user=other_email)
    options = started.json["credential_request_options"]
    assert options["allowCredentials"] == []  # the other account has none
    refused = Client(site).call(
        "passkeySignInFinish", session=started.json["session"], credential=json.dumps(mine.get(options, site))
    )
    assert (refused.status, refused.json["error"]) == (401, "PasskeyRefused")


def test_a_site_on_an_ip_address_has_no_passkeys(client, signed_in):
    """The session's server is at http://127.0.0.1:PORT: an IP address cannot be a relying party id."""
    client, _, answer = signed_in
    reply = client.call("passkeyRegisterStart", access_token=answer["access_token"])
    assert (reply.status, reply.json["error"]) == (403, "PasskeysNotEnabled")


def test_a_pool_whose_relying_party_is_not_this_sites_host_is_told(site, site_config, caplog):
    """The same pool (relying party "localhost") behind a server whose BASE_URL names another host:
    browsers would refuse every ceremony there, so the server answers PasskeysNotEnabled at the start
    and its log says what to set."""
    _, email, _ = new_account(site)
    server = serve_app(dataclasses.replace(site_config, base_url="https://photos.example.net"))
    try:
        client = Client(server.url)
        started = client.call("passkeySignInStart", user=email)
        assert (started.status, started.json["error"]) == (403, "PasskeysNotEnabled"), started.body
        token = client.call("signIn", user=email, **{"pass": PASSWORD}).json["access_token"]
        registering = client.call("passkeyRegisterStart", access_token=token)
        assert (registering.status, registering.json["error"]) == (403, "PasskeysNotEnabled")
        assert "set the pool's WebAuthnRelyingPartyID to 'photos.example.net'" in caplog.text
    finally:
        server.stop()


def test_a_passkey_chosen_among_the_ways_signs_in_and_fields_go_to_their_own_steps(site):
    client, email, answer = new_account(site)
    authenticator = SoftAuthenticator()
    assert register(client, answer["access_token"], authenticator, site).status == 200
    other = Client(site)
    started = other.call("signInWithCode", user=email, prefer=None)
    # A code step's field to the choice, and the choice's field to nothing: told, not sent on.
    wrong = other.call("respondToChallenge", session=started.json["session"], totp="123456")
    assert (wrong.status, wrong.json["error"], wrong.json["field"]) == (400, "InvalidField", "totp")
    chosen = other.call("respondToChallenge", session=started.json["session"], answer="WEB_AUTHN")
    assert chosen.status == 200 and chosen.json["challenge"] == "WEB_AUTHN", chosen.body
    options = chosen.json["credential_request_options"]
    missing = other.call("respondToChallenge", session=chosen.json["session"])
    assert (missing.status, missing.json["error"], missing.json["field"]) == (400, "MissingField", "credential")
    done = other.call(
        "respondToChallenge", session=chosen.json["session"], credential=json.dumps(authenticator.get(options, site))
    )
    assert done.status == 200 and done.json["access_token"], done.body
    code_step = other.call("signInWithCode", user=email)
    misplaced = other.call("respondToChallenge", session=code_step.json["session"], credential="{}")
    assert (misplaced.status, misplaced.json["error"], misplaced.json["field"]) == (400, "InvalidField", "credential")
    not_passkey = other.call("passkeySignInFinish", session=code_step.json["session"], credential="{}")
    assert (not_passkey.status, not_passkey.json["error"]) == (400, "InvalidField")

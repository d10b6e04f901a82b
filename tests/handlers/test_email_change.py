"""A verified change of email over real HTTP, against the local Cognito (which holds the new email
until its code is given, as a pool with AttributesRequireVerificationBeforeUpdate does): updateUser
answers where the code went, the old email signs in until verifyAttribute, resendAttributeCode sends
the code again; and a server whose pool changes emails at once, or not at all.
"""

from __future__ import annotations

import uuid

import jwt
import pytest

from local_cognito import start_local_cognito
from server.config import load_config
from tests.support import CODE, PASSWORD, Client, local_config, serve_app

PASS = {"pass": PASSWORD}


def new_address() -> str:
    return f"moved-{uuid.uuid4().hex[:12]}@example.com"


def signed_up(base_url: str) -> tuple[Client, str, str]:
    client, email = Client(base_url), new_address()
    assert client.call("createAccount", user=email, **PASS).status == 200
    reply = client.call("confirmAccount", user=email, conf_code=CODE, **PASS)
    assert reply.status == 200, reply.body
    return client, email, reply.json["access_token"]


def email_of(client: Client, token: str) -> tuple[str, str]:
    attributes = client.call("getUser", access_token=token).json["attributes"]
    return attributes["email"], attributes["email_verified"]


def test_the_new_email_takes_over_once_its_code_is_given(base_url):
    client, old, token = signed_up(base_url)
    new = new_address()
    reply = client.call("updateUser", access_token=token, email=new)
    assert reply.status == 200, reply.body
    assert reply.json["code_deliveries"] == [
        {"destination": f"{new[0]}***@e***", "medium": "EMAIL", "attribute": "email"}
    ]
    assert new not in reply.body.decode()  # masked, as Cognito masks it
    # Until the code comes back, the old address is the account's and signs in.
    assert email_of(client, token) == (old, "true")
    assert Client(base_url).call("signIn", user=old, **PASS).status == 200
    assert Client(base_url).call("signIn", user=new, **PASS).json["error"] == "NotAuthorized"

    reply = client.call("resendAttributeCode", access_token=token)
    assert (reply.status, reply.json["delivery"]) == (
        200,
        {"destination": f"{new[0]}***@e***", "medium": "EMAIL", "attribute": "email"},
    )
    reply = client.call("verifyAttribute", access_token=token, code="000000")
    assert (reply.status, reply.json["error"]) == (400, "CodeMismatch")
    reply = client.call("verifyAttribute", access_token=token, attribute="email", code=f" {CODE} ")
    assert (reply.status, reply.json) == (200, {"message": "OK", "verified": "email"})
    assert email_of(client, token) == (new, "true")
    signed_in = Client(base_url).call("signIn", user=new, **PASS)
    assert signed_in.status == 200
    assert jwt.decode(signed_in.json["id_token"], options={"verify_signature": False})["email"] == new
    assert Client(base_url).call("signIn", user=old, **PASS).json["error"] == "NotAuthorized"


def test_an_email_in_use_and_bad_values_are_refused(base_url, signed_in):
    client, _, answer = signed_in
    _, other, _ = signed_up(base_url)
    token = answer["access_token"]
    reply = client.call("updateUser", access_token=token, email=other.upper())
    assert (reply.status, reply.json["error"]) == (409, "AliasExists")
    reply = client.call("updateUser", access_token=token, email="not an email")
    assert (reply.status, reply.json["error"], reply.json["field"]) == (400, "InvalidField", "email")
    reply = client.call("verifyAttribute", access_token=token, attribute="nickname", code=CODE)
    assert (reply.status, reply.json["error"], reply.json["field"]) == (400, "InvalidField", "attribute")
    reply = client.call("verifyAttribute", access_token=token + "x", code=CODE)
    assert (reply.status, reply.json["error"]) == (401, "NotAuthorized")
    reply = client.call("updateUser", access_token=token, email_verified="true")
    assert (reply.status, reply.json["error"]) == (400, "UnknownField")


def test_a_phone_number_is_verified_with_its_texted_code(signed_in):
    client, _, answer = signed_in
    token = answer["access_token"]
    reply = client.call("updateUser", access_token=token, phone_number="+15550100123")
    assert reply.json["code_deliveries"] == [
        {"destination": "+*******0123", "medium": "SMS", "attribute": "phone_number"}
    ]
    assert client.call("getUser", access_token=token).json["attributes"]["phone_number_verified"] == "false"
    reply = client.call("verifyAttribute", access_token=token, attribute="phone_number", code=CODE)
    assert reply.status == 200, reply.body
    assert client.call("getUser", access_token=token).json["attributes"]["phone_number_verified"] == "true"


@pytest.fixture(scope="module")
def other_pools(tmp_path_factory):
    """Two servers on local Cognitos of their own: one whose pool changes emails at once, one whose
    app client may not write the email (and which offers only the authenticator app)."""
    servers, locals_ = {}, []
    for name, env in (
        ("immediate", {"LOCAL_COGNITO_EMAIL_UPDATES": "immediate"}),
        ("off", {"LOCAL_COGNITO_EMAIL_UPDATES": "off", "LOCAL_COGNITO_MFA_METHODS": "totp"}),
    ):
        local, config = start_local_cognito(load_config(local_config(str(tmp_path_factory.mktemp(name)), **env)))
        locals_.append(local)
        servers[name] = (serve_app(config, config.port), config.base_url)
    yield {name: url for name, (_, url) in servers.items()}
    for server, _ in servers.values():
        server.stop()
    for local in locals_:
        local.stop()


def test_a_pool_without_verification_first_changes_the_email_at_once(other_pools):
    client, _, token = signed_up(other_pools["immediate"])
    new = new_address()
    assert client.call("updateUser", access_token=token, email=new).json["code_deliveries"][0]["medium"] == "EMAIL"
    assert email_of(client, token) == (new, "false")
    assert Client(other_pools["immediate"]).call("signIn", user=new, **PASS).status == 200
    # Unverified, it gets no sign-in codes yet.
    reply = client.call("setMfa", access_token=token, enabled=True, method="email")
    assert (reply.status, reply.json["error"]) == (400, "EmailNotVerified")
    assert client.call("verifyAttribute", access_token=token, code=CODE).status == 200
    assert client.call("setMfa", access_token=token, enabled=True, method="email").status == 200
    assert email_of(client, token) == (new, "true")


def test_a_pool_that_does_not_let_users_change_their_email(other_pools):
    client, old, token = signed_up(other_pools["off"])
    reply = client.call("updateUser", access_token=token, email=new_address())
    assert (reply.status, reply.json["error"], reply.json["field"]) == (403, "AttributeNotWritable", "email")
    reply = client.call("updateUser", access_token="not-a-token", email=new_address())
    assert (reply.status, reply.json["error"]) == (401, "NotAuthorized")  # a bad token is still told as one
    assert email_of(client, token) == (old, "true")
    # This pool sends no text messages, so it offers no SMS codes; nor email codes.
    assert client.call("updateUser", access_token=token, phone_number="+15550100123").json["code_deliveries"] == []
    reply = client.call("resendAttributeCode", access_token=token, attribute="phone_number")
    assert (reply.status, reply.json["error"]) == (400, "InvalidParameter")
    reply = client.call("setMfa", access_token=token, enabled=True, method="email")
    assert (reply.status, reply.json["error"], reply.json["field"]) == (400, "MfaMethodUnavailable", "method")


@pytest.mark.parametrize("value", ["", " ", "\u0000", "a" * 5000 + "@example.com", "x@y", "a@b.c\u0000d", "\ud800@x.y"])
def test_bad_emails_are_refused_before_cognito(signed_in, value):
    """A 400 naming the field (or, for text that is not Unicode, the body), never a 5xx."""
    client, _, answer = signed_in
    reply = client.call("updateUser", access_token=answer["access_token"], email=value)
    assert reply.status == 400, reply.body
    assert reply.json.get("field") == "email" or reply.json["error"] == "InvalidJson", reply.body

"""Every method over real HTTP against the local Cognito."""

from __future__ import annotations

import jwt

from tests.support import CODE, PASSWORD, Client

PASS = {"pass": PASSWORD}


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_create_account_with_a_nickname_then_get_and_update_it(client, email):
    reply = client.call("createAccount", user=email, nickname="Sam", **PASS)
    assert reply.status == 200
    assert reply.json["user_confirmed"] is False
    assert reply.json["delivery"]["medium"] == "EMAIL" and "***" in reply.json["delivery"]["destination"]
    token = client.call("confirmAccount", user=email, conf_code=CODE, **PASS).json["access_token"]

    user = client.call("getUser", access_token=token).json
    assert user["attributes"]["nickname"] == "Sam"
    assert user["attributes"]["email"] == email and user["attributes"]["email_verified"] == "true"
    assert user["username"] == claims(token)["username"]  # the sub, not the email

    assert client.call("updateUser", access_token=token, nickname="Samantha", locale="en-GB").status == 200
    assert client.call("getUser", access_token=token).json["attributes"]["nickname"] == "Samantha"


def test_update_user_refuses_unknown_attributes(signed_in):
    client, _, answer = signed_in
    token = answer["access_token"]
    reply = client.call("updateUser", access_token=token, favourite_colour="blue")
    assert (reply.status, reply.json["error"]) == (400, "UnknownField")
    reply = client.call("updateUser", access_token=token)
    assert (reply.status, reply.json["error"]) == (400, "MissingField")


def test_sign_in_answers_tokens_and_sets_the_refresh_cookie(signed_in, base_url):
    client, email, _ = signed_in
    reply = client.call("signIn", user=email, **PASS)
    assert reply.status == 200
    assert set(reply.json) == {"message", "access_token", "id_token", "expires_in", "token_type"}
    assert claims(reply.json["id_token"])["email"] == email
    assert claims(reply.json["access_token"])["token_use"] == "access"
    [cookie] = reply.set_cookies()
    assert cookie.startswith("__Host-refresh=")
    for attribute in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/", "Max-Age=2592000"):
        assert attribute in cookie.split("; ")


def test_the_email_is_not_case_sensitive(signed_in):
    client, email, _ = signed_in
    assert client.call("signIn", user=email.upper(), **PASS).status == 200


def test_refresh_gives_new_tokens_from_the_cookie_alone(signed_in):
    client, _, answer = signed_in
    reply = client.call("refresh")
    assert reply.status == 200
    assert reply.json["access_token"] != answer["access_token"]
    assert claims(reply.json["access_token"])["sub"] == claims(answer["access_token"])["sub"]
    assert client.call("getUser", access_token=reply.json["access_token"]).status == 200


def test_refresh_without_cookie_or_with_a_tampered_one_is_401(signed_in, base_url):
    client, _, _ = signed_in
    reply = Client(base_url).call("refresh")
    assert (reply.status, reply.json["error"]) == (401, "NoSession")
    client.cookies["__Host-refresh"] = client.cookies["__Host-refresh"][:-4] + "AAAA"
    reply = client.call("refresh")
    assert (reply.status, reply.json["error"]) == (401, "SessionExpired")
    assert "__Host-refresh" not in client.cookies  # the bad cookie was cleared


def test_sign_out_revokes_the_refresh_token_and_its_access_tokens(signed_in):
    client, _, answer = signed_in
    kept = dict(client.cookies)
    reply = client.call("signOut")
    assert reply.status == 200 and "__Host-refresh" not in client.cookies
    client.cookies = kept
    reply = client.call("refresh")
    assert (reply.status, reply.json["error"]) == (401, "SessionExpired")
    assert "__Host-refresh" not in client.cookies  # the dead cookie is cleared
    reply = client.call("getUser", access_token=answer["access_token"])
    assert (reply.status, reply.json["error"]) == (401, "NotAuthorized")


def test_sign_out_without_a_session_is_harmless(client):
    assert client.call("signOut").status == 200
    assert client.call("signOut", **{"global": True}).status == 200


def test_global_sign_out_ends_every_session(signed_in, base_url):
    client, email, _ = signed_in
    laptop = Client(base_url)
    laptop_token = laptop.call("signIn", user=email, **PASS).json["access_token"]
    assert client.call("signOut", **{"global": True}).status == 200
    assert laptop.call("refresh").status == 401
    assert laptop.call("getUser", access_token=laptop_token).status == 401


def test_global_sign_out_with_an_access_token_only(signed_in, base_url):
    client, email, answer = signed_in
    phone = Client(base_url)
    reply = phone.call("signOut", access_token=answer["access_token"], **{"global": True})
    assert reply.status == 200
    assert client.call("refresh").status == 401


def test_change_password(signed_in):
    client, email, answer = signed_in
    token = answer["access_token"]
    reply = client.call("changePass", old_pass="wrong-password", new_pass="newpassword1", access_token=token)
    assert (reply.status, reply.json["error"]) == (401, "NotAuthorized")
    reply = client.call("changePass", old_pass=PASSWORD, new_pass="short", access_token=token)
    assert (reply.status, reply.json["error"]) == (400, "InvalidPassword")
    assert client.call("changePass", old_pass=PASSWORD, new_pass="newpassword1", access_token=token).status == 200
    assert client.call("signIn", user=email, **PASS).status == 401
    assert client.call("signIn", user=email, **{"pass": "newpassword1"}).status == 200


def test_forgot_password_flow(signed_in):
    client, email, _ = signed_in
    reply = client.call("forgotPassword", user=email)
    assert reply.status == 200 and reply.json["delivery"]["medium"] == "EMAIL"
    reply = client.call("confirmForgotPassword", user=email, conf_code="000000", new_pass="brand-new-pass")
    assert (reply.status, reply.json["error"]) == (400, "CodeMismatch")
    reply = client.call("confirmForgotPassword", user=email, conf_code=" 123 456 ", new_pass="brand-new-pass")
    assert reply.status == 200
    assert client.call("signIn", user=email, **{"pass": "brand-new-pass"}).status == 200


def test_forgot_password_for_an_unknown_user_looks_the_same(client, email):
    reply = client.call("forgotPassword", user=email)
    assert reply.status == 200 and reply.json["delivery"]["medium"] == "EMAIL"


def test_resend_code_then_confirm(client, email):
    assert client.call("createAccount", user=email, **PASS).status == 200
    first = client.call("resendCode", user=email)
    assert first.status == 200 and first.json["delivery"]["destination"].startswith(email[0])
    assert client.call("confirmAccount", user=email, conf_code=CODE, **PASS).status == 200
    # A confirmed account is answered as every email is (docs/security.md), though no code is sent.
    reply = client.call("resendCode", user=email)
    assert (reply.status, reply.json) == (200, first.json)


def test_delete_account(signed_in):
    client, email, answer = signed_in
    reply = client.call("deleteAcct", access_token=answer["access_token"])
    assert reply.status == 200 and "__Host-refresh" not in client.cookies
    assert client.call("signIn", user=email, **PASS).status == 401
    assert client.call("getUser", access_token=answer["access_token"]).status == 401


def test_json_rpc_runs_the_same_methods(signed_in, base_url):
    client, email, _ = signed_in
    rpc = {"jsonrpc": "2.0", "method": "signIn", "params": {"user": email, "pass": PASSWORD}, "id": 7}
    reply = client.post(rpc)
    assert reply.status == 200 and reply.json["id"] == 7
    assert reply.json["result"]["message"] == "OK" and reply.json["result"]["access_token"]
    assert client.cookies["__Host-refresh"]
    reply = client.post({"jsonrpc": "2.0", "method": "refresh", "id": "r"})
    assert reply.json["result"]["access_token"]
    # by-position params follow the declared order
    reply = client.post({"jsonrpc": "2.0", "method": "signIn", "params": [email, "wrong-pass"], "id": 8})
    assert reply.json["error"]["code"] == -32000
    assert reply.json["error"]["data"]["error"] == "NotAuthorized"

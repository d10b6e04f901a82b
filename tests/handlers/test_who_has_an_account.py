"""Known and unknown emails answer alike, over real HTTP in local mode: resendCode and
forgotPassword answer the same delivery, confirmAccount and confirmForgotPassword the same refusal,
for an email with no account, an unconfirmed account, a confirmed one, an invited, a disabled and an
unverified one, and for a code that is wrong, expired or locked after too many tries. The tutorial's
flow still works. (How long they take: test_answer_time.py.)"""

from __future__ import annotations

import uuid

import pytest

from tests.support import CODE, PASSWORD, Client

PASS = {"pass": PASSWORD}
NEW_PASSWORD = "A_new_password_1"
# Every email here starts with "w" at a domain starting with "e": a delivery is masked as "w***@e***".
DELIVERY = {"message": "OK", "delivery": {"destination": "w***@e***", "medium": "EMAIL"}}


def new_email(tag: str) -> str:
    return f"who-{tag}-{uuid.uuid4().hex[:10]}@example.com"


@pytest.fixture
def people(base_url, admin):
    """An email in every state an account can be in, by name."""
    client = Client(base_url)
    admin_client, token = admin
    emails = {name: new_email(name) for name in ("nobody", "waiting", "confirmed", "invited", "disabled", "unverified")}
    for name in ("waiting", "confirmed", "disabled", "unverified"):
        assert client.call("createAccount", user=emails[name], **PASS).status == 200
    for name in ("confirmed", "disabled"):
        assert client.call("confirmAccount", user=emails[name], conf_code=CODE, **PASS).status == 200
    # Confirmed by an admin: the email was never verified, so Cognito can send it no reset code.
    assert admin_client.call("adminConfirmSignUp", access_token=token, user=emails["unverified"]).status == 200
    assert (
        admin_client.call("adminCreateUser", access_token=token, user=emails["invited"], suppress_email=True).status
        == 200
    )
    assert admin_client.call("adminDisableUser", access_token=token, user=emails["disabled"]).status == 200
    return emails


def answers(base_url: str, method: str, emails, **fields) -> dict:
    """(status, body) of ``method`` for each email, each from a browser of its own."""
    return {
        name: (lambda reply: (reply.status, reply.json))(Client(base_url).call(method, user=email, **fields))
        for name, email in emails.items()
    }


@pytest.mark.parametrize("method", ["resendCode", "forgotPassword"])
def test_a_code_request_answers_the_same_delivery_for_every_email(base_url, people, method):
    replies = answers(base_url, method, people)
    assert replies == dict.fromkeys(people, (200, DELIVERY)), replies


def test_a_reset_code_still_reaches_a_confirmed_account(base_url, people):
    client = Client(base_url)
    assert (client.call("forgotPassword", user=people["confirmed"]).json) == DELIVERY
    assert (
        client.call("confirmForgotPassword", user=people["confirmed"], conf_code=CODE, new_pass=NEW_PASSWORD).status
        == 200
    )
    assert client.call("signIn", user=people["confirmed"], **{"pass": NEW_PASSWORD}).status == 200


def test_confirm_account_refuses_alike_whatever_the_account(base_url, people, local_pool):
    """A confirmed account (even with the right code), an unknown email, a wrong code, an expired
    one, and the right one after five wrong tries: one and the same 400."""
    pool = local_pool[0].pool
    locked, expired = new_email("locked"), new_email("expired")
    client = Client(base_url)
    for email in (locked, expired):
        assert client.call("createAccount", user=email, **PASS).status == 200
    for _ in range(5):
        assert client.call("confirmAccount", user=locked, conf_code="000000", **PASS).status == 400
    pool.codes[f"signup:{pool.find_user(expired).id}"]["expires"] = 0  # as it would be a day later
    with_the_code = {name: email for name, email in people.items() if name != "waiting"}
    replies = answers(
        base_url, "confirmAccount", {**with_the_code, "locked": locked, "expired": expired}, conf_code=CODE, **PASS
    )
    replies["waiting"] = answers(
        base_url, "confirmAccount", {"waiting": people["waiting"]}, conf_code="000000", **PASS
    )["waiting"]
    status, body = replies["nobody"]
    assert (status, body["error"]) == (400, "CodeMismatch") and "expired" in body["message"]
    assert replies == dict.fromkeys(replies, replies["nobody"]), replies
    # The account waiting still confirms with its code: tokens, as the tutorial's flow expects.
    reply = client.call("confirmAccount", user=people["waiting"], conf_code=CODE, **PASS)
    assert reply.status == 200 and reply.json["access_token"]


def test_confirm_forgot_password_refuses_alike_whatever_the_account(base_url, people, local_pool):
    pool = local_pool[0].pool
    client = Client(base_url)
    reset, locked, expired = new_email("reset"), new_email("locked"), new_email("expired")
    for email in (reset, locked, expired):
        assert client.call("createAccount", user=email, **PASS).status == 200
        assert client.call("confirmAccount", user=email, conf_code=CODE, **PASS).status == 200
        assert client.call("forgotPassword", user=email).json == DELIVERY
    for _ in range(5):
        assert (
            client.call("confirmForgotPassword", user=locked, conf_code="000000", new_pass=NEW_PASSWORD).status == 400
        )
    pool.codes[f"reset:{pool.find_user(expired).id}"]["expires"] = 0  # as it would be an hour later
    emails = {**people, "locked": locked, "expired": expired}
    replies = answers(base_url, "confirmForgotPassword", emails, conf_code=CODE, new_pass=NEW_PASSWORD)
    replies["reset"] = answers(
        base_url, "confirmForgotPassword", {"reset": reset}, conf_code="000000", new_pass=NEW_PASSWORD
    )["reset"]
    assert replies["nobody"][0] == 400 and replies["nobody"][1]["error"] == "CodeMismatch"
    assert replies == dict.fromkeys(replies, replies["nobody"]), replies
    # A new password the pool refuses is said so, for every email alike.
    short = answers(
        base_url,
        "confirmForgotPassword",
        {"nobody": people["nobody"], "reset": reset},
        conf_code=CODE,
        new_pass="short",
    )
    assert short["nobody"] == short["reset"] and short["reset"][1]["error"] == "InvalidPassword"
    assert client.call("confirmForgotPassword", user=reset, conf_code=CODE, new_pass=NEW_PASSWORD).status == 200


def test_a_sign_up_still_says_the_email_has_an_account(base_url, people):
    """createAccount's 409 is the tutorial's: the one answer that tells, limited per address (docs/security.md)."""
    reply = Client(base_url).call("createAccount", user=people["confirmed"], **PASS)
    assert (reply.status, reply.json["error"]) == (409, "UsernameExists")

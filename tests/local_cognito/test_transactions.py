"""All or nothing (local_cognito/transaction.py, pool_handler.py): while the data folder cannot be
written, every operation that changes the pool answers 503 LocalStorageUnavailableException, as
botocore reads it, and leaves the pool's memory exactly as it was (users, groups, codes, refresh
tokens, TOTP secrets, challenges, the hosted UI's codes and sessions), with no email "sent"; once the
folder can be written again, the same request succeeds. The hosted UI's pages and token endpoint
answer 503 too, without the cookies of the change they would have made. (How the folder is made
unwritable, for root too: tests/support/data_folder.py.)"""

from __future__ import annotations

import json
import logging
from typing import Callable

import botocore.exceptions
import pytest

from local_cognito.state import state_of
from local_cognito.totp import STEP_SECONDS
from local_cognito.transaction import MEMORY_ONLY
from tests.support import CODE, PASSWORD
from tests.support.data_folder import unwritable
from tests.support.local_hosted_ui import (
    Browser,
    authorization,
    code_from,
    exchange,
    server_call,
    sign_in_page,
    submit_password,
)
from tests.support.local_pool import code_at, new_email, password_auth, respond_mfa, signed_in, signed_up, with_mfa

UNAVAILABLE = "LocalStorageUnavailableException"


def memory(pool) -> str:
    """Everything the pool holds, as text: what its state file would hold, and what it keeps in
    memory only."""
    held = {"state": state_of(pool)}
    for name in MEMORY_ONLY:
        held[name] = {key: repr(record) for key, record in getattr(pool, name).items()}
    return json.dumps(held, sort_keys=True, default=str)


def refused_for_storage(call: Callable[[], object]) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call()
    response = caught.value.response
    assert response["Error"]["Code"] == UNAVAILABLE, response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert "cannot save to its data folder" in response["Error"]["Message"]


# Each case prepares what its operation needs, and answers the call to make (with the folder
# unwritable, then again once it is back).
def sign_up(idp, admin, pool, clock):
    email = new_email()
    return lambda: idp.sign_up(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, Password=PASSWORD)


def confirm_sign_up(idp, admin, pool, clock):
    email = new_email()
    signed_up(idp, email, confirm=False)
    return lambda: idp.confirm_sign_up(
        ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, ConfirmationCode=CODE
    )


def resend_code(idp, admin, pool, clock):
    email = new_email()
    signed_up(idp, email, confirm=False)

    def resend():
        clock.advance(1)  # so the new code (pinned, the same) expires a second later than the last
        return idp.resend_confirmation_code(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email)

    return resend


def password_sign_in(idp, admin, pool, clock):
    email = signed_in(idp)["email"]
    return lambda: password_auth(idp, email)


def mfa_challenge(idp, admin, pool, clock):
    user, _ = with_mfa(idp, clock)
    return lambda: password_auth(idp, user["email"])


def mfa_answer(idp, admin, pool, clock):
    user, secret = with_mfa(idp, clock)
    session = password_auth(idp, user["email"])["Session"]
    code = code_at(secret, clock())
    # The code's time step is spent only if the answer is stored: the same code works afterwards.
    return lambda: respond_mfa(idp, user, session, code)


def change_password(idp, admin, pool, clock):
    user = signed_in(idp)
    return lambda: idp.change_password(
        AccessToken=user["AccessToken"], PreviousPassword=PASSWORD, ProposedPassword="another password"
    )


def forgot_password(idp, admin, pool, clock):
    email = signed_in(idp)["email"]
    return lambda: idp.forgot_password(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email)


def confirm_forgot_password(idp, admin, pool, clock):
    email = signed_in(idp)["email"]
    idp.forgot_password(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email)
    return lambda: idp.confirm_forgot_password(
        ClientId=idp.client_id,
        SecretHash=idp.hash(email),
        Username=email,
        ConfirmationCode=CODE,
        Password="a new password",
    )


def update_attributes(idp, admin, pool, clock):
    user = signed_in(idp)
    return lambda: idp.update_user_attributes(
        AccessToken=user["AccessToken"], UserAttributes=[{"Name": "nickname", "Value": "Changed"}]
    )


def delete_user(idp, admin, pool, clock):
    user = signed_in(idp)
    return lambda: idp.delete_user(AccessToken=user["AccessToken"])


def associate_token(idp, admin, pool, clock):
    user = signed_in(idp)
    return lambda: idp.associate_software_token(AccessToken=user["AccessToken"])


def verify_token(idp, admin, pool, clock):
    user = signed_in(idp)
    secret = idp.associate_software_token(AccessToken=user["AccessToken"])["SecretCode"]
    code = code_at(secret, clock())
    return lambda: idp.verify_software_token(AccessToken=user["AccessToken"], UserCode=code)


def mfa_preference(idp, admin, pool, clock):
    user = signed_in(idp)
    secret = idp.associate_software_token(AccessToken=user["AccessToken"])["SecretCode"]
    idp.verify_software_token(AccessToken=user["AccessToken"], UserCode=code_at(secret, clock()))
    return lambda: idp.set_user_mfa_preference(
        AccessToken=user["AccessToken"], SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )


def global_sign_out(idp, admin, pool, clock):
    user = signed_in(idp)
    return lambda: idp.global_sign_out(AccessToken=user["AccessToken"])


def revoke_token(idp, admin, pool, clock):
    user = signed_in(idp)
    return lambda: idp.revoke_token(ClientId=idp.client_id, ClientSecret=pool.client_secret, Token=user["RefreshToken"])


def admin_invitation(idp, admin, pool, clock):
    email = new_email()
    return lambda: admin.admin_create_user(
        UserPoolId=pool.pool_id, Username=email, TemporaryPassword="temporary-pass-1"
    )


def admin_on_user(operation: str, **params):
    def case(idp, admin, pool, clock):
        email = signed_in(idp)["email"]
        if operation == "admin_enable_user":
            admin.admin_disable_user(UserPoolId=pool.pool_id, Username=email)
        if operation == "admin_remove_user_from_group":
            admin.admin_add_user_to_group(UserPoolId=pool.pool_id, Username=email, GroupName="editors")
        return lambda: getattr(admin, operation)(UserPoolId=pool.pool_id, Username=email, **params)

    case.__name__ = operation
    return case


def admin_confirm(idp, admin, pool, clock):
    email = new_email()
    signed_up(idp, email, confirm=False)
    return lambda: admin.admin_confirm_sign_up(UserPoolId=pool.pool_id, Username=email)


def create_group(idp, admin, pool, clock):
    name = f"group-{new_email()[:16]}"
    return lambda: admin.create_group(UserPoolId=pool.pool_id, GroupName=name)


CASES = [
    sign_up,
    confirm_sign_up,
    resend_code,
    password_sign_in,
    mfa_challenge,
    mfa_answer,
    change_password,
    forgot_password,
    confirm_forgot_password,
    update_attributes,
    delete_user,
    associate_token,
    verify_token,
    mfa_preference,
    global_sign_out,
    revoke_token,
    admin_invitation,
    admin_confirm,
    create_group,
    admin_on_user("admin_disable_user"),
    admin_on_user("admin_enable_user"),
    admin_on_user("admin_delete_user"),
    admin_on_user("admin_reset_user_password"),
    admin_on_user("admin_user_global_sign_out"),
    admin_on_user("admin_add_user_to_group", GroupName="editors"),
    admin_on_user("admin_remove_user_from_group", GroupName="editors"),
]


@pytest.fixture(scope="module", autouse=True)
def editors(served):
    served.admin.create_group(UserPoolId=served.pool.pool_id, GroupName="editors")


@pytest.mark.parametrize("case", CASES, ids=[case.__name__ for case in CASES])
def test_an_operation_that_cannot_be_stored_changes_nothing(served, case, caplog):
    call = case(served.idp, served.admin, served.pool, served.clock)
    before = memory(served.pool)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="local_cognito.mail"), unwritable(served.pool.store.folder):
        refused_for_storage(call)
        assert memory(served.pool) == before
    assert "Email to" not in caplog.text  # nothing is sent for a change that was not made
    call()  # the same request, once the folder can be written: nothing stands in its way
    assert memory(served.pool) != before


def test_a_wrong_code_is_not_answered_while_its_count_cannot_be_kept(served):
    # Counting wrong codes is what stops guessing: a guess whose count cannot be stored gets no answer.
    idp, email = served.idp, new_email()
    signed_up(idp, email, confirm=False)
    wrong = "000000" if CODE != "000000" else "111111"
    guess = lambda: idp.confirm_sign_up(  # noqa: E731
        ClientId=idp.client_id,
        SecretHash=idp.hash(email),
        Username=email,
        ConfirmationCode=wrong,
    )
    before = memory(served.pool)
    with unwritable(served.pool.store.folder):
        refused_for_storage(guess)
    assert memory(served.pool) == before
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        guess()
    assert caught.value.response["Error"]["Code"] == "CodeMismatchException"


def test_a_rotation_that_cannot_be_stored_keeps_the_old_refresh_token_whole(served):
    idp, pool = served.idp, served.pool
    pool.refresh.configure_rotation(True, 0)
    try:
        user = signed_in(idp)
        renew = lambda: idp.get_tokens_from_refresh_token(  # noqa: E731
            ClientId=idp.client_id, ClientSecret=pool.client_secret, RefreshToken=user["RefreshToken"]
        )
        before = memory(pool)
        with unwritable(pool.store.folder):
            refused_for_storage(renew)
        assert memory(pool) == before
        assert renew()["AuthenticationResult"]["RefreshToken"]  # not rotated out by the failed attempt
    finally:
        pool.refresh.configure_rotation(False)


# --- the hosted UI --------------------------------------------------------------------------------


def unsaved_page(reply) -> None:
    assert reply.status == 503, reply.text
    assert reply.headers["Content-Type"].startswith("text/html") and reply.location is None
    assert "cannot save changes right now" in reply.text
    assert not any(header.startswith("cognito=") for header in reply.set_cookies())


def test_a_hosted_sign_in_that_cannot_be_stored_sets_no_session(served):
    pool, browser = served.pool, Browser(served.local.endpoint_url)
    email = signed_in(served.idp)["email"]
    request = authorization(pool)
    page = sign_in_page(browser, request)
    before = memory(pool)
    with unwritable(pool.store.folder):
        unsaved_page(submit_password(browser, page, email))
        assert memory(pool) == before
    assert "cognito" not in browser.cookies
    code = code_from(submit_password(browser, page, email), request)
    assert exchange(served.local, pool, request, code).status == 200


def test_a_hosted_mfa_step_that_cannot_be_stored_starts_no_challenge(served):
    pool, browser = served.pool, Browser(served.local.endpoint_url)
    user, secret = with_mfa(served.idp, served.clock)
    page = sign_in_page(browser, authorization(pool))
    before = memory(pool)
    with unwritable(pool.store.folder):
        unsaved_page(submit_password(browser, page, user["email"]))
        assert memory(pool) == before
    mfa = submit_password(browser, page, user["email"])
    served.clock.advance(STEP_SECONDS)
    assert browser.post("/login/mfa", dict(mfa.form("/login/mfa"), code=code_at(secret, served.clock()))).status == 302


def test_a_hosted_sign_up_that_cannot_be_stored_makes_no_account(served, caplog):
    pool, browser = served.pool, Browser(served.local.endpoint_url)
    request = authorization(pool)
    sign_in_page(browser, request)
    form = browser.get("/signup", request.params).form("/signup")
    email = new_email()
    before = memory(pool)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="local_cognito.mail"), unwritable(pool.store.folder):
        unsaved_page(browser.post("/signup", dict(form, email=email, password=PASSWORD, nickname="Late")))
        assert memory(pool) == before
    assert email not in caplog.text
    confirm = browser.post("/signup", dict(form, email=email, password=PASSWORD, nickname="Late"))
    assert confirm.status == 200 and "We emailed a confirmation code to" in confirm.text


def test_a_code_exchange_that_cannot_be_stored_leaves_the_code_usable(served):
    pool, local, browser = served.pool, served.local, Browser(served.local.endpoint_url)
    email = signed_in(served.idp)["email"]
    request = authorization(pool)
    code = code_from(submit_password(browser, sign_in_page(browser, request), email), request)
    before = memory(pool)
    with unwritable(pool.store.folder):
        refused = exchange(local, pool, request, code)
        assert refused.status == 503 and refused.json["error"] == "temporarily_unavailable"
        assert "refresh_token" not in refused.json
        assert memory(pool) == before
    assert exchange(local, pool, request, code).json["refresh_token"]


def test_the_local_cognito_says_whether_it_can_save(served):
    ready = lambda: server_call(served.local, "GET", "/local-cognito/ready")  # noqa: E731
    assert (ready().status, ready().json) == (200, {"status": "ready"})
    with unwritable(served.pool.store.folder):
        reply = ready()
        assert reply.status == 503 and reply.json["status"] == "unwritable"
        assert served.pool.store.folder in reply.json["message"]
    assert ready().status == 200

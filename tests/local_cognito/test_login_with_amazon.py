"""Signing in through Login with Amazon on the local Cognito (local_cognito/federation.py,
hosted_federation.py, amazon_stand_in.py): the hosted UI federates to the stand-in as Cognito's
federates to Amazon's, and the person becomes a federated user as Cognito makes them.

Driven over real HTTP like a browser (cookies kept by hand, no redirect followed), on the module's
local Cognito, whose app client is given the provider here. The shapes checked come from what we did
not write: botocore's model of cognito-idp (UserStatusType, ProviderName) and Amazon's documented
profile answer (developer.amazon.com, "Customer Profile").
"""

from __future__ import annotations

import json
import re
import urllib.parse

import botocore.session
import jwt
import pytest

from local_cognito.amazon_stand_in import AUTHORIZE_PATH, PROFILE_PATH, TOKEN_PATH
from local_cognito.endpoint import LocalCognito
from local_cognito.service import LocalUserPool
from tests.support import PASSWORD
from tests.support.local_hosted_ui import (
    CALLBACK,
    SIGNED_OUT,
    Browser,
    authorization,
    code_from,
    error_page,
    exchange,
    server_call,
    sign_in_page,
    user_info,
)
from tests.support.local_pool import error_code, new_email

PROVIDER = "LoginWithAmazon"
# Amazon's documented example: "user_id" : "amzn1.account.K2LI23KL2LK2"
AMAZON_USER_ID = re.compile(r"^amzn1\.account\.[A-Z0-9]+$")


@pytest.fixture(autouse=True)
def offers_amazon(pool):
    pool.oauth.configure_hosted_ui(
        callback_urls=[CALLBACK], logout_urls=[SIGNED_OUT], identity_providers=("COGNITO", PROVIDER)
    )
    yield
    pool.oauth.configure_hosted_ui(callback_urls=[CALLBACK], logout_urls=[SIGNED_OUT])


def at_amazon(browser, request):
    """The authorize request with identity_provider, to the stand-in's sign-in page."""
    started = browser.get("/oauth2/authorize", dict(request.params, identity_provider=PROVIDER))
    assert started.status == 302 and started.location.startswith(browser.base_url + AUTHORIZE_PATH + "?"), started.text
    sent = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(started.location).query))
    assert sent["redirect_uri"] == browser.base_url + "/oauth2/idpresponse"
    assert sent["response_type"] == "code" and sent["scope"] == "profile"
    page = browser.get(started.location)
    assert page.status == 200 and "Login with Amazon" in page.text
    return page


def amazon_sign_in(browser, request, name: str, email: str) -> str:
    """The whole way: Cognito, Amazon's page, /oauth2/idpresponse, and back to the app; the code."""
    page = at_amazon(browser, request)
    back = browser.post(AUTHORIZE_PATH, dict(page.form(AUTHORIZE_PATH), name=name, email=email))
    assert back.status == 302 and back.location.startswith(browser.base_url + "/oauth2/idpresponse?")
    return code_from(browser.get(back.location), request)


def tokens_of(local, pool, browser, name: str, email: str) -> dict:
    request = authorization(pool, scope="openid email profile aws.cognito.signin.user.admin")
    answer = exchange(local, pool, request, amazon_sign_in(browser, request, name, email))
    assert answer.status == 200, answer.text
    return answer.json


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_a_sign_in_through_amazon_makes_a_federated_user_as_cognito_does(local, pool, browser, admin, idp):
    email = new_email()
    tokens = tokens_of(local, pool, browser, "Ada Lovelace", email)
    identity, access = claims(tokens["id_token"]), claims(tokens["access_token"])
    username = identity["cognito:username"]
    assert username.startswith(f"{PROVIDER}_") and AMAZON_USER_ID.match(username[len(PROVIDER) + 1 :])
    assert access["username"] == username and identity["sub"] == access["sub"]
    # The mapping docs/hosted-ui.md asks for on AWS: name -> nickname, email -> email.
    assert identity["nickname"] == "Ada Lovelace" and identity["email"] == email
    assert identity["email_verified"] is False
    [entry] = identity["identities"]
    assert entry["providerName"] == PROVIDER and entry["providerType"] == PROVIDER
    assert entry["userId"] == username[len(PROVIDER) + 1 :] and entry["primary"] == "true"

    user = admin.admin_get_user(UserPoolId=pool.pool_id, Username=username)
    model = botocore.session.get_session().get_service_model("cognito-idp")
    assert user["UserStatus"] == "EXTERNAL_PROVIDER" in model.shape_for("UserStatusType").enum
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert json.loads(attributes["identities"])[0]["userId"] == entry["userId"]
    assert len(PROVIDER) <= model.shape_for("ProviderNameType").metadata["max"]
    # The access token works as any other: GetUser, userInfo.
    assert idp.get_user(AccessToken=tokens["access_token"])["Username"] == username
    assert user_info(local, tokens["access_token"]).json["nickname"] == "Ada Lovelace"
    # The email is no password sign-in's: the federated user has no password.
    assert (
        error_code(
            idp.initiate_auth,
            ClientId=pool.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD, "SECRET_HASH": idp.hash(email)},
        )
        == "NotAuthorizedException"
    )


def test_every_sign_in_writes_the_mapped_attributes_again(local, pool, browser, admin):
    email = new_email()
    first = claims(tokens_of(local, pool, browser, "Grace", email)["id_token"])
    browser.cookies.clear()  # another browser: no hosted-UI session to skip the provider with
    second = claims(tokens_of(local, pool, browser, "Grace Hopper", email.upper())["id_token"])
    assert second["sub"] == first["sub"] and second["cognito:username"] == first["cognito:username"]
    assert second["nickname"] == "Grace Hopper" and second["email"] == email.upper()
    stored = admin.admin_get_user(UserPoolId=pool.pool_id, Username=first["cognito:username"])
    assert {a["Name"]: a["Value"] for a in stored["UserAttributes"]}["nickname"] == "Grace Hopper"


def test_a_refresh_of_a_federated_users_tokens_takes_their_user_name(local, pool, browser, idp):
    tokens = tokens_of(local, pool, browser, "Refreshing", new_email())
    username = claims(tokens["access_token"])["username"]
    renewed = idp.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["refresh_token"], "SECRET_HASH": idp.hash(username)},
    )
    assert claims(renewed["AuthenticationResult"]["IdToken"])["nickname"] == "Refreshing"


def test_the_sign_in_page_offers_amazon_only_when_the_client_does(browser, pool):
    request = authorization(pool)
    page = sign_in_page(browser, request)
    link = re.search(r'<a class="provider" href="([^"]+)">Continue with Login with Amazon</a>', page.text)
    assert link is not None, page.text
    target = link.group(1).replace("&amp;", "&")
    assert browser.get(target).location.startswith(browser.base_url + AUTHORIZE_PATH)

    pool.oauth.configure_hosted_ui(callback_urls=[CALLBACK], logout_urls=[SIGNED_OUT])
    assert "Login with Amazon" not in sign_in_page(browser, authorization(pool)).text
    refused = browser.get("/oauth2/authorize", dict(authorization(pool).params, identity_provider=PROVIDER))
    assert "Login option is not available. Please try another one." in error_page(refused)


def test_cancelling_at_amazon_goes_back_to_the_app_as_access_denied(browser, pool):
    request = authorization(pool)
    page = at_amazon(browser, request)
    cancel = re.search(r'<a class="cancel" href="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    answer = browser.get(cancel)
    assert answer.status == 302 and answer.location.startswith(CALLBACK + "?")
    query = answer.redirect_query()
    assert query["error"] == "access_denied" and query["state"] == request.state and "code" not in query


def test_a_state_that_was_altered_or_made_up_gets_an_error_page(browser, pool):
    page = at_amazon(browser, authorization(pool))
    fields = page.form(AUTHORIZE_PATH)
    fields["state"] = fields["state"][:-4] + "AAAA"
    back = browser.post(AUTHORIZE_PATH, dict(fields, name="Mallory", email=new_email()))
    assert "has expired or was changed" in error_page(browser.get(back.location))


def test_the_stand_in_checks_its_client_codes_and_tokens_as_amazon_does(local, browser, pool):
    wrong = browser.get(
        AUTHORIZE_PATH,
        {
            "client_id": "someone-else",
            "response_type": "code",
            "scope": "profile",
            "redirect_uri": CALLBACK,
            "state": "s",
        },
    )
    assert wrong.status == 400 and wrong.location is None  # never a redirect to an unknown return URL

    request = authorization(pool)
    page = at_amazon(browser, request)
    back = browser.post(AUTHORIZE_PATH, dict(page.form(AUTHORIZE_PATH), name="Tester", email=new_email()))
    code = back.redirect_query()["code"]
    client_id = page.form(AUTHORIZE_PATH)["client_id"]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": browser.base_url + "/oauth2/idpresponse",
        "client_id": client_id,
        "client_secret": "not the secret",
    }
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    refused = server_call(local, "POST", TOKEN_PATH, urllib.parse.urlencode(form).encode(), headers)
    assert refused.status == 401 and refused.json["error"] == "invalid_client"
    # The pool redeems the code for real: once redeemed, it is spent.
    code_from(browser.get(back.location), request)
    form["client_secret"] = pool.store.secret("login-with-amazon-secret")
    spent = server_call(local, "POST", TOKEN_PATH, urllib.parse.urlencode(form).encode(), headers)
    assert spent.status == 400 and spent.json["error"] == "invalid_grant"
    assert server_call(local, "GET", PROFILE_PATH, headers={"Authorization": "Bearer Atza|made-up"}).status == 401


def test_a_disabled_federated_user_is_sent_back_refused(local, pool, browser, admin):
    email = new_email()
    username = claims(tokens_of(local, pool, browser, "Dora", email)["id_token"])["cognito:username"]
    admin.admin_disable_user(UserPoolId=pool.pool_id, Username=username)
    browser.cookies.clear()
    request = authorization(pool)
    page = at_amazon(browser, request)
    back = browser.post(AUTHORIZE_PATH, dict(page.form(AUTHORIZE_PATH), name="Dora", email=email))
    refused = browser.get(back.location)
    assert refused.status == 302 and refused.location.startswith(CALLBACK + "?")
    query = refused.redirect_query()
    assert query["error"] == "invalid_request" and query["state"] == request.state and "code" not in query
    admin.admin_enable_user(UserPoolId=pool.pool_id, Username=username)


def test_a_pool_requiring_an_attribute_amazon_does_not_give_refuses_the_sign_in(tmp_path):
    pool = LocalUserPool(str(tmp_path), required_attributes=("given_name",))
    pool.oauth.configure_hosted_ui(
        callback_urls=[CALLBACK], logout_urls=[SIGNED_OUT], identity_providers=("COGNITO", PROVIDER)
    )
    local = LocalCognito(pool).start()
    try:
        browser = Browser(local.endpoint_url)
        request = authorization(pool)
        page = at_amazon(browser, request)
        back = browser.post(AUTHORIZE_PATH, dict(page.form(AUTHORIZE_PATH), name="Gina", email=new_email()))
        query = browser.get(back.location).redirect_query()
        assert query["error"] == "invalid_request" and "given_name" in query["error_description"]
        assert len(pool.users) == 0  # nobody was made
    finally:
        local.stop()


def test_cognitos_model_knows_the_provider_as_we_name_it():
    model = botocore.session.get_session().get_service_model("cognito-idp")
    assert PROVIDER in model.shape_for("IdentityProviderTypeType").enum


def test_federated_users_are_kept_in_the_pools_database(tmp_path):
    pool = LocalUserPool(str(tmp_path))
    pool.oauth.configure_hosted_ui(
        callback_urls=[CALLBACK], logout_urls=[SIGNED_OUT], identity_providers=("COGNITO", PROVIDER)
    )
    local = LocalCognito(pool).start()
    try:
        request = authorization(pool)
        code = amazon_sign_in(Browser(local.endpoint_url), request, "Kept", "kept@example.com")
        username = claims(exchange(local, pool, request, code).json["id_token"])["cognito:username"]
    finally:
        local.stop()
    pool.db.close()
    reopened = LocalUserPool(str(tmp_path))
    with reopened.transaction():
        user = reopened.find_user(username)
        assert user is not None and user.username == username and user.status.value == "EXTERNAL_PROVIDER"
        assert user.attribute_lookup["nickname"] == "Kept" and user.password is None
        assert json.loads(user.attribute_lookup["identities"])[0]["providerName"] == PROVIDER
        assert reopened.find_user("kept@example.com") is None  # no password sign-in's name

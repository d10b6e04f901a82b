"""The local Cognito's OAuth 2.0 side (local_cognito/oauth/) as Amazon Cognito documents its endpoints:
the code flow with PKCE, the authorize request's checks, the token endpoint, userInfo, and the
OpenID Connect discovery document.

Every test drives the module's local Cognito over real HTTP like a browser would (cookies kept by
hand, no redirect followed) or like the app's server would (the token and userInfo endpoints), on a
pool whose clock the tests move.
"""

from __future__ import annotations

import urllib.parse

import jwt
import pytest

from local_cognito.endpoint import LocalCognito
from local_cognito.service import LocalUserPool
from tests.support import CODE
from tests.support.local_hosted_ui import (
    CALLBACK,
    SIGNED_OUT,
    Browser,
    assert_oauth_error,
    authorization,
    basic,
    error_page,
    exchange,
    hosted_sign_in,
    pkce,
    server_call,
    token_request,
    user_info,
)
from tests.support.local_pool import clients, error_code, new_user, signed_in


# --- the whole code flow --------------------------------------------------------------------------


def test_the_code_flow_with_pkce_gives_tokens_that_work_everywhere(browser, local, pool, idp):
    email = new_user(idp, nickname="Flow <b>&")
    request, code = hosted_sign_in(browser, pool, email)

    tokens = exchange(local, pool, request, code)
    assert tokens.status == 200, tokens.text
    assert tokens.headers["Cache-Control"] == "no-store"
    assert tokens.headers["Content-Type"].startswith("application/json")
    answer = tokens.json
    assert set(answer) == {"access_token", "id_token", "refresh_token", "token_type", "expires_in"}
    assert answer["token_type"] == "Bearer" and answer["expires_in"] == 3600

    discovery = server_call(local, "GET", f"/{pool.pool_id}/.well-known/openid-configuration").json
    keys = jwt.PyJWKClient(discovery["jwks_uri"])
    identity = jwt.decode(
        answer["id_token"],
        keys.get_signing_key_from_jwt(answer["id_token"]).key,
        algorithms=discovery["id_token_signing_alg_values_supported"],
        audience=pool.client_id,
        issuer=discovery["issuer"],
    )
    assert identity["nonce"] == request.params["nonce"] and identity["token_use"] == "id"
    assert identity["email"] == email and identity["nickname"] == "Flow <b>&"
    access = jwt.decode(
        answer["access_token"],
        keys.get_signing_key_from_jwt(answer["access_token"]).key,
        algorithms=["RS256"],
        issuer=discovery["issuer"],
    )
    assert access["scope"] == "openid email profile" and access["token_use"] == "access"
    assert access["client_id"] == pool.client_id and access["sub"] == identity["sub"]
    assert access["auth_time"] == identity["auth_time"]

    # The refresh_token grant: new access and id tokens, the same scopes, no new refresh token.
    refreshed = token_request(local, pool, {"grant_type": "refresh_token", "refresh_token": answer["refresh_token"]})
    assert refreshed.status == 200, refreshed.text
    assert set(refreshed.json) == {"access_token", "id_token", "token_type", "expires_in"}
    assert (
        jwt.decode(refreshed.json["access_token"], options={"verify_signature": False})["scope"]
        == "openid email profile"
    )

    for method in ("GET", "POST"):
        info = user_info(local, refreshed.json["access_token"], method)
        assert info.status == 200, info.text
        assert info.json == {
            "sub": identity["sub"],
            "email": email,
            "email_verified": "true",
            "nickname": "Flow <b>&",
            "username": identity["sub"],
        }

    # The same refresh token through the API, with SECRET_HASH on the user name Cognito assigned.
    sub = identity["sub"]
    api = idp.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": answer["refresh_token"], "SECRET_HASH": idp.hash(sub)},
    )["AuthenticationResult"]
    assert jwt.decode(api["AccessToken"], options={"verify_signature": False})["scope"] == "openid email profile"
    assert idp.get_user(AccessToken=answer["access_token"])["Username"] == sub

    # RevokeToken ends it all: the refresh token, and the access tokens issued with it.
    idp.revoke_token(Token=answer["refresh_token"], ClientId=pool.client_id, ClientSecret=pool.client_secret)
    assert_oauth_error(
        token_request(local, pool, {"grant_type": "refresh_token", "refresh_token": answer["refresh_token"]}),
        "invalid_grant",
    )
    revoked = user_info(local, refreshed.json["access_token"])
    assert revoked.status == 401 and revoked.json["error"] == "invalid_token"
    assert revoked.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    assert error_code(idp.get_user, AccessToken=answer["access_token"]) == "NotAuthorizedException"


def test_the_client_secret_may_come_in_the_body(browser, local, pool, idp):
    request, code = hosted_sign_in(browser, pool, new_user(idp))
    tokens = token_request(
        local,
        pool,
        {
            "grant_type": "authorization_code",
            "client_id": pool.client_id,
            "client_secret": pool.client_secret,
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": request.verifier,
        },
        auth=None,
    )
    assert tokens.status == 200, tokens.text
    assert tokens.json["refresh_token"]


def test_global_sign_out_ends_hosted_ui_tokens(browser, local, pool, idp):
    request, code = hosted_sign_in(browser, pool, new_user(idp))
    answer = exchange(local, pool, request, code).json
    idp.global_sign_out(AccessToken=answer["access_token"])
    assert_oauth_error(
        token_request(local, pool, {"grant_type": "refresh_token", "refresh_token": answer["refresh_token"]}),
        "invalid_grant",
    )
    assert user_info(local, answer["access_token"]).status == 401


def test_without_openid_there_is_no_id_token_and_no_user_info(tmp_path):
    pool = LocalUserPool(str(tmp_path), pinned_code=CODE)
    pool.oauth.configure_hosted_ui(callback_urls=[CALLBACK], scopes=["openid", "aws.cognito.signin.user.admin"])
    local = LocalCognito(pool).start()
    try:
        idp, _ = clients(local, pool)
        request, code = hosted_sign_in(
            Browser(local.endpoint_url), pool, new_user(idp), scope="aws.cognito.signin.user.admin"
        )
        answer = exchange(local, pool, request, code).json
        assert "id_token" not in answer and answer["refresh_token"]
        refused = user_info(local, answer["access_token"])
        assert refused.status == 401 and "openid" in refused.json["error_description"]
        assert idp.get_user(AccessToken=answer["access_token"])["Username"]
    finally:
        local.stop()


# --- the authorize request ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://evil.example/callback", f"{CALLBACK}/", f"{CALLBACK}?x=1", "http://localhost:3006/callback#f", None],
)
def test_an_unregistered_redirect_uri_is_an_error_page_never_a_redirect(browser, pool, redirect_uri):
    request = authorization(pool, redirect_uri=redirect_uri, response_type="nonsense")
    for path in ("/oauth2/authorize", "/login", "/signup"):
        text = error_page(browser.get(path, request.params))
        assert "redirect_mismatch" in text and "evil.example" not in text


@pytest.mark.parametrize("client_id", ["not-the-client", "", None])
def test_an_unknown_client_is_an_error_page(browser, pool, client_id):
    text = error_page(browser.get("/oauth2/authorize", authorization(pool, client_id=client_id).params))
    assert "client_id" in text


@pytest.mark.parametrize(
    "overrides,error",
    [
        ({"response_type": None}, "invalid_request"),
        ({"response_type": "token"}, "unauthorized_client"),
        ({"response_type": "id_token"}, "unsupported_response_type"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge": "too-short"}, "invalid_request"),
        ({"scope": "openid phone"}, "invalid_scope"),
        ({"scope": "openid aws.cognito.signin.user.admin phone"}, "invalid_scope"),
        ({"scope": "email profile"}, "invalid_scope"),
    ],
)
def test_other_faults_go_back_to_the_app_with_the_state(browser, pool, overrides, error):
    request = authorization(pool, **overrides)
    reply = browser.get("/oauth2/authorize", request.params)
    assert reply.status == 302 and reply.location.startswith(CALLBACK + "?")
    query = reply.redirect_query()
    assert query["error"] == error and query["error_description"]
    assert query["state"] == request.state and "code" not in query


def test_a_repeated_parameter_is_refused(browser, pool):
    request = authorization(pool)
    query = urllib.parse.urlencode(request.params) + "&scope=openid"
    reply = browser.request("GET", "/oauth2/authorize?" + query)
    assert reply.status == 302 and reply.redirect_query()["error"] == "invalid_request"


def test_no_scope_asks_for_all_the_clients_scopes(browser, local, pool, idp):
    request, code = hosted_sign_in(browser, pool, new_user(idp), scope=None)
    access = exchange(local, pool, request, code).json["access_token"]
    assert (
        jwt.decode(access, options={"verify_signature": False})["scope"]
        == "openid email profile aws.cognito.signin.user.admin"
    )


def test_identity_providers_are_cognitos_or_none(browser, pool):
    request = authorization(pool, identity_provider="COGNITO")
    assert browser.get("/oauth2/authorize", request.params).location.startswith("/login?")
    for other in ({"identity_provider": "Google"}, {"identity_provider": "cognito"}, {"idp_identifier": "example.com"}):
        text = error_page(browser.get("/oauth2/authorize", authorization(pool, **other).params))
        assert "Login option is not available. Please try another one." in text


# --- the token endpoint ---------------------------------------------------------------------------


def test_a_replayed_code_is_refused_and_revokes_what_it_gave(browser, local, pool, idp):
    request, code = hosted_sign_in(browser, pool, new_user(idp))
    first = exchange(local, pool, request, code)
    assert first.status == 200
    assert_oauth_error(exchange(local, pool, request, code), "invalid_grant")
    assert_oauth_error(
        token_request(local, pool, {"grant_type": "refresh_token", "refresh_token": first.json["refresh_token"]}),
        "invalid_grant",
    )
    assert error_code(idp.get_user, AccessToken=first.json["access_token"]) == "NotAuthorizedException"


def test_an_expired_code_is_refused(browser, local, pool, idp, clock):
    request, code = hosted_sign_in(browser, pool, new_user(idp))
    clock.advance(301)
    assert_oauth_error(exchange(local, pool, request, code), "invalid_grant")


@pytest.mark.parametrize("verifier", ["wrong", None])
def test_the_pkce_verifier_must_match(browser, local, pool, idp, verifier):
    request, code = hosted_sign_in(browser, pool, new_user(idp))
    wrong = pkce()[0] if verifier == "wrong" else None
    assert_oauth_error(exchange(local, pool, request, code, code_verifier=wrong), "invalid_grant")
    # The code was spent by that try.
    assert_oauth_error(exchange(local, pool, request, code), "invalid_grant")


def test_a_verifier_for_a_code_without_a_challenge_is_refused(browser, local, pool, idp):
    request, code = hosted_sign_in(browser, pool, new_user(idp), code_challenge=None, code_challenge_method=None)
    assert_oauth_error(exchange(local, pool, request, code), "invalid_grant")


def test_the_redirect_uri_must_be_the_authorize_requests(browser, local, pool, idp):
    request, code = hosted_sign_in(browser, pool, new_user(idp))
    assert_oauth_error(exchange(local, pool, request, code, redirect_uri=None), "invalid_request")
    assert_oauth_error(exchange(local, pool, request, code, redirect_uri=SIGNED_OUT), "invalid_grant")


def test_client_authentication(browser, local, pool, idp):
    request, code = hosted_sign_in(browser, pool, new_user(idp))
    fields = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": request.verifier,
    }
    assert_oauth_error(token_request(local, pool, fields, auth=basic(pool.client_id, "wrong")), "invalid_client")
    assert_oauth_error(
        token_request(local, pool, fields, auth=basic("another-client", pool.client_secret)), "invalid_client"
    )
    assert_oauth_error(token_request(local, pool, fields, auth="Basic !!!"), "invalid_client")
    assert_oauth_error(token_request(local, pool, fields, auth=None), "invalid_client")
    assert_oauth_error(
        token_request(local, pool, dict(fields, client_id=pool.client_id, client_secret="wrong"), auth=None),
        "invalid_client",
    )
    assert_oauth_error(token_request(local, pool, dict(fields, client_id="another-client")), "invalid_client")
    assert_oauth_error(token_request(local, pool, dict(fields, client_secret=pool.client_secret)), "invalid_request")
    # None of that was the client: the code is still good.
    assert token_request(local, pool, fields).status == 200


@pytest.mark.parametrize(
    "fields,error",
    [
        ({"grant_type": "password", "username": "x", "password": "y"}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials"}, "unauthorized_client"),
        ({}, "invalid_request"),
        ({"grant_type": "authorization_code", "redirect_uri": CALLBACK}, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "made-up", "redirect_uri": CALLBACK}, "invalid_grant"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "made-up"}, "invalid_grant"),
    ],
)
def test_token_request_errors(local, pool, fields, error):
    assert_oauth_error(token_request(local, pool, fields), error)


def test_the_token_endpoint_takes_only_forms(local, pool):
    reply = token_request(
        local, pool, {"grant_type": "refresh_token", "refresh_token": "x"}, content_type="application/json"
    )
    assert_oauth_error(reply, "invalid_request")
    assert server_call(local, "GET", "/oauth2/token").status == 405


# --- userInfo -------------------------------------------------------------------------------------


def test_user_info_refuses_what_is_not_a_hosted_ui_access_token(local, idp):
    missing = user_info(local, None)
    assert missing.status == 400 and missing.json["error"] == "invalid_request"
    assert missing.headers["WWW-Authenticate"].startswith('Bearer error="invalid_request"')
    forged = user_info(local, "not.a.token")
    assert forged.status == 401 and forged.json["error"] == "invalid_token"
    api_token = signed_in(idp)["AccessToken"]  # InitiateAuth's tokens have no openid scope
    refused = user_info(local, api_token)
    assert refused.status == 401 and refused.json["error_description"] == "Access token does not contain openid scope"


# --- discovery ------------------------------------------------------------------------------------


def test_the_openid_configuration_points_here(local, pool):
    reply = server_call(local, "GET", f"/{pool.pool_id}/.well-known/openid-configuration")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("application/json")
    base = local.endpoint_url
    assert reply.json == {
        "issuer": f"{base}/{pool.pool_id}",
        "authorization_endpoint": f"{base}/oauth2/authorize",
        "token_endpoint": f"{base}/oauth2/token",
        "userinfo_endpoint": f"{base}/oauth2/userInfo",
        "jwks_uri": f"{base}/{pool.pool_id}/.well-known/jwks.json",
        "response_types_supported": ["code"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }
    assert server_call(local, "GET", "/us-east-1_other/.well-known/openid-configuration").status == 404

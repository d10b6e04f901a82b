"""The endpoint over real HTTP: both envelopes, every row of the error table, body rules, CORS."""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import re
import socket
import urllib.parse

import pytest

from handlers.page import WEB_DIR
from server.config import load_config
from tests.support import CODE, PASSWORD, STAND_IN_POOL, Client, StandInCognito, issued_access_token, serve_app

PASS = {"pass": PASSWORD}


def assert_error(reply, status: int, code: str) -> dict:
    assert reply.status == status, reply.body
    body = reply.json
    assert body["error"] == code
    assert isinstance(body["message"], str) and body["message"].endswith((".", "?"))
    assert "Traceback" not in reply.body.decode() and "Exception" not in body["message"]
    return body


# --- the request itself -------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None, "application/x-www-form-urlencoded"])
def test_the_body_is_json_whatever_the_content_type(client, content_type):
    reply = client.post({"env": "signIn", "user": "x@example.com"}, content_type=content_type)
    assert_error(reply, 400, "MissingField")


@pytest.mark.parametrize(
    "body,code,needle",
    [
        (b"{not json", "InvalidJson", None),
        (b"\xff\xfe\x00", "InvalidJson", None),
        (b"", "InvalidJson", None),
        (b'"signIn"', "InvalidRequest", None),
        (b"42", "InvalidRequest", None),
        (b'{"user": "a@example.com"}', "MissingEnv", "env"),
        (b'{"env": 5}', "InvalidField", "env"),
        (b'{"env": "launchRockets"}', "UnknownMethod", "launchRockets"),
        (b'{"env": "signIn", "user": "a@example.com"}', "MissingField", '"pass"'),
        (b'{"env": "signIn", "user": ["a"], "pass": "x"}', "InvalidField", '"user"'),
        (b'{"env": "signIn", "user": "a@example.com", "pass": "x", "extra": 1}', "UnknownField", '"extra"'),
    ],
)
def test_bad_requests_are_400_naming_the_problem(client, body, code, needle):
    body_json = assert_error(client.post(body), 400, code)
    if needle:
        assert needle in body_json["message"]


def test_a_body_over_64_kib_is_413(client):
    reply = client.post({"env": "signIn", "user": "a@example.com", "pass": "x" * 70000})
    assert_error(reply, 413, "BodyTooLarge")


def test_a_chunked_body_over_64_kib_is_413(base_url):
    url = urllib.parse.urlparse(base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    body = json.dumps({"env": "signIn", "user": "a@example.com", "pass": "x" * 70000}).encode()
    connection.request(
        "POST",
        "/",
        body=iter([body[:30000], body[30000:]]),
        encode_chunked=True,
        headers={"Content-Type": "application/json"},
    )
    response = connection.getresponse()
    assert response.status == 413
    assert json.loads(response.read())["error"] == "BodyTooLarge"


def test_put_is_405_and_other_paths_404(client):
    reply = client.request("PUT", "/", b"{}")
    assert_error(reply, 405, "MethodNotAllowed")
    assert reply.headers["Allow"] == "GET, POST, OPTIONS"
    assert len(reply.headers["X-Request-Id"]) == 32 and reply.headers["Cache-Control"] == "no-store"
    reply = client.request("POST", "/nothing/here", b"{}")
    assert reply.status == 404 and reply.headers["X-Request-Id"]


def test_the_page_loads_its_modules_as_javascript_under_its_policy(client):
    """The page's script is ES modules: browsers run them only when served as JavaScript, and the
    policy (script-src 'self') lets the page import its own. Every module it imports is there."""
    page = client.request("GET", "/")
    assert '<script type="module" src="/static/main.js"></script>' in page.body.decode()
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    modules = sorted(name for name in os.listdir(WEB_DIR) if name.endswith(".js"))
    assert "main.js" in modules
    for name in modules:
        reply = client.request("GET", f"/static/{name}")
        assert reply.status == 200, name
        assert reply.headers["Content-Type"] == "text/javascript", name
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert reply.headers["Content-Security-Policy"] == page.headers["Content-Security-Policy"]
        for imported in re.findall(r'^import (?:[^;]*? from )?"\./([\w-]+\.js)";', reply.body.decode(), re.M):
            assert imported in modules, f"{name} imports {imported}"


def test_the_page_has_an_icon_of_its_own_and_needs_nothing_from_elsewhere(client):
    page = client.request("GET", "/").body.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    icon = client.request("GET", "/static/favicon.svg")
    assert icon.status == 200 and icon.headers["Content-Type"] == "image/svg+xml"
    assert icon.body.startswith(b"<svg") and b"<script" not in icon.body
    for name in ("index.html", "app.css", "favicon.svg"):
        with open(os.path.join(WEB_DIR, name), encoding="utf-8") as file:
            assert not re.search(r"(https?:)?//[a-z]", file.read().replace("http://www.w3.org/2000/svg", "")), name


def test_a_lone_surrogate_is_invalid_json(client):
    for body in (b'{"env": "\\ud800"}', b'{"env": "signIn", "user": "a@b.co", "pass": "\\ud800abcdefgh"}'):
        assert_error(client.post(body), 400, "InvalidJson")


def test_answers_carry_a_request_id_and_are_not_cached(client):
    reply = client.call("signIn", user="x@example.com")
    assert len(reply.headers["X-Request-Id"]) == 32
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["Content-Type"].startswith("application/json")


# --- answers from Cognito -----------------------------------------------------------------------


def test_wrong_password_and_unknown_user_answer_alike(signed_in, base_url):
    client, email, _ = signed_in
    wrong = client.call("signIn", user=email, **{"pass": "not-the-password"})
    unknown = Client(base_url).call("signIn", user="nobody-" + email, **{"pass": "not-the-password"})
    assert (wrong.status, wrong.body) == (unknown.status, unknown.body)
    assert_error(wrong, 401, "NotAuthorized")


def test_unconfirmed_user_is_403(client, email):
    client.call("createAccount", user=email, **PASS)
    assert_error(client.call("signIn", user=email, **PASS), 403, "UserNotConfirmed")


def test_existing_user_is_409(signed_in):
    client, email, _ = signed_in
    assert_error(client.call("createAccount", user=email, **PASS), 409, "UsernameExists")


def test_wrong_code_is_400_code_mismatch(client, email):
    client.call("createAccount", user=email, **PASS)
    assert_error(client.call("confirmAccount", user=email, conf_code="999999", **PASS), 400, "CodeMismatch")


def test_expired_code_is_400_code_mismatch_saying_it_may_have_expired(client, email, local_pool):
    client.call("createAccount", user=email, **PASS)
    pool = local_pool[0].pool
    for record in pool.codes.values():
        record["expires"] = 0  # the pool's records, as they would be a day later
    # Answered as a wrong code is, so that it does not tell an account from none (docs/security.md).
    body = assert_error(client.call("confirmAccount", user=email, conf_code=CODE, **PASS), 400, "CodeMismatch")
    assert "expired" in body["message"] and "new one" in body["message"]


def test_short_password_is_400_invalid_password(client, email):
    assert_error(client.call("createAccount", user=email, **{"pass": "short"}), 400, "InvalidPassword")


def test_user_that_is_not_an_email_is_400_invalid_field(client):
    body = assert_error(client.call("createAccount", user="not-an-email", **PASS), 400, "InvalidField")
    assert body["field"] == "user"


def test_an_invalid_access_token_is_401(client):
    body = assert_error(client.call("getUser", access_token="not.a.token"), 401, "NotAuthorized")
    assert "access token" in body["message"]


# --- Cognito failing ----------------------------------------------------------------------------

REAL = {
    **STAND_IN_POOL,
    "COGNITO_MAX_ATTEMPTS": "1",
    "COGNITO_CLIENT_SECRET": "a-stand-in-client-secret-as-long-as-cognitos",  # botocore wants 24 or more
    "COGNITO_READ_TIMEOUT": "0.5",
    "COGNITO_CONNECT_TIMEOUT": "0.5",
    # These tests sign in again and again from one address; tests/server/test_rate_limits.py has the limits.
    "RATE_LIMIT_PER_ADDRESS": "off",
    "RATE_LIMIT_PER_USER": "off",
}


@pytest.fixture(scope="module")
def stand_in():
    cognito = StandInCognito()
    server = serve_app(load_config(dict(REAL, COGNITO_ENDPOINT_URL=cognito.url)))
    cognito.client = Client(f"http://127.0.0.1:{server.port}")
    yield cognito
    server.stop()
    cognito.stop()


@pytest.mark.parametrize(
    "cognito_code,http_status,code,retry_after",
    [
        ("TooManyRequestsException", 400, "TooManyRequests", "1"),
        ("LimitExceededException", 400, "LimitExceeded", "30"),
        ("InternalErrorException", 500, "CognitoError", None),
        ("SomethingNewException", 400, "CognitoError", None),
        ("PasswordResetRequiredException", 400, "PasswordResetRequired", None),
        ("AliasExistsException", 400, "AliasExists", None),
    ],
)
def test_cognito_errors_over_http(stand_in, cognito_code, http_status, code, retry_after):
    stand_in.fail("InitiateAuth", cognito_code, status=http_status)
    reply = stand_in.client.call("signIn", user="a@example.com", **PASS)
    status = {
        "TooManyRequests": 429,
        "LimitExceeded": 429,
        "CognitoError": 502,
        "InternalError": 500,
        "PasswordResetRequired": 403,
        "AliasExists": 409,
    }[code]
    body = assert_error(reply, status, code)
    assert reply.headers.get("Retry-After") == retry_after
    assert "secret details" not in reply.body.decode()
    if status == 500:
        assert body["request_id"] == reply.headers["X-Request-Id"]


def test_slow_cognito_is_504(stand_in):
    stand_in.answer("InitiateAuth", body={}, delay=2.0)
    assert_error(stand_in.client.call("signIn", user="a@example.com", **PASS), 504, "CognitoTimeout")


def test_unreachable_cognito_is_503(config):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    server = serve_app(load_config(dict(REAL, COGNITO_ENDPOINT_URL=f"http://127.0.0.1:{closed}")))
    try:
        reply = Client(f"http://127.0.0.1:{server.port}").call("signIn", user="a@example.com", **PASS)
        assert_error(reply, 503, "CognitoUnavailable")
    finally:
        server.stop()


def test_the_refresh_hash_uses_the_name_cognito_assigned(stand_in):
    """The bug many wrappers have: SECRET_HASH for REFRESH_TOKEN_AUTH computed on the email."""
    from server.cognito import secret_hash

    access = issued_access_token("5e0f-sub-id")
    stand_in.answer(
        "InitiateAuth",
        body={
            "AuthenticationResult": {
                "AccessToken": access,
                "IdToken": "id",
                "RefreshToken": "the-refresh-token",
                "ExpiresIn": 3600,
                "TokenType": "Bearer",
            }
        },
    )
    stand_in.fail("GetTokensFromRefreshToken", "UnknownOperationException")  # REFRESH_TOKEN_AUTH, then
    client = Client(stand_in.client.base_url)
    assert client.call("signIn", user="alice@example.com", **PASS).status == 200
    stand_in.received.clear()
    assert client.call("refresh").status == 200
    [_, (operation, params)] = stand_in.received
    assert operation == "InitiateAuth" and params["AuthFlow"] == "REFRESH_TOKEN_AUTH"
    assert params["AuthParameters"]["REFRESH_TOKEN"] == "the-refresh-token"
    assert params["AuthParameters"]["SECRET_HASH"] == secret_hash(
        "5e0f-sub-id", STAND_IN_POOL["COGNITO_USER_CLIENT_ID"], REAL["COGNITO_CLIENT_SECRET"]
    )


def test_public_calls_are_unsigned(stand_in):
    stand_in.answer("SignUp", body={"UserConfirmed": False, "UserSub": "s"})
    stand_in.received.clear()
    assert stand_in.client.call("createAccount", user="a@example.com", **PASS).status == 200
    [(operation, params)] = stand_in.received
    assert operation == "SignUp" and params["SecretHash"]
    headers = stand_in.headers[-1]
    assert "Authorization" not in headers and "X-Amz-Security-Token" not in headers


# --- CORS ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cors_url(config):
    server = serve_app(dataclasses.replace(config, allowed_origins=("http://localhost:5173",)))
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


def test_allowed_origin_gets_cors_with_credentials(cors_url):
    client = Client(cors_url)
    reply = client.request(
        "OPTIONS",
        "/",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert reply.status == 204
    assert reply.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert reply.headers["Access-Control-Allow-Credentials"] == "true"
    assert "POST" in reply.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in reply.headers["Access-Control-Allow-Headers"]
    reply = client.request("POST", "/", b'{"env": "refresh"}', {"Origin": "http://localhost:5173"})
    assert reply.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"


def test_a_page_of_an_allowed_origin_may_send_the_bearer_token_to_the_photos_api(cors_url):
    client = Client(cors_url)
    reply = client.request(
        "OPTIONS",
        "/photos/somePhotoId1",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert reply.status == 204
    assert reply.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert reply.headers["Access-Control-Allow-Methods"] == "DELETE, OPTIONS"
    assert "Authorization" in reply.headers["Access-Control-Allow-Headers"]
    reply = client.request("GET", "/photos", headers={"Origin": "http://localhost:5173"})
    assert reply.status == 401 and reply.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"


def test_other_origins_get_no_cors_headers(cors_url):
    client = Client(cors_url)
    for method in ("OPTIONS", "POST"):
        reply = client.request(
            method,
            "/",
            b'{"env": "refresh"}' if method == "POST" else None,
            {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "Access-Control-Allow-Origin" not in reply.headers
        assert "Access-Control-Allow-Credentials" not in reply.headers


# --- nothing we can send gets a 5xx -------------------------------------------------------------

NASTY_VALUES = [
    None,
    True,
    0,
    -1,
    1e308,
    10**40,
    "",
    " ",
    "\u0000",
    "a" * 5000,
    "\ud83d\ude00" * 50,
    [],
    {},
    [[[[[]]]]],
    {"a": {"b": {"c": {}}}},
    "<script>alert(1)</script>",
    "x@y",
    "a@b.c\u0000d",
    "%s%n",
    "' OR 1=1 --",
    "\ud800",
    "ab\udfffcdefgh",
]


@pytest.mark.parametrize(
    "env",
    [
        "createAccount",
        "confirmAccount",
        "resendCode",
        "signIn",
        "refresh",
        "signOut",
        "changePass",
        "forgotPassword",
        "confirmForgotPassword",
        "getUser",
        "updateUser",
        "deleteAcct",
        "verifyAttribute",
        "resendAttributeCode",
        "setMfa",
        "respondToChallenge",
    ],
)
def test_no_field_value_gets_a_5xx(client, env):
    from server.registry import METHODS

    names = [field.name for field in METHODS[env].fields] or ["nickname"]
    for value in NASTY_VALUES:
        params = dict.fromkeys(names, value)
        if env in ("createAccount", "updateUser"):
            params["nickname"] = value  # an attribute too: it is stored
        reply = client.post(json.dumps({"env": env, **params}).encode())
        assert reply.status < 500, (env, value, reply.body)
        assert reply.json["message"]
        reply = client.post(json.dumps({"jsonrpc": "2.0", "method": env, "params": params, "id": 1}).encode())
        assert reply.status == 200, reply.body
        error = reply.json.get("error")
        if error is not None:
            assert error["code"] != -32603 and error["data"]["status"] < 500, (env, value, reply.body)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 5000 + b"]" * 5000,
        b'{"env": "signIn"' + b', "user": 1' * 3000 + b"}",
        b"\x00\x01\x02",
        b"null",
        b'{"env": null}',
        b'{"jsonrpc": "2.0"}',
        b'{"jsonrpc": 2, "method": "signIn", "id": 1}',
        b"[[]]",
        b'{"env": ""}',
    ],
)
def test_no_body_gets_a_5xx(client, body):
    reply = client.post(body)
    assert reply.status < 500, reply.body
    assert "Traceback" not in reply.body.decode()

"""Refresh-token rotation through this server, over real HTTP: the ``refresh`` method, sign-out, and the
browser session's silent renewal, against a local Cognito whose app client rotates refresh tokens
(and one whose client does not); and the fall-back to REFRESH_TOKEN_AUTH against moto's own server,
which lacks GetTokensFromRefreshToken, decided once per process and not by a passing fault.

Time inside a local Cognito is its pool's clock, moved forward here instead of sleeping through the
grace period; only the browser-session test waits for its (three-second) access token to run out.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import json
import logging
import time

import botocore.exceptions
import botocore.parsers
import botocore.session
import pytest
import tornado.httpclient
import tornado.web

from local_cognito import start_local_cognito
from server.background import BackgroundServer
from server.cognito import lacks_operation
from server.config import load_config
from server.refresh_cookie import RefreshCookieCodec
from tests.support import (
    PASSWORD,
    STAND_IN_POOL,
    Client,
    StandInCognito,
    issued_access_token,
    local_config,
    new_account,
    serve_app,
)
from tests.support.hosted_ui import hosted_sign_in_page, submit
from tests.support.moto_server import MotoServer, app_client, user_with_password

GRACE = 30
ACCESS_TOKEN_SECONDS = 3


class Clock:
    """Real time, plus however far a test has moved it on."""

    def __init__(self):
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """{"on": ..., "off": ...}: for each, a local Cognito whose app client rotates refresh tokens (or
    not), with 3-second access tokens and a settable clock, and a server on it: (base URL, clock,
    config)."""
    started = {}
    for rotation in ("on", "off"):
        data = str(tmp_path_factory.mktemp(f"rotation-{rotation}"))
        local, config = start_local_cognito(
            load_config(
                local_config(
                    data, LOCAL_COGNITO_REFRESH_ROTATION=rotation, LOCAL_COGNITO_ROTATION_GRACE_SECONDS=str(GRACE)
                )
            ),
            access_token_seconds=ACCESS_TOKEN_SECONDS,
        )
        clock = Clock()
        local.pool.clock = clock
        server = serve_app(config, config.port)
        started[rotation] = (local, server, clock, config)
    yield {rotation: (config.base_url, clock, config) for rotation, (_, _, clock, config) in started.items()}
    for local, server, _, _ in started.values():
        server.stop()
        local.stop()


@pytest.fixture(autouse=True)
def time_starts_now(servers):
    """Each test moves the pools' clocks from now. The tokens a pool issues are dated by its clock,
    and the server allows only TOKEN_CLOCK_SKEW_SECONDS of difference, so time moved on by one test
    must not date the next test's tokens in the server's future."""
    yield
    for _, clock, _ in servers.values():
        clock.offset = 0.0


@pytest.fixture
def rotating(servers):
    return servers["on"]


def signed_in(base_url: str) -> Client:
    """A new confirmed account, signed in: a client holding its refresh cookie."""
    return new_account(base_url, "rotation")[0]


def stored(config, cookie: str):
    """What a refresh cookie holds (token and assigned user name), read with the server's secrets."""
    return RefreshCookieCodec(config.cookie_secrets, config.refresh_cookie_days).decode(cookie)


def with_cookie(base_url: str, cookie: str) -> Client:
    other = Client(base_url)
    other.cookies["__Host-refresh"] = cookie
    return other


def assert_refused_and_cleared(reply) -> None:
    assert (reply.status, reply.json["error"]) == (401, "SessionExpired"), reply.body
    assert reply.clears_cookie("__Host-refresh")


# --- rotation on -----------------------------------------------------------------------------------------


def test_ten_refreshes_in_a_row_each_rotate_and_old_cookies_end_after_the_grace(rotating):
    base_url, clock, config = rotating
    client = signed_in(base_url)
    username = stored(config, client.cookies["__Host-refresh"]).username
    old_cookies = []
    for _ in range(10):
        before = client.cookies["__Host-refresh"]
        reply = client.call("refresh")
        assert reply.status == 200, reply.body
        assert client.call("getUser", access_token=reply.json["access_token"]).status == 200
        after = stored(config, client.cookies["__Host-refresh"])
        assert after.refresh_token != stored(config, before).refresh_token  # a new token replaced it
        assert after.username == username  # with the same assigned user name
        old_cookies.append(before)
    clock.offset += GRACE + 1
    for old in old_cookies:
        assert_refused_and_cleared(with_cookie(base_url, old).call("refresh"))
    assert client.call("refresh").status == 200  # the newest still works


def test_an_old_cookie_replayed_inside_the_grace_period_still_works(rotating):
    base_url, clock, config = rotating
    client = signed_in(base_url)
    old = client.cookies["__Host-refresh"]
    assert client.call("refresh").status == 200
    clock.offset += GRACE - 5
    replay = with_cookie(base_url, old)
    reply = replay.call("refresh")
    assert reply.status == 200, reply.body
    replayed_token = stored(config, replay.cookies["__Host-refresh"]).refresh_token
    assert replayed_token not in (
        stored(config, old).refresh_token,
        stored(config, client.cookies["__Host-refresh"]).refresh_token,
    )
    clock.offset += 5
    assert_refused_and_cleared(with_cookie(base_url, old).call("refresh"))
    assert replay.call("refresh").status == 200 and client.call("refresh").status == 200


def test_two_tabs_refreshing_at_once_both_succeed_and_the_cookie_works_after(rotating):
    base_url, clock, config = rotating
    tab = signed_in(base_url)
    old = tab.cookies["__Host-refresh"]
    other_tab = with_cookie(base_url, old)
    for _ in range(3):
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            replies = list(pool.map(lambda client: client.call("refresh"), (tab, other_tab)))
        assert [reply.status for reply in replies] == [200, 200], [reply.body for reply in replies]
        # The browser has one cookie jar: whichever answer came last set the cookie.
        tokens = {
            stored(config, tab.cookies["__Host-refresh"]).refresh_token,
            stored(config, other_tab.cookies["__Host-refresh"]).refresh_token,
        }
        assert len(tokens) == 2 and stored(config, old).refresh_token not in tokens
        last = tab.cookies["__Host-refresh"]
        other_tab.cookies["__Host-refresh"] = last
        old = last
    clock.offset += GRACE + 1
    assert tab.call("refresh").status == 200  # the cookie kept holds a token that works


def test_sign_out_revokes_every_rotated_token_and_the_access_tokens_issued_from_them(rotating):
    base_url, _, _ = rotating
    client = signed_in(base_url)
    cookies, access_tokens = [], []
    for _ in range(3):
        cookies.append(client.cookies["__Host-refresh"])
        access_tokens.append(client.call("refresh").json["access_token"])
    assert client.call("signOut").status == 200
    for cookie in cookies:  # still inside their grace period, yet refused: the family is revoked
        assert_refused_and_cleared(with_cookie(base_url, cookie).call("refresh"))
    for token in access_tokens:
        assert client.call("getUser", access_token=token).status == 401


def test_global_sign_out_with_a_rotating_cookie_ends_every_session(rotating):
    base_url, _, _ = rotating
    laptop = signed_in(base_url)
    phone = with_cookie(base_url, laptop.cookies["__Host-refresh"])
    assert phone.call("refresh").status == 200  # the phone now has a family member of its own
    assert laptop.call("signOut", **{"global": True}).status == 200
    assert "__Host-refresh" not in laptop.cookies
    assert_refused_and_cleared(phone.call("refresh"))


# --- rotation off ----------------------------------------------------------------------------------------


def test_without_rotation_the_cookie_keeps_its_token_and_old_cookies_keep_working(servers):
    base_url, clock, config = servers["off"]
    client = signed_in(base_url)
    first = client.cookies["__Host-refresh"]
    token = stored(config, first).refresh_token
    for _ in range(3):
        assert client.call("refresh").status == 200
        assert stored(config, client.cookies["__Host-refresh"]).refresh_token == token
    clock.offset += 3600
    assert with_cookie(base_url, first).call("refresh").status == 200


# --- the browser session's renewal -----------------------------------------------------------------------


def hosted_ui_sign_in(base_url: str) -> Client:
    """A new account, signed in through the hosted UI: a browser with the session and refresh cookies."""
    browser, email = new_account(base_url, "browser")
    browser.jars.clear()
    landed = submit(browser, hosted_sign_in_page(browser, "/login?next=/me"), email=email, password=PASSWORD)
    assert landed.status == 200 and landed.json["signed_in"] is True, (landed.status, landed.body[:3000])
    return browser


@pytest.mark.parametrize("rotation", ["on", "off"])
def test_the_browser_session_renews_with_the_refresh_cookie_and_keeps_a_rotated_token(servers, rotation):
    base_url, clock, config = servers[rotation]
    browser = hosted_ui_sign_in(base_url)
    session, refresh = browser.cookies["__Host-session"], browser.cookies["__Host-refresh"]
    time.sleep(ACCESS_TOKEN_SECONDS + 0.5)  # the session's access token is due for renewal
    assert browser.request("GET", "/me").json["signed_in"] is True
    assert browser.cookies["__Host-session"] != session
    assert browser.call("getUser").status == 200  # the renewed access token works
    renewed = stored(config, browser.cookies["__Host-refresh"]).refresh_token
    if rotation == "off":
        assert renewed == stored(config, refresh).refresh_token
        return
    assert renewed != stored(config, refresh).refresh_token  # the rotated token was kept
    clock.offset += GRACE + 1
    assert_refused_and_cleared(with_cookie(base_url, refresh).call("refresh"))
    assert browser.call("refresh").status == 200


# --- the fall-back to REFRESH_TOKEN_AUTH, against moto's own server ----------------------------------


class CountingProxy:
    """Passes requests on to ``target`` and counts them by operation (and InitiateAuth by flow); while
    ``faults`` has answers left, a GetTokensFromRefreshToken gets the next of them instead (status,
    body, content type, and how long it waits first)."""

    def __init__(self, target: str):
        self.sent: collections.Counter[str] = collections.Counter()
        self.passed_on: collections.Counter[str] = collections.Counter()
        self.faults: list[tuple[int, bytes, str, float]] = []
        proxy = self

        class Handler(tornado.web.RequestHandler):
            async def post(self):
                operation = self.request.headers.get("X-Amz-Target", "").rpartition(".")[2]
                if operation == "InitiateAuth":
                    operation += ":" + json.loads(self.request.body).get("AuthFlow", "")
                proxy.sent[operation] += 1
                if operation == "GetTokensFromRefreshToken" and proxy.faults:
                    status, body, content_type, delay = proxy.faults.pop(0)
                    await asyncio.sleep(delay)
                    self.set_status(status)
                    self.set_header("Content-Type", content_type)
                    self.finish(body)
                    return
                proxy.passed_on[operation] += 1
                headers = {k: v for k, v in self.request.headers.items() if k.lower() not in ("host", "content-length")}
                answer = await tornado.httpclient.AsyncHTTPClient().fetch(
                    target + self.request.uri, method="POST", body=self.request.body, headers=headers, raise_error=False
                )
                self.set_status(answer.code)
                for name in ("Content-Type", "x-amzn-ErrorType", "x-amzn-RequestId"):
                    if name in answer.headers:
                        self.set_header(name, answer.headers[name])
                self.finish(answer.body)

        async def build(port: int):
            return tornado.web.Application([(r"/.*", Handler)]), None

        self._server = BackgroundServer(build).start()
        self.url = self._server.url

    def stop(self):
        self._server.stop()


@pytest.fixture(scope="module")
def moto_pool(tmp_path_factory):
    """moto's server in a process of its own, with a pool whose user name is the email itself (so
    moto's REFRESH_TOKEN_AUTH checks SECRET_HASH on the same name Cognito would), an app client with
    a secret, and a confirmed user: (endpoint, pool id, client, email)."""
    moto = MotoServer(str(tmp_path_factory.mktemp("moto") / "moto_server.log"))
    try:
        idp = moto.client()
        pool_id = idp.create_user_pool(PoolName="fallback")["UserPool"]["Id"]
        client = app_client(idp, pool_id, "app")
        email = "fallback@example.com"
        user_with_password(idp, pool_id, email, MOTO_PASSWORD)
        yield moto.url, pool_id, client, email
    finally:
        moto.stop()


MOTO_PASSWORD = "Fallback_password_1"  # moto's default policy wants digits and capitals
BARE_503 = (503, b"<html><body><b>Http/1.1 Service Unavailable</b></body></html>", "text/html", 0.0)
THROTTLED = (
    400,
    json.dumps({"__type": "TooManyRequestsException", "message": "Rate exceeded"}).encode(),
    "application/x-amz-json-1.1",
    0.0,
)
INTERNAL_ERROR = (
    500,
    json.dumps({"__type": "InternalErrorException", "message": "oops"}).encode(),
    "application/x-amz-json-1.1",
    0.0,
)
TOO_SLOW = (500, b"", "text/plain", 2.0)  # past the read timeout: nothing is read of it


def decisions(caplog) -> list[logging.LogRecord]:
    """The log records that tell which way this process refreshes tokens."""
    return [
        record
        for record in caplog.records
        if record.name == "server.cognito" and "refreshing tokens with" in record.getMessage().lower()
    ]


def test_against_moto_it_falls_back_once_and_not_on_a_passing_fault(moto_pool, caplog):
    endpoint, pool_id, app, email = moto_pool
    proxy = CountingProxy(endpoint)
    # Two attempts per call (the default): a fault that may be retried is sent twice.
    proxy.faults = [TOO_SLOW, TOO_SLOW, BARE_503, BARE_503, THROTTLED, THROTTLED, INTERNAL_ERROR, INTERNAL_ERROR]
    server = serve_app(
        load_config(
            {
                "COGNITO_REGION_NAME": "us-east-1",
                "COGNITO_USER_POOL_ID": pool_id,
                "COGNITO_USER_CLIENT_ID": app["ClientId"],
                "COGNITO_CLIENT_SECRET": app["ClientSecret"],
                "COGNITO_ENDPOINT_URL": proxy.url,
                "COOKIE_SECRET": "test-cookie-secret",
                "COGNITO_READ_TIMEOUT": "1",
                "RATE_LIMIT_PER_ADDRESS": "off",
                "RATE_LIMIT_PER_USER": "off",
            }
        )
    )
    try:
        caplog.set_level(logging.INFO, logger="server.cognito")
        client = Client(server.url)
        assert client.call("signIn", user=email, **{"pass": MOTO_PASSWORD}).status == 200
        cookie = client.cookies["__Host-refresh"]
        # Passing faults: each refresh fails as it always did, keeps the cookie, and decides nothing.
        for status, code in (
            (504, "CognitoTimeout"),
            (503, "CognitoUnavailable"),
            (429, "TooManyRequests"),
            (502, "CognitoError"),
        ):
            reply = client.call("refresh")
            assert (reply.status, reply.json["error"]) == (status, code), reply.body
            assert client.cookies["__Host-refresh"] == cookie
            assert proxy.sent["InitiateAuth:REFRESH_TOKEN_AUTH"] == 0
        assert not decisions(caplog)
        # moto's own answer (HTTP 500, an HTML page): the fall-back, at once, for good.
        for _ in range(5):
            reply = client.call("refresh")
            assert reply.status == 200, reply.body
            assert client.call("getUser", access_token=reply.json["access_token"]).status == 200
    finally:
        server.stop()
        proxy.stop()
    assert proxy.passed_on["GetTokensFromRefreshToken"] == 1  # one attempt reached moto, not retried
    assert proxy.sent["GetTokensFromRefreshToken"] == 9
    assert proxy.sent["InitiateAuth:REFRESH_TOKEN_AUTH"] == 5
    [said] = decisions(caplog)
    assert said.levelno == logging.WARNING and "does not serve GetTokensFromRefreshToken" in said.getMessage()


def test_once_cognito_has_answered_the_operation_it_is_never_given_up(caplog):
    """A stand-in that serves GetTokensFromRefreshToken: its refusals (revoked, or rotated out and
    reused) sign the person out and clear the cookie; they also settle the question for the process,
    so a later "unknown operation" answer is an error, not a reason to switch to REFRESH_TOKEN_AUTH."""
    stand_in = StandInCognito()
    server = serve_app(
        load_config(
            {
                **STAND_IN_POOL,
                "COGNITO_CLIENT_SECRET": "a-stand-in-client-secret-as-long-as-cognitos",
                "COGNITO_ENDPOINT_URL": stand_in.url,
                "COGNITO_MAX_ATTEMPTS": "1",
            }
        )
    )
    caplog.set_level(logging.INFO, logger="server.cognito")
    tokens = {
        "AccessToken": issued_access_token("5e0f-sub-id"),
        "IdToken": "i.d.t",
        "ExpiresIn": 3600,
        "TokenType": "Bearer",
    }
    try:
        stand_in.answer("InitiateAuth", body={"AuthenticationResult": dict(tokens, RefreshToken="first")})
        client = Client(server.url)
        for refusal in ("NotAuthorizedException", "RefreshTokenReuseException"):
            assert client.call("signIn", user="sam@example.com", **{"pass": PASSWORD}).status == 200
            stand_in.fail("GetTokensFromRefreshToken", refusal)
            assert_refused_and_cleared(client.call("refresh"))
            assert "__Host-refresh" not in client.cookies
        assert client.call("signIn", user="sam@example.com", **{"pass": PASSWORD}).status == 200
        stand_in.answer("GetTokensFromRefreshToken", body={"AuthenticationResult": dict(tokens, RefreshToken="next")})
        stand_in.received.clear()
        assert client.call("refresh").status == 200
        [(operation, params)] = stand_in.received
        assert operation == "GetTokensFromRefreshToken"
        assert params == {
            "ClientId": STAND_IN_POOL["COGNITO_USER_CLIENT_ID"],
            "RefreshToken": "first",
            "ClientSecret": "a-stand-in-client-secret-as-long-as-cognitos",
        }
        stand_in.fail("GetTokensFromRefreshToken", "UnknownOperationException")
        assert client.call("refresh").status != 200
        assert not [op for op, _ in stand_in.received if op == "InitiateAuth"]
    finally:
        server.stop()
        stand_in.stop()
    [said] = decisions(caplog)
    assert said.levelno == logging.INFO and "GetTokensFromRefreshToken" in said.getMessage()


@pytest.mark.parametrize(
    "status,body,lacking",
    [
        (500, b"<!doctype html><title>500 Internal Server Error</title>", True),  # moto
        (
            501,
            b'{"__type": "InternalFailure", "message": "API action \'GetTokensFromRefreshToken\' for service '
            b"'cognito-idp' not yet implemented or pro feature\"}",
            True,
        ),  # LocalStack
        (400, b'{"__type": "UnknownOperationException"}', True),  # the local Cognito, before it served it
        (
            500,
            b'{"__type": "CognitoLocal#Unsupported", "message": "Cognito Local unsupported feature: '
            b'Unsupported x-amz-target header \\"GetTokensFromRefreshToken\\""}',
            True,
        ),  # cognito-local
        (400, b'{"__type": "NotAuthorizedException", "message": "Invalid Refresh Token"}', False),
        (400, b'{"__type": "RefreshTokenReuseException"}', False),
        (400, b'{"__type": "TooManyRequestsException"}', False),
        (400, b'{"__type": "ThrottlingException"}', False),
        (500, b'{"__type": "InternalErrorException"}', False),
        (502, b"<html>Bad Gateway</html>", False),
        (503, b"<html>Service Unavailable</html>", False),
        (504, b"<html>Gateway Timeout</html>", False),
    ],
)
def test_only_an_unknown_operation_answer_means_the_endpoint_lacks_it(status, body, lacking):
    """Answers parsed by botocore's own JSON parser, as the client sees them."""
    model = botocore.session.get_session().get_service_model("cognito-idp").operation_model("GetTokensFromRefreshToken")
    parsed = botocore.parsers.create_parser("json").parse(
        {"status_code": status, "headers": {}, "body": body}, model.output_shape
    )
    error = botocore.exceptions.ClientError(parsed, "GetTokensFromRefreshToken")
    assert lacks_operation(error, frozenset(shape.name for shape in model.error_shapes)) is lacking

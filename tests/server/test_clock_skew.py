"""Tokens from a Cognito whose clock is ahead of or behind ours (TOKEN_CLOCK_SKEW_SECONDS).

First the token check itself, with tokens signed by a key of this file's own and with tokens moto's
Cognito issues from a shifted clock, so the allowance is not only shown against our local Cognito.
Then, over real HTTP, a local Cognito whose clock is set ahead or behind (LOCAL_COGNITO_CLOCK_OFFSET)
and every place the server checks a token: /callback, the browser session's renewal, the admin
methods, and photo upload, list and delete. Within the default 60 s the tokens are taken; beyond
it a token from the future is InvalidToken and one whose ``exp`` is past the allowance TokenExpired.
The offsets keep ten seconds or more from each boundary, so a slow machine does not change the answer.
"""

from __future__ import annotations

import asyncio
import html.parser
import json
import logging
import time
import types
import urllib.parse
import uuid

import boto3
import jwt
import moto.cognitoidp.models as moto_cognito
import pytest
import tornado.web
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.server import ThreadedMotoServer

from local_cognito import start_local_cognito
from local_cognito.clock import ShiftedClock
from local_cognito.tokens import TokenSigner
from server.background import BackgroundServer
from server.config import ConfigError, load_config
from server.errors import ApiError
from server.tokens import TokenVerifier
from tests.support import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    CODE,
    PASSWORD,
    Client,
    Photos,
    local_config,
    new_account,
    picture,
    serve_app,
)
from tests.support.hosted_ui import me_answer

SKEW = 60  # the default TOKEN_CLOCK_SKEW_SECONDS
ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_SKEWPOOL"
CLIENT_ID = "skew-client"
REAL_TIME = time.time
MOTO_PASSWORD = "Skewed_Clock_1"  # moto's default password policy wants an upper-case letter


# --- the token check, with tokens of a key of our own -----------------------------------------------


class OwnKey:
    """An RSA key made here, its JWKS served over HTTP, and tokens signed with it by PyJWT."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        body = json.dumps({"keys": [dict(jwk, kid=self.kid, alg="RS256", use="sig")]})

        class Handler(tornado.web.RequestHandler):
            def get(self):
                self.finish(body)

        async def build(port):
            return tornado.web.Application([(r"/jwks.json", Handler)]), None

        self._server = BackgroundServer(build).start()
        self.jwks_url = self._server.url + "/jwks.json"

    def sign(self, claims: dict) -> str:
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})

    def stop(self):
        self._server.stop()


@pytest.fixture(scope="module")
def own_key():
    key = OwnKey()
    yield key
    key.stop()


def claims_of(use: str, **times: int) -> dict:
    """An access or id token's claims, issued now unless ``times`` say otherwise."""
    now = int(time.time())
    claims = {"sub": str(uuid.uuid4()), "iss": ISSUER, "token_use": use, "iat": now, "exp": now + 3600, **times}
    claims.update({"client_id": CLIENT_ID} if use == "access" else {"aud": CLIENT_ID})
    return claims


def outcome(verifier: TokenVerifier, token: str, use: str) -> str:
    """ "accepted", or the code the token was refused with."""

    async def run():
        if use == "access":
            return await verifier.verify_access_token(token)
        return await verifier.verify_id_token(token)

    try:
        asyncio.run(run())
    except ApiError as error:
        return error.code
    return "accepted"


def verifier_for(jwks_url: str, issuer: str = ISSUER, client_id: str = CLIENT_ID, **kwargs) -> TokenVerifier:
    return TokenVerifier(jwks_url=jwks_url, issuer=issuer, client_id=client_id, **kwargs)


@pytest.mark.parametrize("use", ["access", "id"])
@pytest.mark.parametrize(
    "claim, seconds, expected",
    [
        ("iat", 50, "accepted"),
        ("iat", 70, "InvalidToken"),
        ("nbf", 50, "accepted"),
        ("nbf", 70, "InvalidToken"),
        ("exp", -50, "accepted"),
        ("exp", -70, "TokenExpired"),
    ],
)
def test_each_time_claim_gets_the_default_allowance_and_no_more(own_key, use, claim, seconds, expected):
    now = int(time.time())
    times = {claim: now + seconds}
    if claim == "exp":
        times["iat"] = now + seconds - 3600  # issued an hour before it expired
    elif claim == "iat":
        times["exp"] = now + seconds + 3600
    token = own_key.sign(claims_of(use, **times))
    assert outcome(verifier_for(own_key.jwks_url), token, use) == expected


@pytest.mark.parametrize(
    "skew, claim, seconds, expected",
    [
        (0, "iat", 0, "accepted"),
        (0, "iat", 10, "InvalidToken"),  # a pool a few seconds ahead, refused without an allowance
        (0, "exp", -10, "TokenExpired"),
        (10, "iat", 5, "accepted"),
        (10, "nbf", 20, "InvalidToken"),
        (10, "exp", -5, "accepted"),
        (10, "exp", -20, "TokenExpired"),
        (300, "iat", 290, "accepted"),
        (300, "iat", 310, "InvalidToken"),
        (300, "exp", -290, "accepted"),
        (300, "exp", -310, "TokenExpired"),
    ],
)
def test_a_configured_allowance_is_the_bound(own_key, skew, claim, seconds, expected):
    now = int(time.time())
    times = {claim: now + seconds}
    if claim == "exp":
        times["iat"] = now + seconds - 600
    token = own_key.sign(claims_of("access", **times))
    assert outcome(verifier_for(own_key.jwks_url, clock_skew_seconds=skew), token, "access") == expected


def test_a_token_from_the_future_is_logged_without_the_token(own_key, caplog):
    token = own_key.sign(claims_of("access", iat=int(time.time()) + 200, exp=int(time.time()) + 3800))
    with caplog.at_level(logging.WARNING, logger="server.tokens"):
        assert outcome(verifier_for(own_key.jwks_url), token, "access") == "InvalidToken"
    [record] = [r for r in caplog.records if r.name == "server.tokens"]
    message = record.getMessage()
    assert "TOKEN_CLOCK_SKEW_SECONDS (60 s)" in message and "ahead of this server's clock" in message
    assert token not in message and token.split(".")[1] not in message
    # A forged token with a future iat never gets that far: its signature is refused first.
    caplog.clear()
    forged = jwt.encode(
        claims_of("access", iat=int(time.time()) + 200),
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
        headers={"kid": own_key.kid},
    )
    assert outcome(verifier_for(own_key.jwks_url), forged, "access") == "InvalidToken"
    assert not [r for r in caplog.records if r.name == "server.tokens"]


# --- the setting -------------------------------------------------------------------------------------

REAL_POOL = {
    "COGNITO_REGION_NAME": "eu-west-1",
    "COGNITO_USER_POOL_ID": "eu-west-1_abc",
    "COGNITO_USER_CLIENT_ID": "client",
    "COGNITO_CLIENT_SECRET": "secret",
    "COOKIE_SECRET": "k",
}


@pytest.mark.parametrize(
    "value, expected", [(None, 60), ("", 60), ("0", 0), ("300", 300), ("12.5", 12.5), (" 90 ", 90)]
)
def test_the_allowance_setting(value, expected):
    env = dict(REAL_POOL, **({} if value is None else {"TOKEN_CLOCK_SKEW_SECONDS": value}))
    assert load_config(env).token_clock_skew_seconds == expected
    assert load_config({"TOKEN_CLOCK_SKEW_SECONDS": value or ""}).token_clock_skew_seconds == expected


@pytest.mark.parametrize("value", ["-1", "301", "3600", "abc", "nan", "inf", "1e9", "60s"])
def test_an_allowance_out_of_bounds_stops_start_up(value):
    with pytest.raises(ConfigError) as caught:
        load_config(dict(REAL_POOL, TOKEN_CLOCK_SKEW_SECONDS=value))
    assert str(caught.value) == f"TOKEN_CLOCK_SKEW_SECONDS must be a number of seconds from 0 to 300, got {value!r}."


def test_the_local_cognito_clock_offset_setting():
    assert load_config({}).local_cognito_clock_offset == 0
    assert load_config({"LOCAL_COGNITO_CLOCK_OFFSET": "-90"}).local_cognito_clock_offset == -90
    assert load_config({"LOCAL_COGNITO_CLOCK_OFFSET": "1.5"}).local_cognito_clock_offset == 1.5
    for value in ("86401", "-86401", "soon", "nan"):
        with pytest.raises(ConfigError) as caught:
            load_config({"LOCAL_COGNITO_CLOCK_OFFSET": value})
        assert str(caught.value).startswith(
            "LOCAL_COGNITO_CLOCK_OFFSET must be a number of seconds from -86400 to 86400"
        ), value


# --- tokens moto's Cognito issues from a shifted clock -------------------------------------------------


@pytest.fixture(scope="module")
def moto_pool():
    """moto's Cognito over HTTP (in this process, so its clock can be shifted), a pool, an app client
    and a user in it."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    idp = boto3.client(
        "cognito-idp",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    pool_id = idp.create_user_pool(PoolName="skew")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="skew", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(UserPoolId=pool_id, Username="alice", TemporaryPassword="Temporary_1")
    idp.admin_set_user_password(UserPoolId=pool_id, Username="alice", Password=MOTO_PASSWORD, Permanent=True)
    yield endpoint, idp, pool_id, client_id
    server.stop()


@pytest.mark.parametrize(
    "offset, expected",
    [
        (50, "accepted"),
        (70, "InvalidToken"),
        (-3650, "accepted"),  # its one-hour tokens expired 50 s ago by our clock
        (-3670, "TokenExpired"),  # 70 s ago
    ],
)
def test_tokens_of_moto_from_a_shifted_clock(moto_pool, monkeypatch, offset, expected):
    endpoint, idp, pool_id, client_id = moto_pool
    monkeypatch.setattr(moto_cognito, "time", types.SimpleNamespace(time=lambda: REAL_TIME() + offset))
    result = idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": "alice", "PASSWORD": MOTO_PASSWORD},
    )["AuthenticationResult"]
    issued = jwt.decode(result["AccessToken"], options={"verify_signature": False})
    assert abs(issued["iat"] - offset - time.time()) < 5  # moto's clock was shifted indeed
    # moto's JWKS, and its issuer (AWS's address, not the endpoint's).
    verifier = verifier_for(
        f"{endpoint}/{pool_id}/.well-known/jwks.json",
        issuer=f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id}",
        client_id=client_id,
    )
    assert outcome(verifier, result["AccessToken"], "access") == expected
    assert outcome(verifier, result["IdToken"], "id") == expected


# --- the local Cognito's clock ------------------------------------------------------------------------


def test_the_local_signer_issues_and_checks_on_its_own_clock(tmp_path):
    clock = ShiftedClock(-3700)
    signer = TokenSigner(str(tmp_path / "key.pem"), access_token_seconds=3600, clock=clock)
    access, identity, lifetime = signer.issue(
        issuer="https://example/pool",
        client_id="c",
        sub="s",
        attributes={},
        groups=[],
        origin_jti="o",
        auth_time=int(clock()),
    )
    claims = signer.verify_access_token(access)  # expired by the wall clock, not by the pool's
    assert abs(claims["iat"] - (time.time() - 3700)) < 5 and claims["exp"] - claims["iat"] == lifetime == 3600
    assert claims["exp"] < time.time()
    clock.offset = 0
    with pytest.raises(Exception) as caught:
        signer.verify_access_token(access)
    assert getattr(caught.value, "expired", None) is True


def test_the_offset_setting_reaches_the_local_cognito_and_it_still_knows_its_own_tokens(tmp_path):
    env = local_config(str(tmp_path), LOCAL_COGNITO_CLOCK_OFFSET="-90")
    local, config = start_local_cognito(load_config(env), access_token_seconds=60)
    server = serve_app(config, config.port)
    try:
        client = Client(config.base_url)
        email = f"offset-{uuid.uuid4().hex[:8]}@example.com"
        assert client.call("createAccount", user=email, **{"pass": PASSWORD}).status == 200
        tokens = client.call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD}).json
        claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
        identity = jwt.decode(tokens["id_token"], options={"verify_signature": False})
        assert abs(claims["iat"] + 90 - time.time()) < 5 and claims["exp"] - claims["iat"] == 60
        assert abs(identity["auth_time"] + 90 - time.time()) < 5
        # By our clock the token expired 30 s ago: the local Cognito, judging by its own clock, still
        # takes it (GetUser), and this server within its allowance.
        assert claims["exp"] < time.time()
        assert client.call("getUser", access_token=tokens["access_token"]).status == 200
        assert Photos(client, tokens["access_token"]).list().status == 200
    finally:
        server.stop()
        local.stop()


# --- over HTTP: a local Cognito whose clock is set ahead or behind --------------------------------------

LIFETIME = 20  # seconds: short, so that tokens from a clock 50 or 90 s behind ours have already expired
AHEAD_OR_BEHIND = [(50, "accepted"), (-50, "accepted"), (70, "InvalidToken"), (-90, "TokenExpired")]


class Skewed:
    """A local Cognito whose clock and token lifetime a test sets, and servers on it: one with the
    default allowance (it also has the hosted UI), one with none and one of 30 s (Bearer tokens only)."""

    def __init__(self, local, base_url: str, exact_url: str, thirty_url: str):
        self.local = local
        self.base_url = base_url
        self.exact_url = exact_url
        self.thirty_url = thirty_url

    def set_clock(self, offset: float, lifetime: int = LIFETIME) -> None:
        self.local.pool.clock.offset = offset
        self.local.pool.signer.access_token_seconds = lifetime


@pytest.fixture(scope="module")
def skewed_servers(tmp_path_factory):
    data = str(tmp_path_factory.mktemp("skewed-cognito"))
    env = local_config(data, LOCAL_ADMIN_EMAIL=ADMIN_EMAIL, LOCAL_ADMIN_PASSWORD=ADMIN_PASSWORD)
    local, config = start_local_cognito(load_config(env), access_token_seconds=LIFETIME)
    servers = [serve_app(config, config.port)]
    urls = [config.base_url]
    for skew in ("0", "30"):  # more servers over the same folder join the running local Cognito
        joined_env = local_config(data, TOKEN_CLOCK_SKEW_SECONDS=skew, PHOTOS_DATA=f"{data}/photos-{skew}")
        joined, joined_config = start_local_cognito(load_config(joined_env))
        assert joined.joined and joined_config.token_clock_skew_seconds == int(skew)
        servers.append(serve_app(joined_config))
        urls.append(f"http://127.0.0.1:{servers[-1].port}")
    yield Skewed(local, *urls)
    for server in servers:
        server.stop()
    local.stop()


@pytest.fixture
def skewed(skewed_servers):
    yield skewed_servers
    skewed_servers.set_clock(0)


def access_token(base_url: str, email: str, password: str = PASSWORD) -> str:
    reply = Client(base_url).call("signIn", user=email, **{"pass": password})
    assert reply.status == 200, reply.body
    return reply.json["access_token"]


def assert_refused(reply, code: str) -> None:
    assert (reply.status, reply.json["error"]) == (401, code), reply.body


class _FirstForm(html.parser.HTMLParser):
    """The first form of a page: its action, method and named fields."""

    def __init__(self):
        super().__init__()
        self.action, self.method, self.fields, self._inside = None, "GET", [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action, self.method, self._inside = attrs.get("action", ""), attrs.get("method", "GET"), True
        elif tag in ("input", "button") and self._inside and attrs.get("name"):
            self.fields.append((attrs["name"], attrs.get("type", "text"), attrs.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False


def hosted_ui_callback(base_url: str, email: str):
    """Sign in on the local Cognito's hosted UI like a browser, up to and including /callback:
    (the browser, /callback's answer)."""
    browser = Client(base_url)
    page = browser.request("GET", "/login", headers={"Accept": "text/html"}, follow=True)
    assert page.status == 200 and not page.url.startswith(base_url), (page.status, page.url)
    form = _FirstForm()
    form.feed(page.body.decode())
    values = [
        (name, email if kind == "email" or name in ("username", "email") else PASSWORD if kind == "password" else value)
        for name, kind, value in form.fields
    ]
    back = browser.request(
        form.method.upper(),
        urllib.parse.urljoin(page.url, form.action),
        urllib.parse.urlencode(values).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert back.status == 302 and "/callback?" in back.headers["Location"], (back.status, back.body[:300])
    return browser, browser.request("GET", back.headers["Location"])


@pytest.mark.parametrize("offset, expected", AHEAD_OR_BEHIND)
def test_callback(skewed, offset, expected):
    _, email = new_account(skewed.base_url, "skew")
    skewed.set_clock(offset)
    browser, callback = hosted_ui_callback(skewed.base_url, email)
    if expected == "accepted":
        assert callback.status == 302 and callback.headers["Location"] == "/", callback.body
        assert browser.request("GET", "/me").json["signed_in"] is True
        return
    assert_refused(callback, expected)
    assert "__Host-session" not in browser.cookies and "__Host-refresh" not in browser.cookies


@pytest.mark.parametrize("offset, expected", AHEAD_OR_BEHIND)
def test_admin_methods(skewed, offset, expected):
    skewed.set_clock(offset)
    token = access_token(skewed.base_url, ADMIN_EMAIL, ADMIN_PASSWORD)
    reply = Client(skewed.base_url).call("adminListUsers", access_token=token)
    if expected == "accepted":
        assert reply.status == 200 and ADMIN_EMAIL in json.dumps(reply.json), reply.body
    else:
        assert_refused(reply, expected)


@pytest.mark.parametrize("offset, expected", AHEAD_OR_BEHIND)
def test_photo_upload_list_and_delete(skewed, offset, expected):
    client, email = new_account(skewed.base_url, "skew")
    kept = Photos(client, access_token(skewed.base_url, email)).upload(picture(), "on our clock").json["photo"]
    skewed.set_clock(offset)
    photos = Photos(client, access_token(skewed.base_url, email))
    if expected == "accepted":
        uploaded = photos.upload(picture(), "on a skewed clock")
        assert uploaded.status == 201, uploaded.body
        assert {p["id"] for p in photos.list().json["photos"]} == {kept["id"], uploaded.json["photo"]["id"]}
        assert photos.delete(uploaded.json["photo"]["id"]).status == 200
        assert photos.delete(kept["id"]).status == 200
        assert photos.list().json["photos"] == []
        return
    assert_refused(photos.upload(picture(), "refused"), expected)
    assert_refused(photos.list(), expected)
    assert_refused(photos.delete(kept["id"]), expected)
    skewed.set_clock(0)
    assert [p["id"] for p in Photos(client, access_token(skewed.base_url, email)).list().json["photos"]] == [kept["id"]]


def test_a_configured_allowance_over_http(skewed):
    """No allowance refuses a pool 10 s ahead (the server's old behaviour); one of 30 s takes 20 s
    either way and refuses 40 s ahead or a token expired 40 s ago."""
    client, email = new_account(skewed.base_url, "skew")
    for offset, server, expected in (
        (10, skewed.exact_url, "InvalidToken"),
        (10, skewed.base_url, "accepted"),
        (20, skewed.thirty_url, "accepted"),
        (40, skewed.thirty_url, "InvalidToken"),
        (-35, skewed.thirty_url, "accepted"),  # expired 15 s ago
        (-60, skewed.thirty_url, "TokenExpired"),
    ):  # 40 s ago
        skewed.set_clock(offset)
        reply = Photos(Client(server), access_token(skewed.base_url, email)).list()
        if expected == "accepted":
            assert (reply.status, reply.json) == (200, {"photos": []}), (offset, server, reply.body)
        else:
            assert_refused(reply, expected)


# --- the browser session's renewal ------------------------------------------------------------------------

RENEWAL_LIFETIME = 2  # seconds: the session renews its access token after that long


def signed_in_browser(skewed, email: str) -> Client:
    browser, callback = hosted_ui_callback(skewed.base_url, email)
    assert callback.status == 302, callback.body
    assert browser.request("GET", "/me").json["signed_in"] is True
    return browser


@pytest.mark.parametrize("offset", [50, -50])
def test_a_session_renews_on_a_clock_ahead_or_behind_once_per_lifetime(skewed, offset):
    _, email = new_account(skewed.base_url, "skew")
    skewed.set_clock(offset, RENEWAL_LIFETIME)
    browser = signed_in_browser(skewed, email)
    first = browser.cookies["__Host-session"]
    for _ in range(2):  # renewed each time the token's lifetime has passed, and signed in throughout
        time.sleep(RENEWAL_LIFETIME + 0.5)
        me = browser.request("GET", "/me")
        assert me.json["signed_in"] is True, me.body
        renewed = browser.cookies["__Host-session"]
        assert renewed != first
        # Right after a renewal nothing is renewed again: no renewal on every request.
        again = browser.request("GET", "/me")
        assert again.json["signed_in"] is True and not again.set_cookies()
        assert browser.request("GET", "/photos").json == {"photos": []}  # the renewed token is taken
        first = renewed


@pytest.mark.parametrize("path", ["/me", "/photos"])
@pytest.mark.parametrize("offset, expected", [(70, "InvalidToken"), (-90, "TokenExpired")])
def test_a_renewal_beyond_the_allowance_signs_out_once(skewed, path, offset, expected):
    _, email = new_account(skewed.base_url, "skew")
    skewed.set_clock(0, RENEWAL_LIFETIME)
    browser = signed_in_browser(skewed, email)
    skewed.set_clock(offset, RENEWAL_LIFETIME)  # the pool's clock jumps
    time.sleep(RENEWAL_LIFETIME + 0.5)
    reply = browser.request("GET", path)
    assert_refused(reply, expected)
    cleared = [c for c in reply.set_cookies() if "Max-Age=0" in c]
    assert {c.split("=", 1)[0] for c in cleared} == {"__Host-session", "__Host-refresh"}
    # Signed out, so the next request tries no renewal.
    after = browser.request("GET", "/me")
    assert after.json == me_answer() and not after.set_cookies()

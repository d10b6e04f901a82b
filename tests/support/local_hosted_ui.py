"""The local Cognito's hosted UI driven as a browser does (cookies kept by hand, no redirect
followed) and as the app's server does (the token and userInfo endpoints): the authorize request
with PKCE, the sign-in form, the code back at the app's callback, and the answers' checks."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import http.client
import secrets
import urllib.parse
from http.cookies import SimpleCookie

from local_cognito.endpoint import LocalCognito
from local_cognito.service import LocalUserPool
from tests.support.accounts import PASSWORD
from tests.support.http import Reply

# The app whose hosted-UI settings tests/local_cognito/conftest.py gives its pools.
APP = "http://localhost:3006"
CALLBACK = f"{APP}/callback"
SIGNED_OUT = f"{APP}/"


class Browser:
    """Keeps cookies as a browser does for the local Cognito's host; follows no redirects."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        if path.startswith(self.base_url):
            path = path[len(self.base_url) :]
        assert path.startswith("/"), f"the browser would leave the local Cognito for {path}"
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        url = urllib.parse.urlsplit(self.base_url)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            reply = Reply(response.status, response.headers, response.read())
        finally:
            connection.close()
        for header in reply.set_cookies():
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return reply

    def get(self, path: str, params: dict[str, str] | None = None) -> Reply:
        return self.request("GET", path + ("?" + urllib.parse.urlencode(params) if params else ""))

    def post(self, path: str, fields: dict[str, str]) -> Reply:
        return self.request(
            "POST", path, urllib.parse.urlencode(fields).encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        )


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclasses.dataclass
class Authorization:
    """One authorize request the app made: its parameters and the PKCE verifier it kept."""

    params: dict[str, str]
    verifier: str

    @property
    def state(self) -> str:
        return self.params["state"]


def authorization(pool: LocalUserPool, **overrides: str | None) -> Authorization:
    verifier, challenge = pkce()
    params = {
        "response_type": "code",
        "client_id": pool.client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid email profile",
        "state": secrets.token_urlsafe(12),
        "nonce": secrets.token_urlsafe(12),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return Authorization({k: v for k, v in params.items() if v is not None}, verifier)


def sign_in_page(browser: Browser, request: Authorization) -> Reply:
    started = browser.get("/oauth2/authorize", request.params)
    assert started.status == 302 and started.location.startswith("/login?"), started.text
    page = browser.get(started.location)
    assert page.status == 200 and "Sign in" in page.text
    return page


def submit_password(browser: Browser, page: Reply, email: str, password: str = PASSWORD) -> Reply:
    return browser.post("/login", dict(page.form("/login"), email=email, password=password))


def code_from(reply: Reply, request: Authorization) -> str:
    """The code in a redirect back to the app, after checking it is one (with the right state)."""
    assert reply.status == 302, reply.text
    assert reply.location.startswith(CALLBACK + "?")
    query = reply.redirect_query()
    assert query["state"] == request.state
    return query["code"]


def hosted_sign_in(
    browser: Browser, pool: LocalUserPool, email: str, **overrides: str | None
) -> tuple[Authorization, str]:
    request = authorization(pool, **overrides)
    return request, code_from(submit_password(browser, sign_in_page(browser, request), email), request)


def basic(client_id: str, client_secret: str) -> str:
    pair = f"{urllib.parse.quote_plus(client_id)}:{urllib.parse.quote_plus(client_secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def server_call(
    local: LocalCognito, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> Reply:
    url = urllib.parse.urlsplit(local.endpoint_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def token_request(
    local: LocalCognito,
    pool: LocalUserPool,
    fields: dict[str, str],
    *,
    auth: str | None = "basic",
    content_type: str = "application/x-www-form-urlencoded",
) -> Reply:
    headers = {"Content-Type": content_type}
    if auth == "basic":
        headers["Authorization"] = basic(pool.client_id, pool.client_secret)
    elif auth is not None:
        headers["Authorization"] = auth
    return server_call(local, "POST", "/oauth2/token", urllib.parse.urlencode(fields).encode(), headers)


def exchange(
    local: LocalCognito, pool: LocalUserPool, request: Authorization, code: str, **overrides: str | None
) -> Reply:
    fields = {
        "grant_type": "authorization_code",
        "client_id": pool.client_id,
        "code": code,
        "redirect_uri": request.params["redirect_uri"],
        "code_verifier": request.verifier,
    }
    fields.update(overrides)
    return token_request(local, pool, {k: v for k, v in fields.items() if v is not None})


def assert_oauth_error(reply: Reply, error: str, status: int = 400) -> None:
    assert reply.status == status, reply.text
    assert reply.json["error"] == error and reply.json["error_description"]
    assert reply.headers["Content-Type"].startswith("application/json")


def user_info(local: LocalCognito, access_token: str | None, method: str = "GET") -> Reply:
    headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
    return server_call(local, method, "/oauth2/userInfo", b"" if method == "POST" else None, headers)


def error_page(reply: Reply, status: int = 400) -> str:
    """The text of an error page, after checking it is one and redirects nowhere."""
    assert reply.status == status, reply.text
    assert reply.location is None
    assert reply.headers["Content-Type"].startswith("text/html")
    return reply.text

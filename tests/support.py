"""Test helpers: the app on a real HTTP server in a thread, a client that keeps cookies like a
browser on localhost, and a stand-in Cognito that answers whatever a test tells it to."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
import urllib.error
import urllib.request
from http.cookies import SimpleCookie
from typing import Any, Callable

import tornado.web

from server.app import make_app
from server.background import BackgroundServer
from server.config import Config
from server.services import Services

CODE = "123456"  # LOCAL_COGNITO_CODE in the tests
PASSWORD = "I_love_apples"
ADMIN_EMAIL = "admin@example.com"  # LOCAL_ADMIN_EMAIL in the tests
ADMIN_PASSWORD = "Admin_password_1"


def serve_app(config: Config) -> BackgroundServer:
    async def build(port: int):
        services = await Services.start(config)
        return make_app(services), services.close

    return BackgroundServer(build).start()


@dataclasses.dataclass
class Reply:
    status: int
    headers: Any
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def set_cookies(self) -> list[str]:
        return self.headers.get_all("Set-Cookie") or []


class Client:
    """POSTs to the server and keeps cookies as a browser does on http://localhost (where Secure
    cookies are allowed): set by Set-Cookie, removed by Max-Age=0, sent back in Cookie."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str = "/", body: bytes | None = None,
                headers: dict[str, str] | None = None, send_cookies: bool = True) -> Reply:
        all_headers = dict(headers or {})
        if send_cookies and self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        request = urllib.request.Request(self.base_url + path, data=body, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                reply = Reply(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            reply = Reply(error.code, error.headers, error.read())
        for header in reply.set_cookies():
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return reply

    def post(self, payload: Any, content_type: str | None = "application/json", **kwargs) -> Reply:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"Content-Type": content_type} if content_type else {}
        return self.request("POST", "/", body, headers, **kwargs)

    def call(self, env: str, **fields: Any) -> Reply:
        return self.post({"env": env, **fields})


class StandInCognito:
    """A Cognito-compatible endpoint whose answers a test sets: per operation, a status and body,
    and an optional delay. Records the operations and parameters it was sent."""

    def __init__(self):
        self.answers: dict[str, tuple[int, dict, float]] = {}
        self.received: list[tuple[str, dict]] = []
        self.headers: list[dict[str, str]] = []
        stand_in = self

        class Handler(tornado.web.RequestHandler):
            async def post(self):
                operation = self.request.headers.get("X-Amz-Target", "").split(".")[-1]
                stand_in.received.append((operation, json.loads(self.request.body or b"{}")))
                stand_in.headers.append(dict(self.request.headers))
                status, body, delay = stand_in.answers.get(operation, (200, {}, 0.0))
                if delay:
                    await asyncio.sleep(delay)
                self.set_status(status)
                self.set_header("Content-Type", "application/x-amz-json-1.1")
                self.finish(json.dumps(body))

        async def build(port: int):
            return tornado.web.Application([(r"/", Handler)]), None

        self._server = BackgroundServer(build).start()
        self.url = self._server.url

    def answer(self, operation: str, status: int = 200, body: dict | None = None, delay: float = 0.0):
        self.answers[operation] = (status, body or {}, delay)

    def fail(self, operation: str, cognito_code: str, status: int = 400, message: str = "secret details"):
        self.answer(operation, status, {"__type": cognito_code, "message": message})

    def stop(self):
        self._server.stop()


def wait_for_port(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(urllib.request.Request(url, method="OPTIONS"), timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(url)

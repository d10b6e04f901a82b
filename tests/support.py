"""Test helpers: the app on a real HTTP server in a thread, a client that keeps cookies like a
browser on localhost, and a stand-in Cognito that answers whatever a test tells it to."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import os
import socket
import time
import urllib.error
import uuid
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie
from typing import Any

import jwt
import tornado.web
from PIL import Image

from server.app import make_app
from server.background import BackgroundServer
from server.config import Config
from server.services import Services

CODE = "123456"  # LOCAL_COGNITO_CODE in the tests
PASSWORD = "I_love_apples"
ADMIN_EMAIL = "admin@example.com"  # LOCAL_ADMIN_EMAIL in the tests
ADMIN_PASSWORD = "Admin_password_1"


def serve_app(config: Config, port: int = 0) -> BackgroundServer:
    async def build(bound_port: int):
        services = await Services.start(config)
        return make_app(services), services.close

    return BackgroundServer(build, port).start()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def local_config(data_dir: str, **env: str) -> dict[str, str]:
    """The environment of a local-mode server for tests: a port chosen now, so the hosted UI's
    callback address ({BASE_URL}/callback) is known before the local Cognito starts. The rate
    limits are far above what a test sends, since every test calls from 127.0.0.1; the rate-limit
    tests set their own."""
    port = free_port()
    return {"LOCAL_COGNITO_DATA": data_dir, "LOCAL_COGNITO_CODE": CODE, "LOCAL_COGNITO_PORT": "0",
            "PORT": str(port), "BASE_URL": f"http://127.0.0.1:{port}",
            "PHOTOS_DATA": os.path.join(data_dir, "photos"),
            "RATE_LIMIT_PER_ADDRESS": "100000/60", "RATE_LIMIT_PER_USER": "100000/60", **env}


@dataclasses.dataclass
class Reply:
    status: int
    headers: Any
    body: bytes
    url: str = ""  # where the answer came from (after redirects)
    # Set-Cookie headers of every answer on the way, redirects included.
    history_set_cookies: list[str] = dataclasses.field(default_factory=list)

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def set_cookies(self) -> list[str]:
        return self.headers.get_all("Set-Cookie") or []


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the redirect is answered as it is; Client follows it itself when asked


_opener = urllib.request.build_opener(_NoRedirects)


class Client:
    """Talks to the server as a browser on http://localhost does: keeps cookies per host (Secure
    ones too, as browsers do for loopback), set by Set-Cookie, removed by Max-Age=0, sent back in
    Cookie; follows redirects only when asked (``follow=True``), across hosts."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.jars: dict[str, dict[str, str]] = {}

    @property
    def cookies(self) -> dict[str, str]:
        """The server's own cookies."""
        return self.jar(self.base_url)

    @cookies.setter
    def cookies(self, value: dict[str, str]) -> None:
        jar = self.jar(self.base_url)
        jar.clear()
        jar.update(value)

    def jar(self, url: str) -> dict[str, str]:
        return self.jars.setdefault(urllib.parse.urlsplit(url).netloc, {})

    def request(self, method: str, path: str = "/", body: bytes | None = None,
                headers: dict[str, str] | None = None, send_cookies: bool = True, follow: bool = False) -> Reply:
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        seen: list[str] = []
        for _ in range(20):
            reply = self._once(method, url, body, headers, send_cookies)
            seen += reply.set_cookies()
            if not (follow and reply.status in (301, 302, 303, 307, 308) and reply.headers.get("Location")):
                reply.history_set_cookies = seen
                return reply
            url = urllib.parse.urljoin(url, reply.headers["Location"])
            if reply.status in (301, 302, 303):
                method, body = "GET", None
        raise AssertionError("too many redirects")

    def _once(self, method: str, url: str, body: bytes | None, headers: dict[str, str] | None,
              send_cookies: bool) -> Reply:
        jar = self.jar(url)
        all_headers = dict(headers or {})
        if send_cookies and jar:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        request = urllib.request.Request(url, data=body, method=method, headers=all_headers)
        try:
            with _opener.open(request, timeout=30) as response:
                reply = Reply(response.status, response.headers, response.read(), url)
        except urllib.error.HTTPError as error:
            reply = Reply(error.code, error.headers, error.read(), url)
        for header in reply.set_cookies():
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0":
                    jar.pop(name, None)
                else:
                    jar[name] = morsel.value
        return reply

    def post(self, payload: Any, content_type: str | None = "application/json", **kwargs) -> Reply:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"Content-Type": content_type} if content_type else {}
        return self.request("POST", "/", body, headers, **kwargs)

    def call(self, env: str, **fields: Any) -> Reply:
        return self.post({"env": env, **fields})


# A real-pool configuration for a server pointed at a stand-in (add COGNITO_ENDPOINT_URL).
STAND_IN_POOL = {"COGNITO_REGION_NAME": "us-east-1", "COGNITO_USER_POOL_ID": "us-east-1_stand1n",
                 "COGNITO_USER_CLIENT_ID": "standinclient", "COGNITO_CLIENT_SECRET": "standin-secret",
                 "COOKIE_SECRET": "test-cookie-secret"}


def issued_access_token(username: str = "5e0f-sub-id") -> str:
    """An access token as a stand-in Cognito hands it out: the server reads the claims of a token
    Cognito has just issued without checking its signature, so any key will do."""
    return jwt.encode({"username": username, "token_use": "access"}, "k" * 32, algorithm="HS256")


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


def picture(kind: str = "JPEG", size=(400, 200), orientation: int | None = None) -> bytes:
    """A real picture: red on the left half, blue on the right."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    output = io.BytesIO()
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        image.save(output, kind, exif=exif.tobytes())
    else:
        image.save(output, kind)
    return output.getvalue()


def form(photo: bytes | None, description: str | bytes | None = None, filename: str = "photo.jpg",
         file_type: str = "image/jpeg") -> tuple[bytes, dict[str, str]]:
    """A multipart/form-data body as a browser sends it."""
    boundary = uuid.uuid4().hex
    parts = []
    if description is not None:
        text = description if isinstance(description, bytes) else description.encode()
        parts.append(b'Content-Disposition: form-data; name="description"\r\n\r\n' + text)
    if photo is not None:
        parts.append(f'Content-Disposition: form-data; name="photo"; filename="{filename}"\r\n'
                     f"Content-Type: {file_type}\r\n\r\n".encode() + photo)
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    body += b"--" + boundary.encode() + b"--\r\n"
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


class Photos:
    """A signed-in person's side of the photos API."""

    def __init__(self, client: Client, token: str):
        self.client = client
        self.token = token

    def headers(self, extra: dict | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def upload(self, photo: bytes | None, description: str | bytes | None = "", **kwargs):
        body, headers = form(photo, description, **kwargs)
        return self.client.request("POST", "/photos", body, self.headers(headers))

    def list(self):
        return self.client.request("GET", "/photos", headers=self.headers())

    def get(self, photo_id: str, kind: str):
        return self.client.request("GET", f"/photos/{photo_id}/{kind}", headers=self.headers())

    def delete(self, photo_id: str):
        return self.client.request("DELETE", f"/photos/{photo_id}", headers=self.headers())

"""HTTP as the tests speak it: ``Client``, which talks to a server as a browser on localhost does
(cookies kept, redirects followed when asked), the ``Reply`` it gets (with the forms of a page),
multipart bodies as a browser sends them, and ``Photos``, a signed-in person's side of the photos API."""

from __future__ import annotations

import dataclasses
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from typing import Any


class _Forms(HTMLParser):
    """The forms of a page: action -> {field name: value} (hidden and pre-filled fields)."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append((attrs.get("action", ""), {}))
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1][1][attrs["name"]] = attrs.get("value") or ""


@dataclasses.dataclass
class Reply:
    """An answer: its status, headers and body, and for ``Client`` where it came from."""

    status: int
    headers: Any
    body: bytes
    url: str = ""  # where the answer came from (after redirects)
    # Set-Cookie headers of every answer on the way, redirects included.
    history_set_cookies: list[str] = dataclasses.field(default_factory=list)

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")

    def redirect_query(self) -> dict[str, str]:
        """The query of the URL it redirects to."""
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.location).query))

    def set_cookies(self) -> list[str]:
        return self.headers.get_all("Set-Cookie") or []

    def clears_cookie(self, name: str) -> bool:
        """Whether it removes the cookie ``name`` (an empty value, gone at once)."""
        return any(header.startswith(f"{name}=;") and "Max-Age=0" in header for header in self.set_cookies())

    def form(self, action: str) -> dict[str, str]:
        """The fields of the page's form that posts to ``action``, as the page fills them."""
        parser = _Forms()
        parser.feed(self.text)
        found = [fields for form_action, fields in parser.forms if form_action == action]
        assert found, f"no form posting to {action} in {self.text}"
        return dict(found[0])


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

    def request(
        self,
        method: str,
        path: str = "/",
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        send_cookies: bool = True,
        follow: bool = False,
    ) -> Reply:
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

    def _once(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str] | None, send_cookies: bool
    ) -> Reply:
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


def form(
    photo: bytes | None,
    description: str | bytes | None = None,
    filename: str = "photo.jpg",
    file_type: str = "image/jpeg",
) -> tuple[bytes, dict[str, str]]:
    """A multipart/form-data body as a browser sends it."""
    boundary = uuid.uuid4().hex
    parts = []
    if description is not None:
        text = description if isinstance(description, bytes) else description.encode()
        parts.append(b'Content-Disposition: form-data; name="description"\r\n\r\n' + text)
    if photo is not None:
        parts.append(
            f'Content-Disposition: form-data; name="photo"; filename="{filename}"\r\n'
            f"Content-Type: {file_type}\r\n\r\n".encode()
            + photo
        )
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

"""Our cookies' shared shape: the Set-Cookie header of a ``__Host-`` cookie, and reading one cookie
out of a Cookie request header.

The cookies themselves: the refresh cookie (``server.refresh_cookie``), the hosted-UI browser
session (``server.browser_session``), and the OAuth state between ``/login`` and ``/callback``
(``handlers.hosted_ui``).
"""

from __future__ import annotations

from tornado.httputil import parse_cookie


def host_cookie_header(name: str, value: str, max_age: int, same_site: str) -> str:
    """A Set-Cookie header for one of our ``__Host-`` cookies: Secure, HttpOnly, Path=/ and no Domain,
    as the prefix demands. ``max_age`` 0 deletes it (with an Expires in the past for old browsers)."""
    expires = "; Expires=Thu, 01 Jan 1970 00:00:00 GMT" if max_age == 0 else ""
    return f"{name}={value}; Max-Age={max_age}{expires}; Path=/; Secure; HttpOnly; SameSite={same_site}"


def read_cookie(cookie_header: str, name: str) -> str | None:
    """The value of cookie ``name`` in a Cookie request header, or None.

    Tornado's lenient parser: one malformed cookie from another app on the same host must not hide
    ours.
    """
    return parse_cookie(cookie_header or "").get(name) or None

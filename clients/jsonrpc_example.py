"""Calls the server's JSON-RPC 2.0 side from a script: creates an account, confirms it, signs in,
refreshes from the refresh cookie, reads the account with the access token and deletes it, printing
each step. Requests are built and answers parsed by jsonrpcclient; requests carries them.

    python clients/jsonrpc_example.py --user you@example.com --password I_love_apples

Without --code it asks for the confirmation code from the email (in local mode the server prints
it on its console, and LOCAL_COGNITO_CODE pins it).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import sys
import urllib.parse
from typing import Any

import requests
from jsonrpcclient import Error, parse, request

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


class CallFailed(Exception):
    """A method answered a JSON-RPC error; ``code`` is the server's error code from ``data``."""

    def __init__(self, method: str, code: str, message: str):
        super().__init__(f"{method} failed: {code}: {message}")
        self.code = code


class LoopbackCookiePolicy(http.cookiejar.DefaultCookiePolicy):
    """Lets the refresh cookie, which is ``Secure``, go back to a server on http://localhost, as
    browsers and curl allow. requests sends cookies through a jar with the default policy, which
    keeps Secure cookies for https, so this policy stores the loopback server's cookies without
    the flag; they are host-only, so they still go nowhere but to that server."""

    def set_ok(self, cookie: http.cookiejar.Cookie, http_request: Any) -> bool:
        if not super().set_ok(cookie, http_request):
            return False
        if urllib.parse.urlsplit(http_request.get_full_url()).hostname in LOOPBACK_HOSTS:
            cookie.secure = False
        return True


class Backend:
    """The endpoint at ``url``: one JSON-RPC request per call, on one Session, so the refresh
    cookie set by a sign-in goes back with ``refresh``, ``signOut`` and ``deleteAcct``."""

    def __init__(self, url: str):
        self.url = url
        self.session = requests.Session()
        self.session.cookies.set_policy(LoopbackCookiePolicy())

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        reply = self.session.post(self.url, json=request(method, params=params), timeout=30)
        reply.raise_for_status()  # JSON-RPC answers are HTTP 200; anything else is no answer
        response = parse(reply.json())
        if isinstance(response, Error):
            # data carries the server's own code (e.g. CodeMismatch) and its sentence.
            data = response.data or {}
            raise CallFailed(method, data.get("error", str(response.code)), data.get("message", response.message))
        return response.result


def walkthrough(backend: Backend, user: str, password: str, code: str | None) -> None:
    created = backend.call("createAccount", user=user, **{"pass": password})
    delivery = created["delivery"]
    print(f"createAccount: OK, confirmation code sent by {delivery['medium']} to {delivery['destination']}")

    if code is None:
        code = input("Confirmation code from the email: ")
    confirmed = backend.call("confirmAccount", user=user, conf_code=code, **{"pass": password})
    print(f"confirmAccount: OK, signed in (access token for {confirmed['expires_in']} s)")

    backend.call("signIn", user=user, **{"pass": password})
    print("signIn: OK, tokens in the answer, the refresh token in an HttpOnly cookie")

    # No password: the session sends back the refresh cookie.
    access_token = backend.call("refresh")["access_token"]
    print("refresh: OK, a new access token from the refresh cookie")

    account = backend.call("getUser", access_token=access_token)
    attributes = account["attributes"]
    print(f"getUser: OK, {attributes['email']} (email verified: {attributes['email_verified']})")

    backend.call("deleteAcct", access_token=access_token)
    print("deleteAcct: OK, the account is deleted")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://localhost:3006/", help="the endpoint (default: %(default)s)")
    parser.add_argument("--user", required=True, help="the account's email address")
    parser.add_argument("--password", required=True, help="its password (at least 8 characters)")
    parser.add_argument("--code", help="the confirmation code; asked for when not given")
    args = parser.parse_args(argv)

    try:
        walkthrough(Backend(args.url), args.user, args.password, args.code)
    except CallFailed as failure:
        print(failure, file=sys.stderr)
        return 1
    except requests.RequestException as failure:
        print(f"No answer from {args.url}: {failure}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""deploy/nginx.conf in front of two ``tornado_server.py`` processes that share one local Cognito.

The real nginx runs the shipped file, changed only where a test must (ports, certificate, folders),
over TLS with a certificate made here. The tests show that the tutorial's walkthrough works across
the two processes (signed in by one, refreshed by the other), that the servers count a client by the
address it connects from whatever X-Forwarded-For it sends, that nginx itself refuses bodies larger
than the server takes, and that plain HTTP is sent to HTTPS. nginx and the servers behind it are
started by ``tests.support.nginx``.
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import uuid

import pytest

from server.errors import CATALOGUE
from tests.support import CODE, PASSWORD, form
from tests.support.nginx import Browser, request_id, start_stack

# Calls per client address to the guessable methods, per server process. The window is far longer
# than the tests, so that no budget refills while a test is spending it.
RATE_LIMIT_CALLS = 8
RATE_LIMIT = f"{RATE_LIMIT_CALLS}/86400"

# Linux routes all of 127.0.0.0/8 to loopback: each test's client connects from an address of its
# own, so that one test's rate-limit budget is not another's. nginx forwards from 127.0.0.1.
WALKTHROUGH_CLIENT = "127.0.0.4"
LIMITS_CLIENT = "127.0.0.5"


@pytest.fixture(scope="module")
def stack(request, tmp_path_factory):
    return start_stack(str(tmp_path_factory.mktemp("nginx")), request.addfinalizer, RATE_LIMIT_PER_ADDRESS=RATE_LIMIT)


def test_the_walkthrough_through_nginx_signs_in_on_one_process_and_refreshes_on_the_other(stack):
    browser = Browser(stack, WALKTHROUGH_CLIENT)
    email = f"walker-{uuid.uuid4().hex[:10]}@example.com"

    reply = browser.post({"env": "createAccount", "user": email, "pass": PASSWORD})
    assert reply.status == 200 and reply.json["message"] == "OK", reply.body
    assert reply.headers["Strict-Transport-Security"] == "max-age=63072000"
    reply = browser.post({"env": "confirmAccount", "user": email, "pass": PASSWORD, "conf_code": CODE})
    assert reply.status == 200 and reply.json["access_token"], reply.body

    reply = browser.post({"env": "signIn", "user": email, "pass": PASSWORD})
    assert reply.status == 200 and reply.json["access_token"], reply.body
    # nginx passes the refresh cookie on as the server wrote it.
    [refresh_cookie] = [c for c in reply.set_cookies() if c.startswith("__Host-refresh=")]
    assert {"Secure", "HttpOnly", "Path=/", "SameSite=Strict"} <= {a.strip() for a in refresh_cookie.split(";")}
    assert "refresh" not in reply.body.decode().lower()
    signed_in_by = stack.served_by(request_id(reply))

    # nginx takes the processes in turn: the refresh lands on the other one within a few tries
    # (each try is a successful refresh too).
    refreshed_by: list[str] = []
    for _ in range(6):
        reply = browser.post({"env": "refresh"})
        assert reply.status == 200 and reply.json["access_token"], reply.body
        refreshed_by.append(stack.served_by(request_id(reply)))
        if refreshed_by[-1] != signed_in_by:
            break
    assert refreshed_by[-1] != signed_in_by, f"signed in by {signed_in_by}, every refresh by {refreshed_by}"
    access_token = reply.json["access_token"]

    reply = browser.post(
        {"env": "changePass", "old_pass": PASSWORD, "new_pass": PASSWORD + "_again", "access_token": access_token}
    )
    assert reply.status == 200 and reply.json["other_sessions_ended"] is True, reply.body
    assert reply.json["access_token"] != access_token
    assert browser.post({"env": "signIn", "user": email, "pass": PASSWORD}).status == 401
    reply = browser.post({"env": "signIn", "user": email, "pass": PASSWORD + "_again"})
    assert reply.status == 200, reply.body

    reply = browser.post({"env": "deleteAcct", "access_token": reply.json["access_token"]})
    assert reply.status == 200 and "__Host-refresh" not in browser.cookies, reply.body
    assert browser.post({"env": "signIn", "user": email, "pass": PASSWORD + "_again"}).status == 401


@pytest.mark.parametrize(
    "client, neighbour",
    [
        ("127.0.0.2", "127.0.0.3"),
        # On nginx's own machine the client's address is a trusted proxy's: were nginx to append to the
        # client's X-Forwarded-For instead of replacing it, the server would take the spoofed entry.
        ("127.0.0.1", "127.0.0.6"),
    ],
    ids=["remote client", "client on the proxy's machine"],
)
def test_a_spoofed_x_forwarded_for_does_not_get_around_the_per_address_limit(stack, client, neighbour):
    spoofer = Browser(stack, client)
    answers = []  # (process, reply), in order
    # More calls than both processes' budgets together: whichever way nginx spreads them, one
    # process sees more than its budget.
    for attempt in range(2 * RATE_LIMIT_CALLS + 2):
        # A different made-up address each time (and a different user, so only the address repeats).
        forged = [f"203.0.113.{attempt + 1}", f"198.51.100.{attempt + 1}, 127.0.0.1", "127.0.0.1"][attempt % 3]
        reply = spoofer.post(
            {"env": "signIn", "user": f"nobody-{uuid.uuid4().hex[:10]}@example.com", "pass": "not the password"},
            {"X-Forwarded-For": forged},
        )
        answers.append((stack.served_by(request_id(reply)), reply))

    for _, reply in answers:
        if reply.status == 429:
            assert reply.json["error"] == "RateLimited", reply.body
            assert int(reply.headers["Retry-After"]) > 0
        else:
            assert reply.status == 401 and reply.json["error"] == "NotAuthorized", reply.body
    # Within the budget the calls are answered; beyond each process's budget every one is refused.
    assert all(reply.status == 401 for _, reply in answers[:RATE_LIMIT_CALLS]), [r.status for _, r in answers]
    for name in stack.servers:
        served = [reply.status for process, reply in answers if process == name]
        assert all(status == 429 for status in served[RATE_LIMIT_CALLS:]), (name, served)
    assert any(reply.status == 429 for _, reply in answers), [r.status for _, r in answers]

    # Another address has its own budget.
    other = Browser(stack, neighbour)
    for _ in range(2):
        reply = other.post(
            {"env": "signIn", "user": f"nobody-{uuid.uuid4().hex[:10]}@example.com", "pass": "not the password"}
        )
        assert reply.status == 401 and reply.json["error"] == "NotAuthorized", reply.body


def padded_refresh(size: int) -> bytes:
    """A valid POST / body of exactly ``size`` bytes."""
    body = b'{"env": "refresh"}'
    return body + b" " * (size - len(body))


def assert_refused_by_nginx(stack, reply, code: str) -> None:
    """nginx answered 413 itself, with the server's own JSON for ``code``, and passed nothing on."""
    assert reply.status == 413, reply.body
    assert reply.json == {"message": CATALOGUE[code].message, "error": code}
    refused = request_id(reply)
    assert "upstream=- " in stack.nginx.access_log_line(refused)
    assert not stack.logged_by_a_server(refused)


def test_nginx_refuses_a_body_larger_than_the_server_takes_before_it_reaches_a_process(stack):
    browser = Browser(stack, LIMITS_CLIENT)

    # 64 KiB exactly is the server's to answer (no session cookie here).
    reply = browser.post(padded_refresh(64 * 1024))
    assert reply.status == 401 and reply.json["error"] == "NoSession", reply.body
    stack.served_by(request_id(reply))

    # One byte more: nginx answers, with the server's JSON, and passes nothing on.
    assert_refused_by_nginx(stack, browser.post(padded_refresh(64 * 1024 + 1)), "BodyTooLarge")


def test_nginx_keeps_metrics_from_the_public(stack):
    """/metrics is answered by nginx itself, as the server answers a path it does not serve."""
    reply = Browser(stack, LIMITS_CLIENT).request("GET", "/metrics")
    assert reply.status == 404, reply.body
    assert reply.json == {"message": "There is nothing at this address. POST JSON to /.", "error": "UnknownMethod"}
    assert "upstream=- " in stack.nginx.access_log_line(request_id(reply))


def test_nginx_lets_a_5_mib_photo_through_and_refuses_a_larger_body(stack):
    browser = Browser(stack, LIMITS_CLIENT)
    photo = os.urandom(5 * 1024 * 1024)

    # A 5 MiB photo passes nginx; with no access token the server refuses it.
    body, headers = form(photo, "a full-size photo")
    reply = browser.request("POST", "/photos", body, headers)
    assert reply.status == 401 and reply.json["error"] == "MissingToken", reply.body
    stack.served_by(request_id(reply))

    body, headers = form(photo + photo[: 1024 * 1024 + 1], "too large")
    assert_refused_by_nginx(stack, browser.request("POST", "/photos", body, headers), "PhotoTooLarge")


def test_plain_http_is_redirected_to_https(stack):
    for method, body in (("GET", None), ("POST", b'{"env": "refresh"}')):
        connection = http.client.HTTPConnection("127.0.0.1", stack.ports.http, timeout=10)
        try:
            connection.request(method, "/healthz?from=http", body, {"Host": f"localhost:{stack.ports.http}"})
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        assert response.status == 301
        assert response.headers["Location"] == f"https://localhost:{stack.ports.https}/healthz?from=http"

    # Where it leads: a process answers, over TLS with HTTP/2 on offer.
    reply = Browser(stack, LIMITS_CLIENT).request("GET", "/healthz?from=http")
    assert reply.status == 200 and reply.json == {"status": "alive"}
    stack.served_by(request_id(reply))
    context = ssl.create_default_context(cafile=stack.cert_path)
    context.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection(("127.0.0.1", stack.ports.https), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.selected_alpn_protocol() == "h2"
            assert tls.version() in ("TLSv1.2", "TLSv1.3")

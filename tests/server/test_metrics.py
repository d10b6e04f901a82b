"""``GET /metrics`` over real HTTP, read with prometheus_client's own parser: requests by route
pattern, HTTP method and status, and their durations; Cognito calls by operation and outcome;
rate-limit refusals; requests in flight; the local Cognito's operations and storage failures; and
nothing a caller sent (ids, user names, passwords, tokens, query strings) in any of it."""

from __future__ import annotations

import dataclasses
import logging
import socket
import time
import urllib.parse
import uuid

from local_cognito import start_local_cognito
from server.config import load_config
from tests.support import CODE, PASSWORD, Client, local_config, serve_app
from tests.support.data_folder import unwritable
from tests.support.metrics import scrape

REQUESTS = "cognito_backend_http_requests_total"
DURATION_COUNT = "cognito_backend_http_request_duration_seconds_count"
COGNITO_CALLS = "cognito_backend_cognito_calls_total"
COGNITO_DURATION_COUNT = "cognito_backend_cognito_call_duration_seconds_count"


def test_requests_are_counted_by_route_pattern_method_and_status(base_url, client):
    photo_id = f"photo{uuid.uuid4().hex[:10]}"
    before = scrape(base_url)
    assert client.request("DELETE", f"/photos/{photo_id}").status == 401
    assert client.request("GET", "/healthz").status == 200
    assert client.request("DELETE", "/healthz").status == 405
    assert client.request("GET", f"/no-such-{photo_id}").status == 404
    assert client.call(f"no{photo_id}").status == 400
    after = scrape(base_url)

    def grew(route: str, method: str, status: str) -> float:
        return after.value(REQUESTS, route=route, method=method, status=status) - before.value(
            REQUESTS, route=route, method=method, status=status
        )

    assert grew("/photos/{photo_id}", "DELETE", "401") == 1
    assert grew("/healthz", "GET", "200") == 1
    assert grew("/healthz", "DELETE", "405") == 1
    assert grew("unmatched", "GET", "404") == 1
    assert grew("/", "POST", "400") == 1
    # The duration histogram counts the same requests, by route and method.
    assert (
        after.value(DURATION_COUNT, route="/photos/{photo_id}", method="DELETE")
        - before.value(DURATION_COUNT, route="/photos/{photo_id}", method="DELETE")
    ) == 1
    # Never the path a caller wrote: neither the id nor the unknown path.
    assert photo_id not in after.text


def test_a_method_no_route_takes_is_counted_as_other(base_url):
    """A client may send any token as its method: it is not made a label."""
    before = scrape(base_url)
    host, port = urllib.parse.urlsplit(base_url).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(b"BREWCOFFEE /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert b" 405 " in connection.recv(4096).split(b"\r\n")[0]
    after = scrape(base_url)
    assert (
        after.value(REQUESTS, route="/healthz", method="other", status="405")
        - before.value(REQUESTS, route="/healthz", method="other", status="405")
    ) == 1
    assert "BREWCOFFEE" not in after.text


def test_cognito_calls_are_counted_by_operation_and_outcome(base_url, client, email):
    before = scrape(base_url)
    assert client.call("createAccount", user=email, **{"pass": PASSWORD}).status == 200
    assert client.call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD}).status == 200
    assert client.call("signIn", user=email, **{"pass": PASSWORD + "-wrong"}).status == 401
    after = scrape(base_url)

    def grew(name: str, **labels: str) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    assert grew(COGNITO_CALLS, operation="SignUp", outcome="ok") == 1
    assert grew(COGNITO_CALLS, operation="InitiateAuth", outcome="NotAuthorized") == 1
    assert grew(COGNITO_DURATION_COUNT, operation="SignUp") == 1
    # confirmAccount confirms, then signs in: InitiateAuth ok once more.
    assert grew(COGNITO_CALLS, operation="InitiateAuth", outcome="ok") == 1
    # The local Cognito counted the same operations, by the errors it answered.
    assert grew("local_cognito_operations_total", operation="SignUp", outcome="ok") == 1
    assert grew("local_cognito_operations_total", operation="InitiateAuth", outcome="NotAuthorizedException") == 1


def test_nothing_a_caller_sent_is_in_the_metrics(base_url, signed_in):
    client, email, answer = signed_in
    client.request("GET", "/callback?code=code-in-the-query-123&state=state-in-the-query-456")
    text = scrape(base_url).text
    for secret in (
        email,
        email.split("@")[0],
        PASSWORD,
        answer["access_token"],
        answer["id_token"],
        *client.cookies.values(),
        "code-in-the-query-123",
        "state-in-the-query-456",
    ):
        assert secret not in text


def test_rate_limit_refusals_are_counted_by_method(config, email):
    server = serve_app(dataclasses.replace(config, rate_limit_per_user=(1, 60.0)))
    try:
        client = Client(server.url)
        before = scrape(server.url)
        assert client.call("signIn", user=email, **{"pass": PASSWORD}).status == 401  # no such account yet
        assert client.call("signIn", user=email, **{"pass": PASSWORD}).status == 429
        assert client.call("forgotPassword", user=email).status != 429  # its own counter
        after = scrape(server.url)
    finally:
        server.stop()
    name = "cognito_backend_rate_limit_refusals_total"
    assert after.value(name, method="signIn") - before.value(name, method="signIn") == 1
    assert after.value(name, method="forgotPassword") == before.value(name, method="forgotPassword")
    assert email not in after.text


def test_requests_in_flight_are_counted_until_answered(base_url):
    """A POST whose body is still coming is in flight (as a stopping server sees it)."""
    gauge = "cognito_backend_http_requests_in_flight"
    idle = scrape(base_url).value(gauge)  # the scrape itself is one
    host, port = urllib.parse.urlsplit(base_url).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 20\r\nConnection: close\r\n\r\n{"env":'
        )
        deadline = time.monotonic() + 10
        while scrape(base_url).value(gauge) != idle + 1:
            assert time.monotonic() < deadline, "the request in flight was never counted"
            time.sleep(0.05)
        connection.sendall(b' "getUser"}'.ljust(13))
        assert connection.recv(4096).startswith(b"HTTP/1.1 ")
    deadline = time.monotonic() + 10
    while scrape(base_url).value(gauge) != idle:
        assert time.monotonic() < deadline, "the answered request stayed in flight"
        time.sleep(0.05)


def test_scrapes_are_counted_but_not_logged(base_url, caplog):
    before = scrape(base_url)
    with caplog.at_level(logging.INFO, logger="server.access"):
        scrape(base_url)
        assert Client(base_url).request("GET", "/healthz").status == 200
        # The server logs a request once it has answered it, and answers the next one after that.
        after = scrape(base_url)
    lines = [record.getMessage() for record in caplog.records if record.name == "server.access"]
    assert any(" /healthz " in line for line in lines)
    assert not any("/metrics" in line for line in lines)
    assert (
        after.value(REQUESTS, route="/metrics", method="GET", status="200")
        - before.value(REQUESTS, route="/metrics", method="GET", status="200")
    ) == 2


def test_metrics_off_serves_no_metrics(config):
    server = serve_app(dataclasses.replace(config, metrics=False))
    try:
        reply = Client(server.url).request("GET", "/metrics")
    finally:
        server.stop()
    assert reply.status == 404
    assert reply.json["error"] == "UnknownMethod"


def test_the_local_cognito_counts_the_changes_it_could_not_store(tmp_path):
    folder = tmp_path / "local-cognito"
    local, config = start_local_cognito(load_config(local_config(str(folder))))
    server = serve_app(config)
    try:
        client = Client(server.url)
        before = scrape(server.url)
        with unwritable(str(folder)):
            reply = client.call("createAccount", user=f"u-{uuid.uuid4().hex[:8]}@example.com", **{"pass": PASSWORD})
        after = scrape(server.url)
    finally:
        server.stop()
        local.stop()
    assert reply.status == 503 and reply.json["error"] == "LocalStorageUnavailable"
    name = "local_cognito_storage_failures_total"
    assert after.value(name) - before.value(name) == 1
    assert (
        after.value("local_cognito_operations_total", operation="SignUp", outcome="LocalStorageUnavailableException")
        - before.value("local_cognito_operations_total", operation="SignUp", outcome="LocalStorageUnavailableException")
    ) == 1
    assert (
        after.value(COGNITO_CALLS, operation="SignUp", outcome="LocalStorageUnavailable")
        - before.value(COGNITO_CALLS, operation="SignUp", outcome="LocalStorageUnavailable")
    ) == 1

"""``tornado_server.py`` as real processes: graceful stop on SIGTERM, several processes on one port,
and a second local-mode server joining the local Cognito that already runs over its data folder."""

from __future__ import annotations

import concurrent.futures
import contextlib
import http.client
import json
import os
import signal
import socket
import time

import pytest

from tests.support import (
    PASSWORD,
    STAND_IN_POOL,
    Client,
    ServerProcess,
    StandInCognito,
    free_port,
    issued_access_token,
    local_server,
    run_server,
)

ACCESS_TOKEN = issued_access_token()
TOKENS = {
    "AuthenticationResult": {
        "AccessToken": ACCESS_TOKEN,
        "IdToken": "i.d.t",
        "RefreshToken": "r",
        "ExpiresIn": 3600,
        "TokenType": "Bearer",
    }
}


def real_pool_server(cognito_url: str, port: int, **env: str) -> ServerProcess:
    """The server in real-pool mode, pointed at a stand-in Cognito; ``env`` adds settings."""
    return ServerProcess(
        port,
        {**STAND_IN_POOL, "COGNITO_ENDPOINT_URL": cognito_url, "COGNITO_READ_TIMEOUT": "30", **env},
        host="127.0.0.1",
    )


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


def sign_in_held_at_cognito(
    pool: concurrent.futures.ThreadPoolExecutor, client: Client, stand_in: StandInCognito
) -> concurrent.futures.Future:
    """A signIn sent from another thread, returned once it has reached the (slow) stand-in."""
    in_flight = pool.submit(client.call, "signIn", user="a@example.com", **{"pass": PASSWORD})
    deadline = time.monotonic() + 10
    while not stand_in.received:
        assert time.monotonic() < deadline and not in_flight.done(), "the signIn never reached Cognito"
        time.sleep(0.02)
    return in_flight


@pytest.fixture
def stand_in():
    cognito = StandInCognito()
    yield cognito
    cognito.stop()


@contextlib.contextmanager
def sigterm_with_a_sign_in_in_flight(stand_in: StandInCognito, cognito_seconds: float, **env: str):
    """A server (with ``env`` added to its settings) sent SIGTERM while its signIn waits
    ``cognito_seconds`` at the stand-in: yields (the server process, its port, the signIn's future,
    when the signal was sent)."""
    stand_in.answer("InitiateAuth", body=TOKENS, delay=cognito_seconds)
    port = free_port()
    server = real_pool_server(stand_in.url, port, **env)
    with concurrent.futures.ThreadPoolExecutor() as pool:
        in_flight = sign_in_held_at_cognito(pool, Client(f"http://127.0.0.1:{port}"), stand_in)
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        yield server, port, in_flight, signalled


def test_sigterm_lets_requests_in_flight_finish_and_exits_0(stand_in):
    with sigterm_with_a_sign_in_in_flight(stand_in, 2.0) as (server, port, in_flight, signalled):
        deadline = time.monotonic() + 1.5
        while not refuses_connections(port):  # no new connections once stopping
            assert time.monotonic() < deadline, "still accepting connections after SIGTERM"
            time.sleep(0.05)
        reply = in_flight.result(timeout=10)
    output = server.wait_for_exit(timeout=15)
    assert reply.status == 200 and reply.json["access_token"] == ACCESS_TOKEN, output
    assert server.process.returncode == 0, output
    assert time.monotonic() - signalled < 5
    assert "Stopping" in output and "POST / signIn 200" in output


def test_a_request_still_running_after_10_seconds_is_cut_off_and_the_exit_is_still_0(stand_in):
    with sigterm_with_a_sign_in_in_flight(stand_in, 25.0) as (server, _port, in_flight, signalled):
        output = server.wait_for_exit(timeout=20)
        stopped_after = time.monotonic() - signalled
        with pytest.raises(Exception):  # noqa: B017 (the connection is closed under it: any client error)
            in_flight.result(timeout=10)
    assert server.process.returncode == 0, output
    assert 9.5 <= stopped_after < 13, stopped_after
    assert "still in flight after 10 s" in output


def test_a_shorter_drain_seconds_cuts_a_slow_request_off_sooner(stand_in):
    with sigterm_with_a_sign_in_in_flight(stand_in, 25.0, DRAIN_SECONDS="2") as (server, _port, in_flight, signalled):
        output = server.wait_for_exit(timeout=20)
        stopped_after = time.monotonic() - signalled
        with pytest.raises(Exception):  # noqa: B017 (the connection is closed under it: any client error)
            in_flight.result(timeout=10)
    assert server.process.returncode == 0, output
    assert 1.5 <= stopped_after < 6, stopped_after
    assert "finishing requests in flight (up to 2 s)" in output
    assert "1 requests were still in flight after 2 s" in output


def test_readyz_answers_503_while_stopping(stand_in):
    """A load balancer polling /readyz on a kept-alive connection sees the server leave."""
    stand_in.answer("InitiateAuth", body=TOKENS, delay=2.0)
    port = free_port()
    server = real_pool_server(stand_in.url, port)
    try:
        probe = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        probe.request("GET", "/readyz")
        first = probe.getresponse()
        first.read()
        # /readyz fetches the pool's JWKS, which the POST-only stand-in cannot serve.
        assert first.status == 503 and first.getheader("Content-Type").startswith("application/json")
        probe.request("GET", "/healthz")
        alive = probe.getresponse()
        assert alive.status == 200 and json.loads(alive.read()) == {"status": "alive"}
        with concurrent.futures.ThreadPoolExecutor() as pool:
            client = Client(f"http://127.0.0.1:{port}")
            in_flight = sign_in_held_at_cognito(pool, client, stand_in)
            server.process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 5
            while True:  # the signal takes effect soon after, not at once
                probe.request("GET", "/readyz")
                stopping = probe.getresponse()
                if json.loads(stopping.read())["error"] == "Stopping":
                    break
                assert time.monotonic() < deadline, "/readyz never said Stopping"
            assert stopping.status == 503
            assert in_flight.result(timeout=10).status == 200
    finally:
        output = server.stop(check=False)
    assert server.process.returncode == 0, output


def test_processes_share_one_port_and_stop_together(tmp_path):
    port = free_port()
    server = local_server(
        str(tmp_path / "cognito"),
        port,
        args=("--processes", "2"),
        LOG_FORMAT="json",
        RATE_LIMIT_PER_USER="1000/60",
        RATE_LIMIT_PER_ADDRESS="1000/60",
    )
    client = Client(server.url)
    email = "two@example.com"
    assert client.call("createAccount", user=email, **{"pass": PASSWORD}).status == 200
    assert client.call("confirmAccount", user=email, conf_code="110260", **{"pass": PASSWORD}).status == 200
    # Each request on a new connection: the kernel spreads them over both processes.
    statuses = [Client(server.url).call("signIn", user=email, **{"pass": PASSWORD}).status for _ in range(40)]
    signed_in = Client(server.url)
    signed_in.call("signIn", user=email, **{"pass": PASSWORD})
    refreshed = [Client(server.url) for _ in range(30)]  # all on one process: about 1 run in 10^9
    for other in refreshed:
        other.cookies = dict(signed_in.cookies)
    refresh_statuses = [other.call("refresh").status for other in refreshed]
    supervisor_pid = server.process.pid
    output = server.stop()
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    served_by = {record["pid"] for record in records if record.get("rpc") == "signIn"}
    refreshed_by = {record["pid"] for record in records if record.get("rpc") == "refresh"}
    assert set(statuses) == {200} and set(refresh_statuses) == {200}
    assert len(served_by) == 2 and supervisor_pid not in served_by, served_by
    assert len(refreshed_by) == 2, "every refresh was served by one process"
    # Both workers drained and exited with the supervisor.
    assert sum("Stopping" in record["message"] for record in records) == 2
    for pid in served_by:
        assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/status").read().find("zombie") >= 0


def test_processes_that_cannot_listen_stop_the_server_with_an_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_server(
            "--port",
            str(port),
            "--processes",
            "2",
            timeout=60,
            LOCAL_COGNITO_DATA=str(tmp_path),
            LOCAL_COGNITO_PORT="0",
            PHOTOS_DATA=str(tmp_path / "photos"),
        )
    assert result.returncode == 1, result.stderr
    assert f"Cannot serve on port {port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_second_local_mode_server_joins_the_running_local_cognito(tmp_path):
    data = str(tmp_path / "cognito")
    first = local_server(data, free_port())
    try:
        second = local_server(data, free_port())
        try:
            one, two = Client(first.url), Client(second.url)
            email = "shared@example.com"
            assert one.call("createAccount", user=email, **{"pass": PASSWORD}).status == 200
            # The account made through one server is confirmed and used through the other.
            assert two.call("confirmAccount", user=email, conf_code="110260", **{"pass": PASSWORD}).status == 200
            assert one.call("signIn", user=email, **{"pass": PASSWORD}).status == 200
            two.cookies = dict(one.cookies)
            assert two.call("refresh").status == 200
        finally:
            second_output = second.stop()
    finally:
        first_output = first.stop()
    assert "Joined the local Cognito" in second_output
    assert second_output.count("Local Cognito: no AWS account needed") == 0
    assert "Local Cognito: no AWS account needed" in first_output
    # The folder is free again: the next server runs its own local Cognito.
    assert not os.path.exists(os.path.join(data, "running.json"))


def child_pids(pid: int) -> list[int]:
    """The processes ``pid`` started: its workers (and multiprocessing's helper)."""
    with open(f"/proc/{pid}/task/{pid}/children") as listing:
        return [int(child) for child in listing.read().split()]


def test_a_second_server_on_a_port_that_processes_share_is_refused(tmp_path):
    port = free_port()
    first = local_server(str(tmp_path / "one"), port, args=("--processes", "2"))
    try:
        second = run_server(
            "--port",
            str(port),
            "--processes",
            "2",
            timeout=60,
            LOCAL_COGNITO_DATA=str(tmp_path / "two"),
            LOCAL_COGNITO_PORT="0",
            PHOTOS_DATA=str(tmp_path / "two-photos"),
        )
    finally:
        first.stop()
    assert second.returncode == 1, second.stderr
    assert f"Cannot serve on port {port}: it is in use" in second.stderr


def test_workers_stop_when_the_supervisor_is_killed_outright(tmp_path):
    port = free_port()
    server = local_server(str(tmp_path / "cognito"), port, args=("--processes", "2"))
    workers = child_pids(server.process.pid)
    assert len(workers) >= 2
    server.process.kill()
    server.wait_for_exit(timeout=20)
    deadline = time.monotonic() + 15
    while any(os.path.exists(f"/proc/{pid}") and "zombie" not in open(f"/proc/{pid}/status").read() for pid in workers):
        assert time.monotonic() < deadline, "a worker went on without its supervisor"
        time.sleep(0.1)
    assert refuses_connections(port)


def test_ctrl_c_to_the_whole_process_group_exits_0(tmp_path):
    port = free_port()
    server = ServerProcess(
        port,
        {"LOCAL_COGNITO_DATA": str(tmp_path), "LOCAL_COGNITO_PORT": "0", "PHOTOS_DATA": str(tmp_path / "photos")},
        args=("--processes", "2"),
        wait=False,
        new_session=True,
    )
    started = []
    for line in server.process.stdout:  # until every worker listens (the supervisor says so)
        started.append(line)
        if "worker processes serve port" in line:
            break
    os.killpg(server.process.pid, signal.SIGINT)  # what a terminal sends every process of the group on Ctrl-C
    output = server.wait_for_exit(timeout=30)
    output = "".join(started) + output
    assert server.process.returncode == 0, output
    assert "Traceback" not in output

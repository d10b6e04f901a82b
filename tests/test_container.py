"""The container image: the Containerfile built with podman (FROM a Debian base made here with
mmdebstrap, since no image registry is reachable), then run in local mode, where the tutorial's
walkthrough passes against it across a restart, and with a real pool, against a stand-in Cognito on
the host and against moto's own server (which this project did not write), and refusing to start on
an incomplete pool configuration; ``podman stop`` lets a request in flight finish and the server
(Python, the container's first process) exit 0 within its drain time; the image's HEALTHCHECK
reports it healthy.

Fails (never skips) when podman, runc or mmdebstrap is missing: ``bash .ci/run`` installs them.
"""

from __future__ import annotations

import concurrent.futures
import os
import socket
import subprocess
import sys
import time
import uuid

import pytest

from tests.support import (
    PASSWORD,
    ROOT,
    STAND_IN_POOL,
    Client,
    Photos,
    StandInCognito,
    free_port,
    issued_access_token,
    picture,
)
from tests.support.against_moto import sign_in, signed_up
from tests.support.container_base import debian_base_image
from tests.support.moto_server import MotoServer, make_pool
from tests.support.podman import Container, build_image, inspect_image, limits, podman, podman_command
from tests.support.processes import LOCAL_SERVER_CODE
from tests.support.tutorial import walk_through_after_a_restart, walk_through_before_a_restart

# The server's drain time on SIGTERM by default, and the stop timeout docs/production.md gives
# containers: more than the drain, so that a drained server is never killed.
DRAIN_SECONDS = 10
STOP_TIMEOUT_SECONDS = DRAIN_SECONDS + 5
APP_USER = 10001
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
# How long Cognito holds the sign-in in flight when the container is told to stop: long enough for
# podman to deliver the signal on a busy machine, well within the drain time.
HELD_SECONDS = 5.0
# How soon after "podman stop" starts the server must no longer accept connections.
STOP_SIGNAL_SECONDS = 4.0

# Run in the image: every module the server's code imports (at the top or inside a function) that
# is neither the standard library nor the server's own, imported for real; the names that fail.
IMPORTS_CHECK = """
import ast, importlib, pathlib, sys
own = {"server", "handlers", "local_cognito", "tornado_server", "deploy"}
names = set()
for path in pathlib.Path("/app").rglob("*.py"):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
outside = sorted(n for n in names if n.split(".")[0] not in own | set(sys.stdlib_module_names))
failed = []
for name in outside:
    try:
        importlib.import_module(name)
    except Exception as error:
        failed.append(f"{name}: {error!r}")
print(len(outside), "modules;", "failed:", failed)
"""


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.fail(
            "The container test runs podman as root (as .ci/run does): its images are kept in root's "
            "storage, and it hands the container's data folder to the image's user.",
            pytrace=False,
        )
    return build_image(debian_base_image(str(tmp_path_factory.mktemp("base-image"))))


@pytest.fixture
def containers():
    """Starts containers (``Container``) named for this test run; removes them afterwards."""
    started: list[Container] = []

    def start(image: str, env: dict[str, str], *options: str) -> Container:
        container = Container(
            image, f"cognito-backend-test-{uuid.uuid4().hex[:12]}", env, *options, stop_seconds=STOP_TIMEOUT_SECONDS
        )
        started.append(container)
        return container

    yield start
    for container in started:
        container.remove()


def test_the_image_runs_one_server_process_as_a_user_with_a_health_check(image):
    config = inspect_image(image)
    assert config["Config"]["User"] == f"{APP_USER}:{APP_USER}"
    assert config["Config"]["Cmd"] == ["python", "tornado_server.py"]  # one process: no --processes
    assert config["Config"]["StopSignal"] == "SIGTERM"
    assert "HOST=0.0.0.0" in config["Config"]["Env"]
    assert config["Healthcheck"]["Test"] == ["CMD", "/opt/venv/bin/python", "/app/deploy/healthcheck.py"]
    assert podman("run", "--rm", *limits(), image, "id").split() == [
        f"uid={APP_USER}(app)",
        f"gid={APP_USER}(app)",
        f"groups={APP_USER}(app)",
    ]
    # The server's files only: no tests, no set_backend_env.sh, no data folder or .env of the checkout.
    assert podman("run", "--rm", *limits(), image, "ls", "-A", "/app").split() == [
        "__pycache__",
        "deploy",
        "handlers",
        "local_cognito",
        "server",
        "tornado_server.py",
        "web",
    ]


def test_the_image_holds_every_package_the_server_imports_none_of_the_tests_and_ca_certificates(image):
    ran = podman("run", "--rm", *limits(), image, "python", "-c", IMPORTS_CHECK)
    count, _, failed = ran.strip().partition(" modules; failed: ")
    assert failed == "[]" and int(count) > 20, ran
    # requirements.txt also pins what the tests use: the image has none of it.
    absent = podman(
        "run",
        "--rm",
        *limits(),
        image,
        "python",
        "-c",
        "import importlib.util as u; print([n for n in ('pytest', 'playwright', 'schemathesis', "
        "'hypothesis', 'flask', 'psutil') if u.find_spec(n)])",
    )
    assert absent.strip() == "[]"
    # The server's own HTTPS requests (the pool's keys, the hosted UI's token exchange) trust the
    # system's certificates, as Tornado's client does: the image has them.
    trusted = podman(
        "run",
        "--rm",
        *limits(),
        image,
        "python",
        "-c",
        "import ssl; print(ssl.create_default_context().cert_store_stats()['x509_ca'])",
    )
    assert int(trusted) > 100


def test_in_local_mode_the_walkthrough_passes_against_the_container_across_a_restart(image, containers, tmp_path):
    data = tmp_path / "data"  # the container's /data: the local Cognito's pool and the photos
    data.mkdir()
    os.chown(data, APP_USER, APP_USER)
    port = free_port()
    options = ("--publish", f"127.0.0.1:{port}:3006", "--volume", f"{data}:/data")
    url = f"http://localhost:{port}"
    client = Client(url)

    first = containers(image, {"LOCAL_COGNITO_CODE": LOCAL_SERVER_CODE}, *options)
    first.wait_until_serving(url)
    assert client.request("GET", "/readyz").json == {"status": "ready"}
    before = walk_through_before_a_restart(client)
    assert first.health_check() == (0, "healthy")
    # One process, Python itself as the first: the local Cognito runs inside it, nothing else does.
    assert first.processes() == ["1 python tornado_server.py"]
    seconds = first.stop()
    assert first.state()["ExitCode"] == 0 and seconds < DRAIN_SECONDS, first.logs()
    first_log = first.logs()

    # Another container over the same /data: the user, the session and the photos are still there.
    second = containers(image, {"LOCAL_COGNITO_CODE": LOCAL_SERVER_CODE}, *options)
    second.wait_until_serving(url)
    walk_through_after_a_restart(client, before)
    assert not os.listdir(data / "photos" / "objects")  # the account's photos went with it
    second.stop()
    assert second.state()["ExitCode"] == 0

    log = first_log + second.logs()
    assert "Local Cognito" in log and LOCAL_SERVER_CODE in log  # the banner, and the "email" with the code
    assert "server[1]: Stopping" in log  # Python is the container's first process, and SIGTERM reached it
    for secret in ("I_love_apples", before.access_token):
        assert secret not in log


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


def health_check_on_the_host(port: int) -> int:
    """The image's health check script, run here against the container on the host's network."""
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port)}
    return subprocess.run(
        [sys.executable, os.path.join(ROOT, "deploy", "healthcheck.py")], env=env, capture_output=True, timeout=30
    ).returncode


def test_with_a_real_pool_the_container_signs_in_and_drains_on_podman_stop(image, containers):
    stand_in = StandInCognito()  # on the host's loopback: the container shares the host's network
    try:
        stand_in.answer("InitiateAuth", body=TOKENS)
        port = free_port()
        env = {
            **STAND_IN_POOL,
            "COGNITO_ENDPOINT_URL": stand_in.url,
            "COGNITO_READ_TIMEOUT": "30",
            "PORT": str(port),
            "HOST": "127.0.0.1",
        }
        container = containers(image, env, "--network", "host")
        url = f"http://127.0.0.1:{port}"
        container.wait_until_serving(url)

        reply = Client(url).call("signIn", user="a@example.com", **{"pass": PASSWORD})
        assert reply.status == 200 and reply.json["access_token"] == ACCESS_TOKEN, reply.body
        operation, params = stand_in.received[-1]
        assert operation == "InitiateAuth" and params["AuthParameters"]["SECRET_HASH"]  # computed in the container
        assert container.health_check() == (0, "healthy")
        assert health_check_on_the_host(port) == 0

        stand_in.answer("InitiateAuth", body=TOKENS, delay=HELD_SECONDS)
        stand_in.received.clear()
        with concurrent.futures.ThreadPoolExecutor() as pool:
            in_flight = pool.submit(Client(url).call, "signIn", user="a@example.com", **{"pass": PASSWORD})
            deadline = time.monotonic() + 10
            while not stand_in.received:
                assert time.monotonic() < deadline and not in_flight.done(), "the signIn never reached Cognito"
                time.sleep(0.02)
            stopping = pool.submit(container.stop)
            deadline = time.monotonic() + STOP_SIGNAL_SECONDS
            while not refuses_connections(port):  # no new connections once stopping
                assert time.monotonic() < deadline, "still accepting connections after podman stop"
                time.sleep(0.05)
            assert not in_flight.done(), "the signIn was over before the server began to stop"
            reply = in_flight.result(timeout=30)
            seconds = stopping.result(timeout=60)
        log = container.logs()
        assert reply.status == 200 and reply.json["access_token"] == ACCESS_TOKEN, log
        # It waited for the request (not cut off), and exited by itself within the drain time.
        assert HELD_SECONDS - 1 < seconds < DRAIN_SECONDS, (seconds, log)
        assert container.state()["ExitCode"] == 0, log
        assert "server[1]: Stopping" in log
        assert health_check_on_the_host(port) == 1
    finally:
        stand_in.stop()


def test_an_incomplete_pool_configuration_stops_the_container_naming_what_is_missing(image):
    """The configuration comes from the environment, and is checked before anything is served."""
    ran = subprocess.run(
        podman_command(
            "run",
            "--rm",
            *limits(),
            "--env",
            "COGNITO_USER_POOL_ID=us-east-1_abc",
            "--env",
            "COGNITO_CLIENT_SECRET=a-secret-to-keep",
            image,
        ),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 2, ran.stderr
    assert "Cannot start: The Cognito configuration is incomplete" in ran.stderr
    assert "COGNITO_REGION_NAME" in ran.stderr and "COGNITO_USER_CLIENT_ID" in ran.stderr
    assert "Traceback" not in ran.stderr and "a-secret-to-keep" not in ran.stderr + ran.stdout


def test_with_a_real_pool_at_motos_server_accounts_tokens_and_photos_work(image, containers, tmp_path):
    """moto's server on the host plays the pool: sign-up, confirmation, sign-in, refresh, and the
    photos API, which checks moto's access tokens against the pool's keys fetched from the container."""
    moto = MotoServer(str(tmp_path / "moto_server.log"))
    try:
        # User names that are the emails themselves: moto checks a refresh's SECRET_HASH on the name
        # Cognito checks it on only there (test_moto_gap_refresh_secret_hash_is_checked_on_the_email).
        pool = make_pool(moto.client(), "container", email_as_user_name=False)
        port = free_port()
        # The settings in a file, one NAME=value a line, as docs/production.md runs a real pool.
        env_file = tmp_path / "cognito.env"
        settings = {**pool.settings(moto), "PORT": str(port), "HOST": "127.0.0.1"}
        env_file.write_text("".join(f"{name}={value}\n" for name, value in settings.items()))
        container = containers(image, {}, "--env-file", str(env_file), "--network", "host")
        url = f"http://127.0.0.1:{port}"
        container.wait_until_serving(url)

        client, email, confirmed = signed_up(url)
        refreshed = client.call("refresh")
        assert refreshed.status == 200 and refreshed.json["access_token"], refreshed.body
        tokens = sign_in(url, email)
        photos = Photos(Client(url), tokens["access_token"])
        assert photos.list().json["photos"] == []
        photo = photos.upload(picture(), "kept in the container's /data").json["photo"]
        assert photos.list().json["photos"] == [photo]
        assert photos.get(photo["id"], "image").body == picture()
        assert Photos(Client(url), confirmed["access_token"] + "x").list().status == 401
        assert client.request("GET", "/readyz").json == {"status": "ready"}
        container.stop()
        assert container.state()["ExitCode"] == 0
        log = container.logs()
        assert "Traceback" not in log and PASSWORD not in log and pool.client_secret not in log
    finally:
        moto.stop()

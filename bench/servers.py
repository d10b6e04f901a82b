"""The servers under test: what each one is, and each in a process (group) of its own.

Every server signs in against the stand-in Cognito (``server_env`` points it there); ``sign_in_once``
is the one signIn that tells a server is up, and settled after a cell.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.procfs import children_of, command_line
from bench.standin_tokens import POOL_ENV

ROOT = Path(__file__).resolve().parent.parent

USER = "bench@example.com"
PASSWORD = "Bench_password_1"
SIGN_IN_BODY = json.dumps({"env": "signIn", "user": USER, "pass": PASSWORD}, separators=(",", ":"))
# Far above anything the benchmark sends, yet not "off": the limiter still runs on every signIn.
UNREACHED_RATE_LIMIT = "100000000/60"

# Variables that would change what is measured (another mode, another pool, other limits).
CLEARED_ENV = (
    "PORT",
    "HOST",
    "WORKERS",
    "LOG_FORMAT",
    "BASE_URL",
    "COGNITO_DOMAIN",
    "COGNITO_ISSUER",
    "ALLOWED_ORIGINS",
    "TRUSTED_PROXIES",
    "REDIS_URL",
    "STS_USER_CLIENT_ID",
    "STS_USER_CLIENT_SECRET",
    "PHOTOS_BUCKET",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_STS",
    "LOCAL_COGNITO_DATA",
    "LOCAL_COGNITO_CODE",
    "LOCAL_COGNITO_PORT",
    "LOCAL_ADMIN_EMAIL",
    "LOCAL_ADMIN_PASSWORD",
    "COGNITO_CONNECT_TIMEOUT",
    "COGNITO_READ_TIMEOUT",
    "COGNITO_MAX_ATTEMPTS",
    "RATE_LIMIT_PER_ADDRESS",
    "RATE_LIMIT_PER_USER",
)


@dataclasses.dataclass(frozen=True)
class ServerKind:
    key: str
    label: str
    command: tuple[str, ...]  # run from the project root; --port and --host are added


OURS = ServerKind("server", "tornado_server.py", ("tornado_server.py",))
BARE = ServerKind("bare", "bare aiobotocore", ("bench/bare_aiobotocore_app.py",))
SYNC = ServerKind("sync", "sync boto3 (tutorial)", ("bench/sync_boto3_app.py",))
KINDS = (OURS, BARE, SYNC)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerProcess:
    """A server under test in a process (group) of its own, its output going to a log file."""

    def __init__(self, kind: ServerKind, env: dict[str, str], log_dir: Path, processes: int = 1):
        self.kind = kind
        self.processes = processes
        self.key = kind.key if processes == 1 else f"{kind.key} x{processes}"
        self.label = kind.label if processes == 1 else f"{kind.label} --processes {processes}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = log_dir / f"{self.key.replace(' ', '-')}-{self.port}.log"
        command = [sys.executable, *kind.command, "--port", str(self.port), "--host", "127.0.0.1"]
        if processes > 1:
            command += ["--processes", str(processes)]
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def serving_pids(self) -> list[int]:
        """The processes that answer requests: the children when there are several, else the one."""
        if self.processes == 1:
            return [self.process.pid]
        # multiprocessing's helper process is no worker.
        return [pid for pid in children_of(self.process.pid) if "resource_tracker" not in command_line(pid)]

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until a signIn succeeds (and, with several processes, all of them are up)."""
        deadline = time.monotonic() + timeout
        last_problem = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.label} exited with status {self.process.returncode}:\n{self.log_tail()}")
            status, body = sign_in_once(self.url)
            if status == 200 and b"access_token" in body:
                if self.processes == 1 or len(self.serving_pids()) >= self.processes:
                    return
                last_problem = f"{len(self.serving_pids())} of {self.processes} processes up"
            elif status:
                last_problem = f"signIn answered {status}: {body[:300]!r}"
            time.sleep(0.2)
        raise RuntimeError(f"{self.label} did not sign in within {timeout:.0f} s ({last_problem}):\n{self.log_tail()}")

    def settle(self, latency: float, timeout: float = 60.0) -> None:
        """Until a signIn is answered in about the Cognito latency: a server that blocks (sync boto3)
        still works through the requests of the previous cell's clients after wrk has gone."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            started = time.monotonic()
            sign_in_once(self.url)
            if time.monotonic() - started < 3 * latency + 0.05:
                return

    def stop(self) -> None:
        stop_group(self.process)
        self._log.close()


def stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to the process group a benchmarked process leads, 15 s to go, then SIGKILL to what is
    left of it (workers left behind by a supervisor)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def sign_in_once(url: str) -> tuple[int, bytes]:
    """(status, body) of one signIn; (0, b"") when the server does not answer."""
    request = urllib.request.Request(url, data=SIGN_IN_BODY.encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


def server_env(endpoint_url: str, data_dir: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in CLEARED_ENV}
    env.update(POOL_ENV)
    env.update(
        {
            "COGNITO_ENDPOINT_URL": endpoint_url,
            "COOKIE_SECRET": secrets.token_urlsafe(32),
            "RATE_LIMIT_PER_ADDRESS": UNREACHED_RATE_LIMIT,
            "RATE_LIMIT_PER_USER": UNREACHED_RATE_LIMIT,
            "PHOTOS_DATA": str(data_dir / "photos"),
            # InitiateAuth is sent unsigned: no credentials are looked for, least of all on the network.
            "AWS_EC2_METADATA_DISABLED": "true",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env

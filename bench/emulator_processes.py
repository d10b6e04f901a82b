"""The emulators of the emulator benchmark, each in a process (group) of its own, with one user to sign in.

- ``local``: our local Cognito alone (``bench/local_cognito_app.py``), whose pool, app client (with
  a secret) and confirmed user come from its own start (``LOCAL_ADMIN_EMAIL``/``PASSWORD``);
- ``server``: ``tornado_server.py`` in local mode, signed in to with ``POST /`` ``signIn``: the same
  local Cognito, embedded, behind our endpoint;
- ``moto``: moto's own server (``moto_server`` beside this Python), and ``cognito-local``: the npm
  package pinned in ``clients/package.json``, under node. For these two the benchmark makes the pool,
  an app client with a secret and USER_PASSWORD_AUTH, and one confirmed user, through their
  cognito-idp API (with boto3, as any app's set-up script would).

Each answers ``request()``: the URL, headers and body wrk sends, one InitiateAuth
(USER_PASSWORD_AUTH, with SECRET_HASH) or one signIn, the same every time.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.procfs import children_of
from bench.servers import CLEARED_ENV, PASSWORD, ROOT, SIGN_IN_BODY, UNREACHED_RATE_LIMIT, USER, free_port, stop_group
from server.secret_hash import secret_hash

COGNITO_LOCAL = ROOT / "clients" / "node_modules" / "cognito-local" / "lib" / "bin" / "start.js"
INITIATE_AUTH = "AWSCognitoIdentityProviderService.InitiateAuth"
AMZ_JSON = "application/x-amz-json-1.1"


@dataclasses.dataclass(frozen=True)
class Request:
    """What wrk sends, every time."""

    url: str
    body: str
    headers: dict[str, str]


@dataclasses.dataclass(frozen=True)
class EmulatorKind:
    key: str
    label: str


LOCAL = EmulatorKind("local", "our local Cognito (InitiateAuth)")
SERVER = EmulatorKind("server", "our server, POST / signIn (local mode)")
MOTO = EmulatorKind("moto", "moto's server 5.2.5 (InitiateAuth)")
COGNITO_LOCAL_KIND = EmulatorKind("cognito-local", "cognito-local 5.3.0 (InitiateAuth)")
KINDS = (LOCAL, SERVER, MOTO, COGNITO_LOCAL_KIND)


def initiate_auth(
    endpoint_url: str, client_id: str, client_secret: str, username: str = USER, password: str = PASSWORD
) -> Request:
    body = json.dumps(
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": client_id,
            "AuthParameters": {
                "USERNAME": username,
                "PASSWORD": password,
                "SECRET_HASH": secret_hash(username, client_id, client_secret),
            },
        },
        separators=(",", ":"),
    )
    return Request(endpoint_url.rstrip("/") + "/", body, {"Content-Type": AMZ_JSON, "X-Amz-Target": INITIATE_AUTH})


def send(request: Request, timeout: float = 10.0) -> tuple[int, bytes]:
    """(status, body) of one request; (0, b"") when nothing answers."""
    sent = urllib.request.Request(request.url, data=request.body.encode(), headers=request.headers)
    try:
        with urllib.request.urlopen(sent, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


def quiet_env() -> dict[str, str]:
    """This environment, without what would change what is measured, and with no AWS credentials
    looked for anywhere (the emulators take any)."""
    env = {name: value for name, value in os.environ.items() if name not in CLEARED_ENV}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


class EmulatorProcess:
    """One emulator in a process group of its own, its output going to a log file."""

    def __init__(
        self, kind: EmulatorKind, work_dir: Path, *, name: str | None = None, data_dir: Path | None = None
    ) -> None:
        self.kind = kind
        self.key = name or kind.key
        self.label = kind.label
        self.port = free_port()
        self.work_dir = work_dir / self.key
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir or self.work_dir / "data"
        self.log_path = self.work_dir / "output.log"
        self.request: Request | None = None
        self.started_at = time.monotonic()
        self.start_seconds: float | None = None  # launch to serving (ours: its ready line)
        env = quiet_env()
        if kind in (LOCAL, SERVER):
            env.update(
                {"LOCAL_COGNITO_DATA": str(self.data_dir), "LOCAL_ADMIN_EMAIL": USER, "LOCAL_ADMIN_PASSWORD": PASSWORD}
            )
        if kind is LOCAL:
            env["LOCAL_COGNITO_PORT"] = str(self.port)
            command = [sys.executable, "bench/local_cognito_app.py"]
        elif kind is SERVER:
            env.update(
                {
                    "LOCAL_COGNITO_PORT": "0",
                    "PORT": str(self.port),
                    "BASE_URL": f"http://127.0.0.1:{self.port}",
                    "PHOTOS_DATA": str(self.work_dir / "photos"),
                    "RATE_LIMIT_PER_ADDRESS": UNREACHED_RATE_LIMIT,
                    "RATE_LIMIT_PER_USER": UNREACHED_RATE_LIMIT,
                }
            )
            command = [sys.executable, "tornado_server.py", "--port", str(self.port), "--host", "127.0.0.1"]
        elif kind is MOTO:
            command = [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)]
        else:
            node = shutil.which("node")
            if node is None or not COGNITO_LOCAL.exists():
                raise RuntimeError("cognito-local needs node and `npm ci --prefix clients` (clients/package.json)")
            env.update({"PORT": str(self.port), "HOST": "127.0.0.1"})
            command = [node, str(COGNITO_LOCAL)]
        cwd = self.work_dir if kind is COGNITO_LOCAL_KIND else ROOT  # cognito-local keeps .cognito/ in its cwd
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        return [self.process.pid, *children_of(self.process.pid)]

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def _check_running(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.label} exited with status {self.process.returncode}:\n{self.log_tail()}")

    def wait_ready(self, timeout: float = 120.0) -> Request:
        """Until it serves, its user set up, and one sign-in succeeds; the request wrk will send."""
        deadline = time.monotonic() + timeout
        if self.kind is LOCAL:
            details = self._ready_line(deadline)
            self.start_seconds = time.monotonic() - self.started_at
            self.request = initiate_auth(details["endpoint_url"], details["client_id"], details["client_secret"])
        elif self.kind is SERVER:
            self.request = Request(f"{self.endpoint_url}/", SIGN_IN_BODY, {"Content-Type": "application/json"})
        else:
            self._wait_listening(deadline)
            self.start_seconds = time.monotonic() - self.started_at
            self.request = initiate_auth(self.endpoint_url, *self._set_up_pool())
        last = "no answer"
        while time.monotonic() < deadline:
            self._check_running()
            status, body = send(self.request)
            if status == 200 and b"ccess" in body:  # AccessToken, or signIn's access_token
                if self.start_seconds is None:
                    self.start_seconds = time.monotonic() - self.started_at
                return self.request
            last = f"{status}: {body[:300]!r}" if status else "no answer"
            time.sleep(0.2)
        raise RuntimeError(f"{self.label} did not sign in within {timeout:.0f} s ({last}):\n{self.log_tail()}")

    def _ready_line(self, deadline: float) -> dict:
        """The JSON line ``bench/local_cognito_app.py`` prints once it serves."""
        while time.monotonic() < deadline:
            self._check_running()
            for line in self.log_path.read_text(errors="replace").splitlines():
                if line.startswith("{") and "endpoint_url" in line:
                    return json.loads(line)
            time.sleep(0.02)
        raise RuntimeError(f"{self.label} printed no endpoint:\n{self.log_tail()}")

    def _wait_listening(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            self._check_running()
            try:
                urllib.request.urlopen(self.endpoint_url + "/", timeout=2).close()
                return
            except urllib.error.HTTPError:
                return  # it answers, if only to refuse
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.label} did not listen on port {self.port}:\n{self.log_tail()}")

    def _set_up_pool(self) -> tuple[str, str]:
        """A pool, an app client with a secret and USER_PASSWORD_AUTH, and the user, confirmed:
        (client id, client secret)."""
        import boto3  # only for the emulators we do not set up ourselves

        client = boto3.client(
            "cognito-idp",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        pool_id = client.create_user_pool(PoolName="bench")["UserPool"]["Id"]
        app = client.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="bench",
            GenerateSecret=True,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]
        client.admin_create_user(
            UserPoolId=pool_id,
            Username=USER,
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": USER}, {"Name": "email_verified", "Value": "true"}],
        )
        client.admin_set_user_password(UserPoolId=pool_id, Username=USER, Password=PASSWORD, Permanent=True)
        return app["ClientId"], app.get("ClientSecret", "")

    def stop(self) -> None:
        stop_group(self.process)
        self._log.close()

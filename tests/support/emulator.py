"""``python -m local_cognito`` as a process of its own (the local Cognito alone, for any app), what it
prints, and boto3 clients made from the printed values alone."""

from __future__ import annotations

import re
import sys
import time

import boto3
from botocore import UNSIGNED
from botocore.config import Config as BotoConfig

from server.cognito import secret_hash
from tests.support.processes import ServerProcess, free_port

EMULATOR = [sys.executable, "-m", "local_cognito"]
ENV_LINE = re.compile(r"^([A-Z][A-Z0-9_]*)=(\S+)$", re.MULTILINE)


class Emulator:
    """``python -m local_cognito --port PORT ARGS`` over ``data_dir``, its output (stdout and stderr)
    in ``log_path``, with ``env`` added to a clean environment without any LOCAL_COGNITO_ setting;
    serving once constructed (with ``wait``). ``stop()`` sends SIGTERM and checks it exits 0."""

    def __init__(
        self, data_dir: str, log_path: str, *args: str, port: int | None = None, wait: bool = True, **env: str
    ):
        self.port = port or free_port()
        self.data_dir = data_dir
        self.server = ServerProcess(
            self.port,
            {"LOCAL_COGNITO_DATA": data_dir, **env},
            command=[*EMULATOR, "--port", str(self.port), *args],
            log_path=log_path,
            host="127.0.0.1",
            wait=wait,
            unset=("LOCAL_COGNITO_",),
            name="python -m local_cognito",
        )
        self.url = self.server.url
        self.process = self.server.process

    def output(self) -> str:
        return self.server.output()

    def printed(self, timeout: float = 20.0) -> dict[str, str]:
        """The ``NAME=value`` lines it printed, once it has printed them all."""
        deadline = time.monotonic() + timeout
        while True:
            lines = dict(ENV_LINE.findall(self.output()))
            if "COGNITO_ISSUER" in lines:
                return lines
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"python -m local_cognito printed no settings:\n{self.output()}")
            time.sleep(0.05)

    def stop(self, check: bool = True) -> str:
        return self.server.stop(check=check)


def printed_client(printed: dict[str, str]):
    """An unsigned cognito-idp client made from the printed values alone, with ``hash(name)`` for
    the SECRET_HASH and ``client_id``."""
    idp = boto3.client(
        "cognito-idp",
        region_name=printed["COGNITO_REGION_NAME"],
        endpoint_url=printed["COGNITO_ENDPOINT_URL"],
        config=BotoConfig(signature_version=UNSIGNED, retries={"total_max_attempts": 1}),
    )
    idp.client_id = printed["COGNITO_USER_CLIENT_ID"]
    idp.hash = lambda username: secret_hash(username, idp.client_id, printed["COGNITO_CLIENT_SECRET"])
    return idp

"""A throw-away redis-server for the tests that share state through Redis (the rate limits, the
signed-out sessions): on a free loopback port, writing nothing to disk, stopped and started again at
will (it comes back empty)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest
import redis

from tests.support.processes import free_port

REDIS_SERVER = shutil.which("redis-server") or next(
    (path for path in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.path.exists(path)), None
)


class RedisServer:
    """A throw-away redis-server on a free loopback port, writing nothing to disk."""

    def __init__(self, folder: str):
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = os.path.join(folder, "redis.log")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.folder,
            ],
            stdout=open(self.log_path, "a"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_timeout=1).ping()
                return
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("redis-server did not start: " + open(self.log_path).read()) from None
                time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def redis_server_in(folder: str):
    """A started RedisServer in ``folder``, stopped when the generator ends: the body of a fixture.
    Without redis-server installed, the test fails (never skips), saying how to install it."""
    if REDIS_SERVER is None:
        pytest.fail(
            "redis-server is not installed, and the Redis tests need it: apt-get install redis-server (.ci/run does).",
            pytrace=False,
        )
    server = RedisServer(folder)
    try:
        server.start()
        yield server
    finally:
        server.stop()

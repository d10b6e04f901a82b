"""The app on a real HTTP server in a thread of the test process, and the environment of a
local-mode server for the tests."""

from __future__ import annotations

import os

from server.app import make_app
from server.background import BackgroundServer
from server.config import Config
from server.services import Services
from tests.support.accounts import CODE
from tests.support.processes import free_port


def serve_app(config: Config, port: int = 0) -> BackgroundServer:
    async def build(bound_port: int):
        services = await Services.start(config)
        return make_app(services), services.close

    return BackgroundServer(build, port).start()


def local_config(data_dir: str, **env: str) -> dict[str, str]:
    """The environment of a local-mode server for tests: a port chosen now, so the hosted UI's
    callback address ({BASE_URL}/callback) is known before the local Cognito starts. The rate
    limits are far above what a test sends, since every test calls from 127.0.0.1; the rate-limit
    tests set their own. The answers that must not tell who has an account get no time floor: the
    tests that measure it set their own UNIFORM_ANSWER_SECONDS."""
    port = free_port()
    return {
        "LOCAL_COGNITO_DATA": data_dir,
        "LOCAL_COGNITO_CODE": CODE,
        "LOCAL_COGNITO_PORT": "0",
        "PORT": str(port),
        "BASE_URL": f"http://127.0.0.1:{port}",
        "PHOTOS_DATA": os.path.join(data_dir, "photos"),
        "RATE_LIMIT_PER_ADDRESS": "100000/60",
        "RATE_LIMIT_PER_USER": "100000/60",
        "UNIFORM_ANSWER_SECONDS": "0",
        **env,
    }

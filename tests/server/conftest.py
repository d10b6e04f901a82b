"""Fixtures of the fault tests (test_faults_*.py): a ``FaultyCognito`` per test, and servers in
real-pool mode against it; and a throw-away redis-server for the tests of what is shared through Redis."""

from __future__ import annotations

import pytest

from server.background import BackgroundServer
from server.config import load_config
from tests.support import serve_app
from tests.support.faulty_cognito import POOL, FaultyCognito
from tests.support.redis_server import redis_server_in


@pytest.fixture
def cognito():
    """A stand-in Cognito answering normally until the test makes it fail."""
    stand_in = FaultyCognito()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def serve_against(tmp_path):
    """Start a server in real-pool mode against a stand-in, with POOL's settings and ``overrides``."""
    servers: list[BackgroundServer] = []

    def serve(stand_in: FaultyCognito, **overrides: str) -> BackgroundServer:
        env = dict(POOL, COGNITO_ENDPOINT_URL=stand_in.url, PHOTOS_DATA=str(tmp_path / "photos"), **overrides)
        servers.append(serve_app(load_config(env)))
        return servers[-1]

    yield serve
    for server in servers:
        server.stop()


@pytest.fixture
def redis_server(tmp_path):
    """A redis-server of the test's own, stopped afterwards (a test may stop and start it)."""
    yield from redis_server_in(str(tmp_path))

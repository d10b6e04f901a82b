"""Shared fixtures: one local Cognito, one server and one PostgreSQL for the session, a fresh client
per test."""

from __future__ import annotations

import uuid

import pytest

from local_cognito import start_local_cognito
from server.config import load_config
from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD, CODE, PASSWORD, Client, local_config, serve_app
from tests.support.postgres_server import postgres_server


@pytest.fixture(scope="session")
def local_pool(tmp_path_factory):
    data = tmp_path_factory.mktemp("local-cognito")
    local, config = start_local_cognito(
        load_config(local_config(str(data), LOCAL_ADMIN_EMAIL=ADMIN_EMAIL, LOCAL_ADMIN_PASSWORD=ADMIN_PASSWORD))
    )
    yield local, config
    local.stop()


@pytest.fixture(scope="session")
def config(local_pool):
    return local_pool[1]


@pytest.fixture(scope="session")
def base_url(config):
    server = serve_app(config, config.port)
    yield config.base_url
    server.stop()


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server for the tests that keep photo records in it; each takes a database of its
    own (``new_database``). Tests that stop it start one of their own."""
    yield from postgres_server()


@pytest.fixture
def client(base_url):
    return Client(base_url)


@pytest.fixture
def email():
    return f"user-{uuid.uuid4().hex[:12]}@example.com"


@pytest.fixture
def signed_in(client, email):
    """A confirmed user, signed in: (client with the refresh cookie, email, the signIn answer)."""
    assert client.call("createAccount", user=email, **{"pass": PASSWORD}).status == 200
    reply = client.call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD})
    assert reply.status == 200, reply.body
    return client, email, reply.json


@pytest.fixture
def admin(base_url):
    """The local admin, signed in: (client, access token)."""
    client = Client(base_url)
    reply = client.call("signIn", user=ADMIN_EMAIL, **{"pass": ADMIN_PASSWORD})
    assert reply.status == 200, reply.body
    return client, reply.json["access_token"]

"""The local Cognito's tests' fixtures: each test module's own local Cognito, on a clock its tests
move, and the clients and browser that reach it; and a public client of the session's local
Cognito, the one the app's server in tests/conftest.py uses."""

from __future__ import annotations

import dataclasses

import pytest

from local_cognito.endpoint import LocalCognito
from local_cognito.service import LocalUserPool
from tests.support import CODE
from tests.support.local_hosted_ui import CALLBACK, SIGNED_OUT, Browser
from tests.support.local_pool import Clock, clients, public_client


@dataclasses.dataclass(frozen=True)
class Served:
    """A local Cognito serving a pool of its own over HTTP, and its clients."""

    local: LocalCognito
    pool: LocalUserPool
    clock: Clock
    idp: object  # the public client, unsigned
    admin: object  # the admin client, SigV4-signed with dummy keys


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A local Cognito for the test module: every emailed code is CODE, its clock is the tests', and
    its app client's hosted UI sends people back to the app at tests.support.local_hosted_ui.APP."""
    clock = Clock()
    pool = LocalUserPool(str(tmp_path_factory.mktemp("local-cognito")), pinned_code=CODE, clock=clock)
    pool.oauth.configure_hosted_ui(callback_urls=[CALLBACK], logout_urls=[SIGNED_OUT])
    local = LocalCognito(pool).start()
    idp, admin = clients(local, pool)
    yield Served(local, pool, clock, idp, admin)
    local.stop()


@pytest.fixture
def local(served):
    return served.local


@pytest.fixture
def pool(served):
    return served.pool


@pytest.fixture
def clock(served):
    return served.clock


@pytest.fixture
def idp(served):
    return served.idp


@pytest.fixture
def admin(served):
    return served.admin


@pytest.fixture
def browser(local):
    return Browser(local.endpoint_url)


@pytest.fixture(scope="module")
def local_pool_idp(local_pool):
    """A public client of the session's local Cognito (``local_pool``), the app's server's."""
    local, config = local_pool
    return public_client(local.endpoint_url, config.client_id, config.client_secret)

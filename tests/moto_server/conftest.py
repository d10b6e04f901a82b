"""The fixtures of the tests against moto's server, one of each for the whole package: moto's
server, the checklist's pool and our server on it as a process, a pool whose user names are the
emails and our app on it in this process, and an admin of the checklist's pool."""

from __future__ import annotations

import jwt
import pytest

from server.config import load_config
from tests.support import PASSWORD, Client, ServerProcess, free_port, serve_app
from tests.support.against_moto import NEW_PASSWORD, TEMPORARY_PASSWORD, new_email, sign_in, signed_up
from tests.support.moto_server import UNSET_AGAINST_MOTO, MotoServer, make_pool


@pytest.fixture(scope="package")
def moto(tmp_path_factory):
    """``moto_server`` on a free port, its TOTP checks on."""
    log_path = str(tmp_path_factory.mktemp("moto") / "moto_server.log")
    running = MotoServer(log_path, MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP="true")
    yield running
    running.stop()


@pytest.fixture(scope="package")
def idp(moto):
    return moto.client()


@pytest.fixture(scope="package")
def pool(idp):
    return make_pool(idp, "checklist")


@pytest.fixture(scope="package")
def server(moto, pool, tmp_path_factory):
    """``tornado_server.py`` on the checklist pool: its base URL. At the end it must stop cleanly,
    with no traceback and no password in its log."""
    folder = tmp_path_factory.mktemp("ours")
    running = ServerProcess(
        free_port(),
        {
            **pool.settings(moto),
            "HOST": "127.0.0.1",
            "PHOTOS_DATA": str(folder / "photos"),
            "STS_USER_CLIENT_ID": "AKIAMOTOADMINUSER",
            "STS_USER_CLIENT_SECRET": "moto-takes-any-secret",
            "AWS_ENDPOINT_URL_STS": moto.url,
        },
        log_path=str(folder / "server.log"),
        unset=UNSET_AGAINST_MOTO,
        name="tornado_server.py",
    )
    yield running.url
    output = running.stop()  # exited with 0
    assert "Traceback" not in output, output
    assert not [secret for secret in (PASSWORD, NEW_PASSWORD, TEMPORARY_PASSWORD) if secret in output]


@pytest.fixture(scope="package")
def plain_pool(idp):
    """A pool whose user names are the emails themselves (no UsernameAttributes): there the name
    moto checks the refresh SECRET_HASH on is the one Cognito would check it on."""
    return make_pool(idp, "plain", email_as_user_name=False)


@pytest.fixture(scope="package")
def plain_server(moto, plain_pool, tmp_path_factory):
    """Our app in this process, on a real port, on the plain pool."""
    folder = tmp_path_factory.mktemp("plain")
    running = serve_app(load_config({**plain_pool.settings(moto), "PHOTOS_DATA": str(folder / "photos")}))
    yield f"http://localhost:{running.port}"
    running.stop()


@pytest.fixture(scope="package")
def admin(server, idp, pool):
    """An admin as the operator makes one: an account, added to the group with the AWS console's
    call; their next sign-in's access token carries the group."""
    _, email, _ = signed_up(server, new_email("admin"))
    idp.admin_add_user_to_group(UserPoolId=pool.id, Username=email, GroupName="admin")
    token = sign_in(server, email)["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["cognito:groups"] == ["admin"]
    return Client(server), token

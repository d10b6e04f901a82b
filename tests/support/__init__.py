"""What the tests share, by subject:

- ``accounts``: the password, the pinned confirmation code and the local admin of the tests, and
  ``new_account``, a confirmed account made through a server's JSON endpoint.
- ``http``: ``Client`` (a browser's way with cookies and redirects), ``Reply``, multipart ``form``
  bodies and ``Photos``, a signed-in person's side of the photos API.
- ``app_server``: the app served from a thread of the test process (``serve_app``) and a local-mode
  environment for it (``local_config``).
- ``processes``: ``tornado_server.py`` as a process (``ServerProcess``, ``local_server``,
  ``run_server``), ``clean_environment``, ``free_port`` and ``wait_for_port``.
- ``stand_ins``: ``StandInCognito``, a Cognito whose answers a test sets, and what goes with it.
- ``faulty_cognito``: a stand-in Cognito that fails on demand, and what the fault tests measure.
- ``pictures``: real pictures made on the spot.
- ``hosted_ui``: signing in to the app through its hosted UI, as a person does.
- ``mfa``: authenticator codes (pyotp) and MFA turned on through the JSON endpoint.
- ``local_pool``: a local Cognito's pool through boto3, on a clock the tests move.
- ``local_hosted_ui``: the local Cognito's hosted UI as a browser and the app's server meet it.
- ``chromium``: headless Chromium on the page, and the steps the browser tests share.
- ``moto_server``: moto's own Cognito server as a process (``MotoServer``), and pools made on it.
- ``emulator``: ``python -m local_cognito`` as a process (``Emulator``), what it prints, and boto3
  clients made from that alone.
- ``against_moto``: accounts, authenticator codes and clean errors of our server against moto's.
- ``nginx``: deploy/nginx.conf run by the real nginx in front of two servers (``start_stack``), and
  ``Browser``, a client of it over HTTPS.
- ``postgres_server``: a throw-away PostgreSQL (``PostgresServer``), stopped and started at will.
- ``tutorial``: the tutorial's walkthrough with its exact bodies, in two halves around a restart.
- ``podman``: the image built from the Containerfile, and containers run from it (``Container``).
- ``container_base``: a Debian base image with Python made with mmdebstrap, for the container test.

The names most tests use are here too: ``from tests.support import Client, CODE, PASSWORD``.
"""

from tests.support.accounts import ADMIN_EMAIL, ADMIN_PASSWORD, CODE, PASSWORD, new_account
from tests.support.app_server import local_config, serve_app
from tests.support.http import Client, Photos, Reply, form
from tests.support.pictures import picture
from tests.support.processes import (
    ROOT,
    ServerProcess,
    clean_environment,
    free_port,
    local_server,
    run_server,
    wait_for_port,
)
from tests.support.stand_ins import STAND_IN_POOL, StandInCognito, issued_access_token

__all__ = [
    "ADMIN_EMAIL",
    "ADMIN_PASSWORD",
    "CODE",
    "PASSWORD",
    "new_account",
    "local_config",
    "serve_app",
    "Client",
    "Photos",
    "Reply",
    "form",
    "picture",
    "ROOT",
    "ServerProcess",
    "clean_environment",
    "free_port",
    "local_server",
    "run_server",
    "wait_for_port",
    "STAND_IN_POOL",
    "StandInCognito",
    "issued_access_token",
]

"""Local mode's database, through the server as a process: what was answered survives a kill -9
(SIGKILL, no chance to clean up), and a data folder from before the database is upgraded at start-up
(local_cognito/migration.py; its details, in process: tests/local_cognito/test_upgrade.py)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.support import CODE, PASSWORD, Client, free_port, local_server, new_account
from tests.support.data_folder import database_rows

FIXTURE = Path(__file__).parent / "local_cognito" / "state_v1"


def start(folder: str, tmp_path: Path, name: str, port: int | None = None):
    return local_server(
        folder,
        port or free_port(),
        log_path=str(tmp_path / f"{name}.log"),
        LOCAL_COGNITO_CODE=CODE,
        PHOTOS_DATA=str(tmp_path / f"{name}-photos"),
    )


def test_a_server_killed_loses_nothing_it_answered(tmp_path):
    folder = str(tmp_path / "cognito")
    server = start(folder, tmp_path, "killed")
    try:
        confirmed = [new_account(server.url, "kept") for _ in range(5)]  # signed up, confirmed, signed in
        again = []
        for _, email in confirmed:
            client = Client(server.url)
            assert client.call("signIn", user=email, **{"pass": PASSWORD}).status == 200
            again.append(client)
        waiting = f"waiting-{os.getpid()}@example.com"
        assert Client(server.url).call("createAccount", user=waiting, **{"pass": PASSWORD}).status == 200
        tokens = database_rows(folder, "SELECT count(*) FROM refresh_tokens")[0][0]
    finally:
        server.process.kill()  # SIGKILL: nothing is flushed or closed on the way out
        server.process.wait()
    assert tokens == 2 * len(confirmed)

    restarted = start(folder, tmp_path, "restarted", server.port)  # the clients' cookies are for its address
    try:
        for client, email in confirmed:
            assert Client(restarted.url).call("signIn", user=email, **{"pass": PASSWORD}).status == 200
            assert client.call("refresh").status == 200, email  # the first sign-in's refresh token
        for client in again:
            assert client.call("refresh").status == 200  # and the second's
        # The account waiting for its code, and the code: both kept.
        reply = Client(restarted.url).call("confirmAccount", user=waiting, conf_code=CODE, **{"pass": PASSWORD})
        assert reply.status == 200, reply.body
    finally:
        restarted.stop()


def test_a_data_folder_from_before_the_database_is_upgraded_at_start_up(tmp_path):
    folder = tmp_path / "cognito"
    folder.mkdir()
    for name in ("state.json", "signing-key.pem", "hosted-ui-secret", "cookie-secret"):
        shutil.copyfile(FIXTURE / name, folder / name)
    server = start(str(folder), tmp_path, "upgraded")
    try:
        reply = Client(server.url).call("signIn", user="confirmed@example.com", **{"pass": "Old_password_1"})
        assert reply.status == 200, reply.body
        assert "moved" in server.output() and "state.json.migrated-" in server.output()
    finally:
        server.stop()
    assert next(name for name in os.listdir(folder) if name.startswith("state.json")).startswith("state.json.migrated-")
    assert database_rows(str(folder), "SELECT count(*) FROM users")[0][0] == 6

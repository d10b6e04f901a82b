"""Local mode with a data folder that cannot be written, through the server as a process: nothing is
answered before it is stored. createAccount and signIn answer 503 LocalStorageUnavailable and leave
nothing behind (a retry is not told the account exists, no code is emailed, no refresh token kept),
and so does a hosted-UI sign-in's /callback; /readyz answers 503 for as long as it lasts, on a server
that joined the local Cognito too; once the folder is back, the account is made and survives a
restart. A start-up that cannot write its folder stops with a message naming it. (How the folder is
made unwritable: tests/support/data_folder.py.)"""

from __future__ import annotations

import resource
import subprocess
import sys

import pytest

from tests.support import CODE, PASSWORD, ROOT, Client, clean_environment, free_port, local_server, new_account
from tests.support.data_folder import database_bytes, database_rows, unwritable
from tests.support.hosted_ui import hosted_sign_in_page, submit

UNAVAILABLE = (503, "LocalStorageUnavailable")


@pytest.fixture
def folder(tmp_path):
    return str(tmp_path / "cognito")


def start(folder: str, tmp_path, name: str = "server"):
    """A local-mode server over ``folder``, every code CODE, its photos outside the folder and its
    output in a file beside it."""
    return local_server(
        folder,
        free_port(),
        log_path=str(tmp_path / f"{name}.log"),
        LOCAL_COGNITO_CODE=CODE,
        PHOTOS_DATA=str(tmp_path / f"{name}-photos"),
    )


def refresh_tokens_kept(folder: str, email: str) -> int:
    """How many refresh tokens of ``email``'s the database holds."""
    [(sub,)] = database_rows(folder, "SELECT sub FROM users WHERE email_key = ?", (email,))
    return database_rows(folder, "SELECT count(*) FROM refresh_tokens WHERE sub = ?", (sub,))[0][0]


def test_create_account_is_refused_until_it_can_be_stored_then_survives_a_restart(folder, tmp_path):
    server = start(folder, tmp_path)
    client, email = Client(server.url), "late@example.com"
    try:
        with unwritable(folder):
            for _ in range(2):  # the retry is refused the same way: the first attempt left nothing
                reply = client.call("createAccount", user=email, **{"pass": PASSWORD})
                assert (reply.status, reply.json["error"]) == UNAVAILABLE
                assert "LOCAL_COGNITO_DATA" in reply.json["message"] and "Not a directory" not in reply.body.decode()
        assert f"Email to {email}" not in server.output()  # no code for an account that was never made
        assert client.call("createAccount", user=email, **{"pass": PASSWORD}).status == 200
        assert server.output().count(f"Email to {email}") == 1
    finally:
        output = server.stop()
    assert "cannot save to its data folder" in output and "Traceback" not in output

    again = start(folder, tmp_path, "again")
    try:
        # The account and its code were stored: the code confirms it after the restart.
        reply = Client(again.url).call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD})
        assert reply.status == 200, reply.body
    finally:
        again.stop()


def test_a_sign_in_that_cannot_be_stored_keeps_no_refresh_token(folder, tmp_path):
    server = start(folder, tmp_path)
    try:
        signed_in, email = new_account(server.url)
        kept = refresh_tokens_kept(folder, email)
        with unwritable(folder):
            browser = Client(server.url)
            reply = browser.call("signIn", user=email, **{"pass": PASSWORD})
            assert (reply.status, reply.json["error"]) == UNAVAILABLE
            assert "access_token" not in reply.json and "__Host-refresh" not in browser.cookies
            # What stores nothing goes on: a session already open refreshes (no rotation here).
            assert signed_in.call("refresh").status == 200
        # Any later save writes what the local Cognito holds: the refused sign-in left no token there.
        new_account(server.url)
        assert refresh_tokens_kept(folder, email) == kept
        assert Client(server.url).call("signIn", user=email, **{"pass": PASSWORD}).status == 200
        assert refresh_tokens_kept(folder, email) == kept + 1
    finally:
        server.stop()


def test_a_hosted_ui_sign_in_that_cannot_be_stored_signs_no_one_in(folder, tmp_path):
    server = start(folder, tmp_path)
    try:
        _, email = new_account(server.url)
        browser = Client(server.url)
        back = submit(browser, hosted_sign_in_page(browser), follow=False, email=email, password=PASSWORD)
        assert back.status == 302 and "/callback?" in back.location
        with unwritable(folder):
            reply = browser.request("GET", back.location)
            assert (reply.status, reply.json["error"]) == UNAVAILABLE
        assert browser.request("GET", "/me").json["signed_in"] is False
    finally:
        server.stop()


def test_readyz_says_so_while_the_folder_cannot_be_written(folder, tmp_path):
    server = start(folder, tmp_path)
    joined = start(folder, tmp_path, "joined")  # runs no local Cognito: it asks the one that writes
    try:
        servers = [Client(server.url), Client(joined.url)]
        assert [c.request("GET", "/readyz").status for c in servers] == [200, 200]
        with unwritable(folder):
            for client in servers:
                reply = client.request("GET", "/readyz")
                assert (reply.status, reply.json["error"]) == UNAVAILABLE
        assert [c.request("GET", "/readyz").status for c in servers] == [200, 200]
        with unwritable(folder):
            joined_output = joined.stop()
            # Stopping while the folder cannot be written still stops cleanly.
            output = server.stop()
    finally:
        joined.stop(check=False)
        server.stop(check=False)
    assert "Joined the local Cognito" in joined_output
    assert "Traceback" not in output and "running.json" in output


def test_start_up_with_a_folder_that_cannot_be_made_names_it(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    folder = str(blocker / "cognito")
    started = subprocess.run(
        [sys.executable, "tornado_server.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_environment(
            LOCAL_COGNITO_DATA=folder,
            LOCAL_COGNITO_PORT="0",
            PORT=str(free_port()),
            PHOTOS_DATA=str(tmp_path / "photos"),
        ),
    )
    assert started.returncode == 1, started.stderr
    assert f"cannot use its data folder {folder}" in started.stderr and "LOCAL_COGNITO_DATA" in started.stderr
    assert "Traceback" not in started.stderr


def no_file_writes() -> None:
    """In the child, before it runs the server: no file may grow (RLIMIT_FSIZE 0), so every write
    to the data folder fails, for root too, while its files can still be read. Python ignores the
    SIGXFSZ that comes with it, so the write fails with EFBIG instead."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


def test_start_up_that_cannot_save_the_local_admin_names_the_folder(folder, tmp_path):
    start(folder, tmp_path).stop()  # a pool, made and saved
    started = subprocess.run(
        [sys.executable, "tornado_server.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=no_file_writes,
        env=clean_environment(
            LOCAL_COGNITO_DATA=folder,
            LOCAL_COGNITO_PORT="0",
            PORT=str(free_port()),
            PHOTOS_DATA=str(tmp_path / "photos"),
            LOCAL_ADMIN_EMAIL="boss@example.com",
            LOCAL_ADMIN_PASSWORD="Admin_password_1",
        ),
    )
    assert started.returncode == 1, started.stderr
    assert f"cannot use its data folder {folder}" in started.stderr and "File too large" in started.stderr
    assert "Traceback" not in started.stderr
    assert b"boss@example.com" not in database_bytes(folder)

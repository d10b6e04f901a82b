"""The log: one line per request with what an operator needs, and nothing a thief could use.

The whole walkthrough (sign-up, confirmation, sign-in, refresh, MFA set-up and sign-in with a code,
password change and reset, hosted-UI sign-in and its /callback, a photo, admin calls, errors, sign-out,
deletion) is played against ``tornado_server.py`` as a process, in both log formats. Then every
password, token, code, cookie value, the client secret and the /callback query string is looked for
in what it wrote. The local Cognito's "emails" (the ``local_cognito.mail`` logger) print codes and
temporary passwords on purpose, as a real pool emails them: they are the one exception, and only
their lines may hold a code.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.parse
from http.cookies import SimpleCookie

import pyotp
import pytest

from tests.support import Client, Photos, ServerProcess, free_port, local_server, picture
from tests.support.hosted_ui import hosted_sign_in_page, submit
from tests.support.processes import LOCAL_SERVER_CODE

PASSWORD = "Log_password_1"
NEW_PASSWORD = "Log_password_2"
RESET_PASSWORD = "Log_password_3"
ADMIN = {"LOCAL_ADMIN_EMAIL": "boss@example.com", "LOCAL_ADMIN_PASSWORD": "Boss_password_1"}
CODE = LOCAL_SERVER_CODE


class Secrets:
    """Every secret value the walkthrough sees, gathered as it goes."""

    def __init__(self):
        self.values: set[str] = {PASSWORD, NEW_PASSWORD, RESET_PASSWORD, ADMIN["LOCAL_ADMIN_PASSWORD"]}

    def add(self, *values: str | None) -> None:
        self.values.update(v for v in values if v)

    def from_reply(self, reply) -> None:
        body = reply.json if reply.body[:1] == b"{" else {}
        self.add(
            *(
                str(body[key])
                for key in ("access_token", "id_token", "session", "secret_code", "otpauth_uri")
                if key in body
            )
        )
        for header in reply.history_set_cookies or reply.set_cookies():
            cookie = SimpleCookie()
            cookie.load(header)
            self.add(*(morsel.value for morsel in cookie.values() if len(morsel.value) > 8))


def play_the_walkthrough(server: ServerProcess, data_dir: str, secrets: Secrets) -> None:
    client = Client(server.url)
    email = "log.person@example.com"

    def call(env: str, **fields):
        reply = client.call(env, **fields)
        secrets.from_reply(reply)
        return reply

    assert call("createAccount", user=email, **{"pass": PASSWORD}).status == 200
    assert call("confirmAccount", user=email, conf_code="000000", **{"pass": PASSWORD}).status == 400
    token = call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD}).json["access_token"]
    assert call("signIn", user=email, **{"pass": "a wrong password"}).status == 401
    secrets.add("a wrong password")
    token = call("refresh").json["access_token"]
    assert call("getUser", access_token=token).status == 200

    # The hosted UI: /login, the local Cognito's form, /callback?code=...&state=..., /me.
    browser = Client(server.url)
    page = hosted_sign_in_page(browser, "/login?next=/me")
    reply = submit(browser, page, follow=False, email=email, password=PASSWORD)
    callback = reply.headers["Location"]
    query = urllib.parse.urlsplit(callback).query
    secrets.add(query, *urllib.parse.parse_qs(query).get("code", []), *urllib.parse.parse_qs(query).get("state", []))
    landed = browser.request("GET", callback, follow=True)
    secrets.from_reply(landed)
    assert landed.json["signed_in"] is True
    assert browser.request("GET", "/logout", follow=False).status in (302, 303)

    setup = call("QR_init", access_token=token, user=email).json
    app = pyotp.parse_uri(setup["otpauth_uri"])
    first_code = app.now()
    assert call("QR_TOTP", access_token=token, totp=first_code).status == 200
    step = call("signIn", user=email, **{"pass": PASSWORD}).json
    later_code = app.at(time.time() + 30)
    token = call("respondToChallenge", session=step["session"], totp=later_code).json["access_token"]
    secrets.add(first_code, later_code)

    assert call("setMfa", access_token=token, enabled=False).status == 200
    assert call("changePass", access_token=token, old_pass=PASSWORD, new_pass=NEW_PASSWORD).status == 200
    assert call("forgotPassword", user=email).status == 200
    assert call("confirmForgotPassword", user=email, conf_code=CODE, new_pass=RESET_PASSWORD).status == 200
    # The reset ended every session: the photos come with a new sign-in.
    photos = Photos(client, call("signIn", user=email, **{"pass": RESET_PASSWORD}).json["access_token"])
    photo = photos.upload(picture(), "a private description").json["photo"]
    assert photos.get(photo["id"], "thumbnail").status == 200

    boss = Client(server.url)
    boss_reply = boss.call("signIn", user=ADMIN["LOCAL_ADMIN_EMAIL"], **{"pass": ADMIN["LOCAL_ADMIN_PASSWORD"]})
    secrets.from_reply(boss_reply)
    boss_token = boss_reply.json["access_token"]
    assert boss.call("adminListUsers", access_token=boss_token).status == 200
    assert boss.call("adminGetUser", access_token=boss_token, user=email).status == 200
    assert boss.call("adminGetUser", access_token="not.a.token", user=email).status == 401
    secrets.add("not.a.token")

    assert call("deleteAcct", access_token=photos.token).status == 200
    assert call("signIn", user=email, **{"pass": RESET_PASSWORD}).status == 401
    assert call("signOut").status == 200

    with open(os.path.join(data_dir, "running.json"), encoding="utf-8") as handle:
        secrets.add(json.load(handle)["client_secret"])


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_log_has_one_line_per_request_and_no_secret(tmp_path, log_format):
    data_dir = str(tmp_path / "cognito")
    server = local_server(data_dir, free_port(), LOG_FORMAT=log_format, **ADMIN)
    secrets = Secrets()
    try:
        play_the_walkthrough(server, data_dir, secrets)
    finally:
        output = server.stop()

    lines = output.splitlines()
    if log_format == "json":
        records = [json.loads(line) for line in lines if line.strip()]  # every line is one JSON object
        access = [r for r in records if r["logger"] == "server.access"]
        assert access and all(
            {"http_method", "path", "rpc", "status", "duration_ms", "request_id"} <= set(r) for r in access
        )
        assert {r["rpc"] for r in access} >= {"signIn", "refresh", "respondToChallenge", "deleteAcct"}
        assert any(r["path"] == "/callback" for r in access)
        kept = [
            line
            for line, r in zip([text for text in lines if text.strip()], records)
            if r["logger"] != "local_cognito.mail"
        ]
        mail = [r["message"] for r in records if r["logger"] == "local_cognito.mail"]
    else:
        access = [line for line in lines if "server.access" in line]
        assert access and all(re.search(r"[A-Z]+ /\S* \S+ \d{3} [\d.]+ms request_id=\w+", line) for line in access)
        kept = [line for line in lines if "local_cognito.mail" not in line]
        mail = [line for line in lines if "local_cognito.mail" in line]
    assert any(CODE in line for line in mail)  # the "email" with the code is there, where it belongs

    log = "\n".join(kept)
    leaked = sorted(secret for secret in secrets.values if secret in log)
    assert not leaked, f"found in the log: {[s[:12] + '...' for s in leaked]}"
    assert CODE not in log
    assert "/callback?" not in log and "code=" not in log
    assert "Traceback" not in log


def test_an_unexpected_failure_on_callback_logs_the_path_without_its_query(base_url, monkeypatch, caplog):
    """Tornado's own log of an uncaught exception names the full URI; ours leaves out the query,
    which holds the authorization code."""
    from handlers.hosted_ui import CallbackHandler

    async def broken(self, *args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(CallbackHandler, "get", broken)
    reply = Client(base_url).request("GET", "/callback?code=SECRET-CODE-1234&state=SECRET-STATE")
    assert reply.status == 500 and reply.json["error"] == "InternalError"
    logged = caplog.text
    assert "Uncaught exception in GET /callback" in logged and reply.json["request_id"] in logged
    assert "SECRET-CODE" not in logged and "SECRET-STATE" not in logged


def test_a_static_path_with_a_null_byte_is_404_and_its_query_is_not_logged(base_url, caplog):
    reply = Client(base_url).request("GET", "/static/main.js%00?token=SECRET-TOKEN-5678")
    assert reply.status == 404
    assert "SECRET-TOKEN" not in caplog.text and "Traceback" not in caplog.text

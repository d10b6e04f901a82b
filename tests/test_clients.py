"""The real clients in ``clients/``, each against ``python tornado_server.py`` in local mode: the
Postman collection of the tutorial's walkthrough (checked as a file, then run by newman), and the
JSON-RPC 2.0 example script."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid

import pytest

from tests.support import CODE, PASSWORD, ROOT, Client, ServerProcess, free_port, local_server

CLIENTS = os.path.join(ROOT, "clients")
COLLECTION = os.path.join(CLIENTS, "postman_collection.json")
NEWMAN = os.path.join(CLIENTS, "node_modules", ".bin", "newman")
JSONRPC_EXAMPLE = os.path.join(CLIENTS, "jsonrpc_example.py")

# The collection's requests in order, and the HTTP status each must get from the server.
WALKTHROUGH = [
    ("createAccount", 200),
    ("confirmAccount", 200),
    ("signIn", 200),
    ("refresh", 200),
    ("getUser", 200),
    ("changePass", 200),
    ("signIn with the new password", 200),
    ("signOut", 200),
    ("refresh after signOut", 401),
    ("signIn again", 200),
    ("deleteAcct", 200),
    ("signIn after deleteAcct", 401),
]
VARIABLE = re.compile(r"\{\{(\w+)\}\}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = local_server(str(tmp_path_factory.mktemp("local-cognito")), free_port(), LOCAL_COGNITO_CODE=CODE)
    yield process
    process.stop()


def fresh_user() -> str:
    return f"client-{uuid.uuid4().hex[:12]}@example.com"


def load_collection() -> dict:
    with open(COLLECTION, encoding="utf-8") as source:
        return json.load(source)


def test_the_collection_is_postman_v2_1_with_the_tutorials_bodies():
    collection = load_collection()
    assert collection["info"]["schema"] == "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
    defaults = {variable["key"]: variable["value"] for variable in collection["variable"]}
    assert defaults["baseUrl"] == "http://localhost:3006"
    assert {"user", "password", "newPassword", "code"} <= defaults.keys()

    items = collection["item"]
    assert [item["name"] for item in items] == [name for name, _ in WALKTHROUGH]
    bodies = {item["name"]: item["request"]["body"]["raw"] for item in items}
    assert bodies["createAccount"] == '{"env": "createAccount", "user": "{{user}}", "pass": "{{password}}"}'
    assert bodies["confirmAccount"] == (
        '{"env": "confirmAccount", "user": "{{user}}", "pass": "{{password}}", "conf_code": "{{code}}"}'
    )
    assert bodies["refresh"] == '{"env": "refresh"}'  # the refresh token travels only in the cookie

    for item in items:
        request = item["request"]
        assert request["method"] == "POST" and request["url"]["raw"] == "{{baseUrl}}/", item["name"]
        # Plain raw JSON (no files, no forms), with every variable defined by the collection.
        assert request["body"]["mode"] == "raw", item["name"]
        assert set(VARIABLE.findall(request["body"]["raw"])) <= defaults.keys(), item["name"]
        json.loads(VARIABLE.sub("x", request["body"]["raw"]))
        # Thunder Client imports it: only plain test scripts, no chained requests.
        script = "\n".join(line for event in item["event"] for line in event["script"]["exec"])
        assert [event["listen"] for event in item["event"]] == ["test"], item["name"]
        assert "pm.test(" in script and "pm.sendRequest" not in script, item["name"]


def require_newman() -> str:
    if not os.path.exists(NEWMAN):
        pytest.fail(f"newman is not installed ({NEWMAN} is missing): run `npm ci --prefix clients`")
    return NEWMAN


def test_newman_runs_the_walkthrough_and_every_assertion_passes(server, tmp_path):
    newman = require_newman()
    user = fresh_user()
    report_file = tmp_path / "newman-report.json"
    result = subprocess.run(
        [
            newman,
            "run",
            COLLECTION,
            "--color",
            "off",
            "--env-var",
            f"baseUrl={server.url}",
            "--env-var",
            f"user={user}",
            "--env-var",
            f"code={CODE}",
            "-r",
            "cli,json",
            "--reporter-json-export",
            str(report_file),
        ],
        cwd=CLIENTS,
        capture_output=True,
        text=True,
        timeout=180,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output

    run = json.loads(report_file.read_text())["run"]
    executions = run["executions"]
    # Every request ran, in order, and got the status the walkthrough expects.
    assert [(e["item"]["name"], e["response"]["code"]) for e in executions] == WALKTHROUGH, output
    # Every request asserted something, and every assertion passed.
    assert all(e.get("assertions") for e in executions), output
    assertions = [a for e in executions for a in e["assertions"]]
    assert [a["assertion"] for a in assertions if a.get("error") or a.get("skipped")] == []
    assert run["stats"]["assertions"] == {"total": len(assertions), "pending": 0, "failed": 0}
    assert run["stats"]["requests"] == {"total": len(WALKTHROUGH), "pending": 0, "failed": 0}
    assert run["failures"] == []

    # refresh worked from the cookie newman kept, not from anything in the body.
    refresh = executions[3]
    cookies = [h["value"] for h in refresh["request"]["header"] if h["key"].lower() == "cookie"]
    assert cookies and cookies[0].startswith("__Host-refresh="), refresh["request"]["header"]
    # The account it made is gone: the same email signs up anew.
    assert Client(server.url).call("createAccount", user=user, **{"pass": PASSWORD}).status == 200


def run_jsonrpc_example(server: ServerProcess, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, JSONRPC_EXAMPLE, "--url", server.url + "/", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_jsonrpc_example_takes_an_account_from_sign_up_to_deletion(server):
    user = fresh_user()
    result = run_jsonrpc_example(server, "--user", user, "--password", PASSWORD, "--code", CODE)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        "createAccount",
        "confirmAccount",
        "signIn",
        "refresh",
        "getUser",
        "deleteAcct",
    ]
    assert all(line.split(": ", 1)[1].startswith("OK, ") for line in lines), lines
    assert f"getUser: OK, {user} (email verified: true)" in lines
    assert "refresh: OK, a new access token from the refresh cookie" in lines
    assert PASSWORD not in result.stdout + result.stderr
    # The account is gone: the same email signs up anew.
    assert Client(server.url).call("createAccount", user=user, **{"pass": PASSWORD}).status == 200


def test_the_jsonrpc_example_prints_the_servers_error_code_and_stops(server):
    result = run_jsonrpc_example(server, "--user", fresh_user(), "--password", PASSWORD, "--code", "000000")
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith("createAccount: OK")
    assert "confirmAccount: OK" not in result.stdout
    assert result.stderr.startswith("confirmAccount failed: CodeMismatch: ")
    assert "Traceback" not in result.stderr

"""``python -m local_cognito``: the local Cognito alone, for any app, as a process. What it prints
works with boto3 as it is; it serves the API, the discovery document, the JWKS and the hosted UI at
the addresses it prints; it reads local mode's settings and refuses bad ones by name; it stops
cleanly on SIGTERM and Ctrl-C; and it shares its data folder with a server as a server does."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.parse
import urllib.request
import uuid

import boto3
import botocore.exceptions
import jwt
import pytest
from botocore import UNSIGNED
from botocore.config import Config as BotoConfig

from tests.support import CODE, PASSWORD, Client, clean_environment, free_port, local_server
from tests.support.emulator import EMULATOR, Emulator, printed_client
from tests.support.hosted_ui import signed_in_browser
from tests.support.processes import ROOT


def fresh_email() -> str:
    return f"alone-{uuid.uuid4().hex[:12]}@example.com"


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.status == 200
        return json.load(answer)


def signed_in(idp, email: str) -> dict:
    """A new user signed up, confirmed with CODE and signed in: the AuthenticationResult."""
    idp.sign_up(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, Password=PASSWORD)
    idp.confirm_sign_up(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, ConfirmationCode=CODE)
    return idp.initiate_auth(
        ClientId=idp.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD, "SECRET_HASH": idp.hash(email)},
    )["AuthenticationResult"]


def run_emulator(*args: str, **env: str) -> subprocess.CompletedProcess:
    """``python -m local_cognito`` run to its end: for a start that must stop."""
    return subprocess.run(
        [*EMULATOR, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_environment(unset=("LOCAL_COGNITO_",), **env),
    )


@pytest.fixture
def emulator(tmp_path):
    process = Emulator(
        str(tmp_path / "data"),
        str(tmp_path / "emulator.log"),
        "--code",
        CODE,
        "--callback-url",
        "http://localhost:8123/callback",
        "--logout-url",
        "http://localhost:8123/",
    )
    yield process
    process.stop()


def test_it_prints_what_an_app_needs_and_boto3_signs_in_with_exactly_that(emulator):
    printed = emulator.printed()
    endpoint, pool_id = emulator.url, printed["COGNITO_USER_POOL_ID"]
    assert printed["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"] == printed["COGNITO_ENDPOINT_URL"] == endpoint
    assert printed["AWS_REGION"] == printed["AWS_DEFAULT_REGION"] == printed["COGNITO_REGION_NAME"] == "us-east-1"
    assert pool_id.startswith("us-east-1_")
    assert printed["COGNITO_ISSUER"] == f"{endpoint}/{pool_id}"
    banner = emulator.output()
    for label, value in (
        ("user pool", pool_id),
        ("app client", printed["COGNITO_USER_CLIENT_ID"]),
        ("client secret", printed["COGNITO_CLIENT_SECRET"]),
        ("issuer", printed["COGNITO_ISSUER"]),
    ):
        assert f"{label} ".ljust(15) + value in banner, label
    assert "this machine only; Ctrl-C stops it" in banner

    idp = printed_client(printed)
    email = fresh_email()
    tokens = signed_in(idp, email)
    # The token verifies against the keys the discovery document names, with the printed issuer.
    discovery = get_json(f"{printed['COGNITO_ISSUER']}/.well-known/openid-configuration")
    keys = jwt.PyJWKClient(discovery["jwks_uri"])
    claims = jwt.decode(
        tokens["IdToken"],
        keys.get_signing_key_from_jwt(tokens["IdToken"]).key,
        algorithms=["RS256"],
        audience=printed["COGNITO_USER_CLIENT_ID"],
        issuer=printed["COGNITO_ISSUER"],
    )
    assert claims["email"] == email and claims["token_use"] == "id"
    assert idp.get_user(AccessToken=tokens["AccessToken"])["UserAttributes"]


def test_boto3_finds_the_endpoint_and_region_in_the_printed_environment_alone(emulator, monkeypatch):
    printed = emulator.printed()
    for name in ("AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")  # no profile's endpoint or region
    for name, value in printed.items():
        monkeypatch.setenv(name, value)
    idp = boto3.session.Session().client("cognito-idp", config=BotoConfig(signature_version=UNSIGNED))
    assert idp.meta.endpoint_url == emulator.url
    assert idp.meta.region_name == "us-east-1"
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        idp.initiate_auth(
            ClientId=printed["COGNITO_USER_CLIENT_ID"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": fresh_email(), "PASSWORD": PASSWORD},
        )
    # Its answer, not a connection error: a client with a secret needs SECRET_HASH.
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_discovery_jwks_and_hosted_ui_are_served_where_cognitos_are(emulator):
    printed = emulator.printed()
    endpoint, issuer, client_id = emulator.url, printed["COGNITO_ISSUER"], printed["COGNITO_USER_CLIENT_ID"]
    discovery = get_json(f"{endpoint}/{printed['COGNITO_USER_POOL_ID']}/.well-known/openid-configuration")
    assert discovery["issuer"] == issuer
    assert discovery["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert discovery["authorization_endpoint"] == f"{endpoint}/oauth2/authorize"
    assert discovery["token_endpoint"] == f"{endpoint}/oauth2/token"
    assert discovery["userinfo_endpoint"] == f"{endpoint}/oauth2/userInfo"
    assert "code" in discovery["response_types_supported"]
    assert {key["alg"] for key in get_json(discovery["jwks_uri"])["keys"]} == {"RS256"}

    # The hosted-UI URL it printed shows the sign-in page, for the callback URL it was given.
    sign_in_url = next(
        line.split()[-1] for line in emulator.output().splitlines() if line.strip().startswith("hosted UI")
    )
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(sign_in_url).query)
    assert query["client_id"] == [client_id] and query["redirect_uri"] == ["http://localhost:8123/callback"]
    page = Client(endpoint).request("GET", sign_in_url, headers={"Accept": "text/html"}, follow=True)
    assert page.status == 200 and b'type="password"' in page.body
    # Another redirect_uri is refused with an error page, never a redirect.
    other = sign_in_url.replace("8123", "8124")
    refused = Client(endpoint).request("GET", other, headers={"Accept": "text/html"}, follow=False)
    assert refused.status == 400 and refused.location is None


def test_the_address_apps_reach_it_at_names_the_issuer(tmp_path):
    port = free_port()
    url = f"http://localhost:{port}"
    emulator = Emulator(str(tmp_path / "data"), str(tmp_path / "log"), "--code", CODE, "--url", url, port=port)
    try:
        printed = emulator.printed()
        issuer = f"{url}/{printed['COGNITO_USER_POOL_ID']}"
        assert printed["COGNITO_ENDPOINT_URL"] == url and printed["COGNITO_ISSUER"] == issuer
        assert get_json(f"{issuer}/.well-known/openid-configuration")["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
        tokens = signed_in(printed_client(printed), fresh_email())
        assert jwt.decode(tokens["AccessToken"], options={"verify_signature": False})["iss"] == issuer
    finally:
        emulator.stop()


def test_listening_beyond_this_machine_is_said_with_its_risk(tmp_path):
    port = free_port()
    emulator = Emulator(str(tmp_path / "data"), str(tmp_path / "log"), "--host", "0.0.0.0", port=port)
    try:
        printed = emulator.printed()
        assert printed["COGNITO_ENDPOINT_URL"] == f"http://127.0.0.1:{port}"
        assert "listening on 0.0.0.0: anyone who reaches it can act as the pool's admin" in emulator.output()
        assert get_json(f"{printed['COGNITO_ISSUER']}/.well-known/jwks.json")["keys"]
    finally:
        emulator.stop()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_it_stops_cleanly_and_keeps_its_pool_across_a_restart(tmp_path, stop_signal):
    data, log = str(tmp_path / "data"), str(tmp_path / "log")
    first = Emulator(data, log, "--code", CODE, "--print-env")
    printed = first.printed()
    email = fresh_email()
    signed_in(printed_client(printed), email)
    first.process.send_signal(stop_signal)
    output = first.server.wait_for_exit()
    assert first.process.returncode == 0, output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output
    # --print-env printed nothing but the NAME=value lines (the emailed code is a log record).
    assert [line for line in output.splitlines() if "=" in line and not line.startswith("20")] == [
        f"{name}={value}" for name, value in printed.items()
    ]

    again = Emulator(data, str(tmp_path / "log2"), "--print-env", port=first.port)
    try:
        second = again.printed()
        assert second == printed  # the same pool, app client and secret
        idp = printed_client(second)
        assert idp.initiate_auth(
            ClientId=idp.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD, "SECRET_HASH": idp.hash(email)},
        )["AuthenticationResult"]
    finally:
        again.stop()


def test_local_modes_settings_are_taken_from_the_environment_and_the_options(tmp_path):
    emulator = Emulator(
        str(tmp_path / "data"),
        str(tmp_path / "log"),
        "--admin-email",
        "boss@example.com",
        "--required-attributes",
        "nickname",
        "--refresh-rotation",
        "on",
        LOCAL_ADMIN_PASSWORD="Boss_password_1",
        ADMIN_GROUP="bosses",
        LOCAL_COGNITO_CODE=CODE,
        LOCAL_COGNITO_CLOCK_OFFSET="-3600",
        LOCAL_COGNITO_ROTATION_GRACE_SECONDS="5",
        # What it printed before, in the environment, changes nothing.
        COGNITO_USER_POOL_ID="us-east-1_elsewhere",
        COGNITO_ENDPOINT_URL="http://127.0.0.1:9",
    )
    try:
        printed = emulator.printed()
        assert printed["COGNITO_USER_POOL_ID"] != "us-east-1_elsewhere"
        idp = printed_client(printed)
        admin = idp.initiate_auth(
            ClientId=idp.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={
                "USERNAME": "boss@example.com",
                "PASSWORD": "Boss_password_1",
                "SECRET_HASH": idp.hash("boss@example.com"),
            },
        )["AuthenticationResult"]
        claims = jwt.decode(admin["AccessToken"], options={"verify_signature": False})
        assert claims["cognito:groups"] == ["bosses"]
        assert abs(claims["iat"] - (time.time() - 3600)) < 120  # its clock, an hour behind
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            idp.sign_up(
                ClientId=idp.client_id,
                SecretHash=idp.hash("x@example.com"),
                Username="x@example.com",
                Password=PASSWORD,
            )
        assert "nickname: The attribute is required" in refused.value.response["Error"]["Message"]
        rotated = idp.get_tokens_from_refresh_token(
            ClientId=idp.client_id, ClientSecret=printed["COGNITO_CLIENT_SECRET"], RefreshToken=admin["RefreshToken"]
        )["AuthenticationResult"]
        assert rotated["RefreshToken"] != admin["RefreshToken"]
        assert "admin          boss@example.com  (in the 'bosses' group)" in emulator.output()
    finally:
        emulator.stop()


@pytest.mark.parametrize(
    "args, env, message",
    [
        (("--clock-offset", "soon"), {}, "--clock-offset (LOCAL_COGNITO_CLOCK_OFFSET) must be a number of seconds"),
        ((), {"LOCAL_COGNITO_ROTATION_GRACE_SECONDS": "99"}, "LOCAL_COGNITO_ROTATION_GRACE_SECONDS must be a whole"),
        (("--port", "70000"), {}, "--port (LOCAL_COGNITO_PORT) must be between 1 and 65535"),
        (
            ("--admin-email", "boss@example.com"),
            {},
            "--admin-email (LOCAL_ADMIN_EMAIL) is set but LOCAL_ADMIN_PASSWORD",
        ),
        (
            ("--required-attributes", "shoe_size"),
            {},
            "--required-attributes (LOCAL_COGNITO_REQUIRED_ATTRIBUTES) lists 'shoe_size'",
        ),
        (("--callback-url", "http://app.example.com/callback"), {}, "takes http:// only for localhost"),
        ((), {"LOCAL_COGNITO_LOGOUT_URLS": "https://app.example.com/#signed-out"}, "without a fragment"),
        (("--callback-url", "myapp:signed-in"), {}, "--callback-url (LOCAL_COGNITO_CALLBACK_URLS) must list absolute"),
        (("--url", "ftp://cognito"), {}, "--url (LOCAL_COGNITO_URL) must start with http:// or https://"),
        (("--host", "a b"), {}, "--host (LOCAL_COGNITO_HOST) must be an address"),
    ],
)
def test_a_bad_setting_stops_the_start_naming_it(tmp_path, args, env, message):
    result = run_emulator("--data", str(tmp_path / "data"), *args, **env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("Cannot start: ") and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not (tmp_path / "data").exists()  # read and checked before anything is made


def test_a_local_admin_the_pool_refuses_stops_the_start_and_leaves_the_folder_free(tmp_path):
    data = str(tmp_path / "data")
    result = run_emulator(
        "--data", data, "--port", "0", "--admin-email", "boss@example.com", "--admin-password", "short"
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith(
        "Cannot start: --admin-password (LOCAL_ADMIN_PASSWORD) does not meet the local user pool's password policy"
    )
    assert "short" not in result.stderr.replace("password policy", "") and "Traceback" not in result.stderr
    emulator = Emulator(data, str(tmp_path / "log"))  # the folder was let go
    try:
        assert emulator.printed()["COGNITO_USER_POOL_ID"]
    finally:
        emulator.stop()


def test_a_port_in_use_stops_the_start(emulator, tmp_path):
    result = run_emulator("--data", str(tmp_path / "other"), "--port", str(emulator.port))
    assert result.returncode == 1
    assert f"Cannot start the local Cognito on 127.0.0.1 port {emulator.port}: " in result.stderr
    assert "Traceback" not in result.stderr


def test_a_server_started_over_its_folder_joins_it(tmp_path):
    """It takes the data folder as a server in local mode does: a server started afterwards uses the
    same pool, and its hosted UI works once the server's callback URL is the emulator's."""
    data, server_port = str(tmp_path / "data"), free_port()
    base_url = f"http://localhost:{server_port}"
    emulator = Emulator(
        data,
        str(tmp_path / "emulator.log"),
        "--code",
        CODE,
        "--callback-url",
        f"{base_url}/callback",
        "--logout-url",
        f"{base_url}/",
    )
    try:
        printed = emulator.printed()
        email = fresh_email()
        signed_in(printed_client(printed), email)
        server = local_server(data, server_port, log_path=str(tmp_path / "server.log"), LOCAL_COGNITO_CODE=CODE)
        try:
            joined = f"Joined the local Cognito at {emulator.url} (run by process {emulator.process.pid}"
            assert joined in server.output()
            assert "does not send people back" not in server.output()
            # The account made at the emulator signs in through the server, and the server's
            # hosted-UI sign-in goes through the emulator's pages and back.
            reply = Client(base_url).call("signIn", user=email, **{"pass": PASSWORD})
            assert reply.status == 200, reply.body
            assert (
                jwt.decode(reply.json["access_token"], options={"verify_signature": False})["iss"]
                == printed["COGNITO_ISSUER"]
            )
            signed_in_browser(base_url, email)
        finally:
            server.stop()
        # The emulator goes on after the server that joined it has stopped.
        assert printed_client(printed).initiate_auth(
            ClientId=printed["COGNITO_USER_CLIENT_ID"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={
                "USERNAME": email,
                "PASSWORD": PASSWORD,
                "SECRET_HASH": printed_client(printed).hash(email),
            },
        )["AuthenticationResult"]
    finally:
        emulator.stop()


def test_a_joined_server_whose_callback_the_emulator_lacks_says_so(tmp_path):
    data, server_port = str(tmp_path / "data"), free_port()
    emulator = Emulator(data, str(tmp_path / "emulator.log"), "--callback-url", "http://localhost:8123/callback")
    try:
        emulator.printed()
        server = local_server(data, server_port, log_path=str(tmp_path / "server.log"))
        try:
            assert (
                f"does not send people back to http://localhost:{server_port}/callback after a hosted-UI sign-in"
            ) in server.output()
            assert f"--callback-url http://localhost:{server_port}/callback" in server.output()
        finally:
            server.stop()
    finally:
        emulator.stop()


def test_over_a_folder_a_server_runs_it_does_not_start_a_second(tmp_path):
    data = str(tmp_path / "data")
    server = local_server(data, free_port(), log_path=str(tmp_path / "server.log"))
    try:
        result = run_emulator("--data", data, "--port", "0")
        assert result.returncode == 1, result.stdout + result.stderr
        running = json.loads((tmp_path / "data" / "running.json").read_text())
        assert (
            f"Cannot start: the local Cognito of process {server.process.pid} already serves the data folder "
            f"{data}, at {running['endpoint_url']}."
        ) in result.stderr
        assert result.stdout == "" and "Traceback" not in result.stderr
    finally:
        server.stop()

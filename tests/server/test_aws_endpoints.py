"""Where Cognito (and S3, STS) is: COGNITO_ENDPOINT_URL, botocore's AWS_ENDPOINT_URL settings and the
shared config file, decided once so the API calls, the JWKS and the issuer agree.

The configuration is checked for each combination, and against botocore itself: a botocore client
made in the same environment must go where the configuration says. Then, over real HTTP, the server
runs on a real-pool configuration whose Cognito is moto's own server, named only by
AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_COGNITO_IDP (which
only this server reads; its other cases are in test_aws_endpoints_cognito_idp.py): /readyz answers
200 and moto's tokens verify against moto's JWKS (with COGNITO_ISSUER, since moto's tokens name AWS's
address).
"""

from __future__ import annotations

import asyncio
import uuid

import botocore.session
import jwt
import pytest

from server.cognito import CognitoClient, secret_hash
from server.config import ConfigError, load_config
from tests.support import Client, Photos, ServerProcess, free_port, picture
from tests.support.moto_server import UNSET_AGAINST_MOTO, MotoServer, app_client, moto_issuer, user_with_password

POOL = {
    "COGNITO_REGION_NAME": "eu-west-1",
    "COGNITO_USER_POOL_ID": "eu-west-1_EndPoint1",
    "COGNITO_USER_CLIENT_ID": "client",
    "COGNITO_CLIENT_SECRET": "secret",
    "COOKIE_SECRET": "k",
}
AWS_POOL_URL = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EndPoint1"
SERVICE_VARIABLE = "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"
# Every variable that moves an endpoint, cleared before each environment a test makes.
ENDPOINT_NAMES = (
    "AWS_ENDPOINT_URL",
    SERVICE_VARIABLE,
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_STS",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",
    "COGNITO_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_COGNITO_IDP",
)


@pytest.fixture
def no_config_file(tmp_path):
    return str(tmp_path / "no-such-config")


def config_of(config_file: str, local: bool = False, **env: str):
    return load_config({**({} if local else POOL), "AWS_CONFIG_FILE": config_file, **env})


def write_config_file(tmp_path, text: str) -> str:
    path = tmp_path / "aws-config"
    path.write_text(text)
    return str(path)


# --- the configuration ------------------------------------------------------------------------------


def test_without_endpoint_settings_everything_is_at_aws(no_config_file):
    config = config_of(no_config_file)
    assert (config.endpoint_url, config.endpoint_source) == (None, None)
    assert config.issuer == AWS_POOL_URL and config.jwks_url == AWS_POOL_URL + "/.well-known/jwks.json"
    assert config.s3_endpoint_url is None and config.sts_endpoint_url is None


@pytest.mark.parametrize(
    "env, endpoint, source",
    [
        ({"COGNITO_ENDPOINT_URL": "http://127.0.0.1:5000/"}, "http://127.0.0.1:5000", "COGNITO_ENDPOINT_URL"),
        ({SERVICE_VARIABLE: "http://127.0.0.1:5001"}, "http://127.0.0.1:5001", SERVICE_VARIABLE),
        ({"AWS_ENDPOINT_URL": "http://localhost:4566"}, "http://localhost:4566", "AWS_ENDPOINT_URL"),
        # The service's own variable wins over the global one, and ours over both.
        (
            {"AWS_ENDPOINT_URL": "http://localhost:4566", SERVICE_VARIABLE: "http://127.0.0.1:5001"},
            "http://127.0.0.1:5001",
            SERVICE_VARIABLE,
        ),
        (
            {
                "AWS_ENDPOINT_URL": "http://localhost:4566",
                SERVICE_VARIABLE: "http://127.0.0.1:5001",
                "COGNITO_ENDPOINT_URL": "http://127.0.0.1:5000",
            },
            "http://127.0.0.1:5000",
            "COGNITO_ENDPOINT_URL",
        ),
    ],
)
def test_the_cognito_endpoint_and_what_is_derived_from_it(no_config_file, env, endpoint, source):
    config = config_of(no_config_file, **env)
    assert (config.endpoint_url, config.endpoint_source) == (endpoint, source)
    assert config.issuer == f"{endpoint}/eu-west-1_EndPoint1"
    assert config.jwks_url == f"{endpoint}/eu-west-1_EndPoint1/.well-known/jwks.json"
    assert not config.local


def test_aws_endpoint_url_also_places_s3_and_sts_unless_they_have_their_own(no_config_file):
    config = config_of(
        no_config_file, AWS_ENDPOINT_URL="http://localhost:4566", AWS_ENDPOINT_URL_S3="http://127.0.0.1:9000"
    )
    assert config.s3_endpoint_url == "http://127.0.0.1:9000"
    assert config.sts_endpoint_url == "http://localhost:4566"
    assert config.endpoint_url == "http://localhost:4566"


@pytest.mark.parametrize(
    "value, ignored", [("true", True), ("TRUE", True), ("false", False), ("1", False), ("", False)]
)
def test_aws_ignore_configured_endpoint_urls_as_botocore_reads_it(no_config_file, value, ignored):
    config = config_of(
        no_config_file, AWS_ENDPOINT_URL="http://localhost:4566", AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=value
    )
    assert config.endpoint_url == (None if ignored else "http://localhost:4566")
    assert config.s3_endpoint_url == (None if ignored else "http://localhost:4566")
    assert config.issuer == (AWS_POOL_URL if ignored else "http://localhost:4566/eu-west-1_EndPoint1")
    # Our own setting is not one of botocore's configured endpoints: it still counts.
    ours = config_of(
        no_config_file, COGNITO_ENDPOINT_URL="http://127.0.0.1:5000", AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=value
    )
    assert ours.endpoint_url == "http://127.0.0.1:5000"


CONFIG_FILE = """\
[default]
endpoint_url = http://127.0.0.1:7000

[profile sections]
services = emulators
endpoint_url = http://127.0.0.1:7001

[profile ignoring]
endpoint_url = http://127.0.0.1:7002
ignore_configured_endpoint_urls = true

[profile broken]
services = missing

[services emulators]
cognito_identity_provider =
  endpoint_url = http://127.0.0.1:7003
s3 =
  endpoint_url = http://127.0.0.1:7004
"""


@pytest.mark.parametrize(
    "env, cognito, s3",
    [
        ({}, "http://127.0.0.1:7000", "http://127.0.0.1:7000"),
        ({"AWS_PROFILE": "sections"}, "http://127.0.0.1:7003", "http://127.0.0.1:7004"),
        (
            {"AWS_DEFAULT_PROFILE": "sections", "AWS_PROFILE": "ignoring"},
            "http://127.0.0.1:7003",
            "http://127.0.0.1:7004",
        ),
        (
            {"AWS_PROFILE": "sections", "AWS_ENDPOINT_URL": "http://localhost:4566"},
            "http://localhost:4566",
            "http://localhost:4566",
        ),
        ({"AWS_PROFILE": "ignoring"}, None, None),
        (
            {"AWS_PROFILE": "ignoring", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"},
            "http://127.0.0.1:7002",
            "http://127.0.0.1:7002",
        ),
        ({"AWS_PROFILE": "no-such-profile"}, None, None),
    ],
)
def test_the_shared_config_file(tmp_path, env, cognito, s3):
    config = config_of(write_config_file(tmp_path, CONFIG_FILE), **env)
    assert (config.endpoint_url, config.s3_endpoint_url) == (cognito, s3)
    if cognito:
        assert config.jwks_url == f"{cognito}/eu-west-1_EndPoint1/.well-known/jwks.json"
        assert "aws-config" in config.endpoint_source or config.endpoint_source == "AWS_ENDPOINT_URL"


def test_a_profile_naming_a_missing_services_section_stops_start_up(tmp_path):
    with pytest.raises(ConfigError) as caught:
        config_of(write_config_file(tmp_path, CONFIG_FILE), AWS_PROFILE="broken")
    assert "'broken'" in str(caught.value) and "'missing'" in str(caught.value)


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"AWS_ENDPOINT_URL": "http://localhost:4566"},
        {SERVICE_VARIABLE: "http://127.0.0.1:5001"},
        {"AWS_ENDPOINT_URL": "http://localhost:4566", SERVICE_VARIABLE: "http://127.0.0.1:5001"},
        {"AWS_ENDPOINT_URL": "http://localhost:4566", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
        {"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000"},
        {"AWS_PROFILE": "sections"},
        {"AWS_PROFILE": "ignoring"},
        {"AWS_DEFAULT_PROFILE": "sections"},
        {"AWS_DEFAULT_PROFILE": "sections", "AWS_PROFILE": "ignoring"},
        {"AWS_PROFILE": "ignoring", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"},
        {"AWS_PROFILE": "sections", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
    ],
)
def test_botocore_goes_where_the_configuration_says(tmp_path, monkeypatch, env):
    """The witness: botocore's own endpoint resolution, in the same environment."""
    config_file = write_config_file(tmp_path, CONFIG_FILE)
    for name in ENDPOINT_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in {**env, "AWS_CONFIG_FILE": config_file}.items():
        monkeypatch.setenv(name, value)
    config = config_of(config_file, **env)
    session = botocore.session.Session()
    for service, ours, aws in (
        ("cognito-idp", config.endpoint_url, "https://cognito-idp.eu-west-1.amazonaws.com"),
        ("s3", config.s3_endpoint_url, "https://s3.eu-west-1.amazonaws.com"),
        ("sts", config.sts_endpoint_url, "https://sts.eu-west-1.amazonaws.com"),
    ):
        client = session.create_client(
            service, region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        assert client.meta.endpoint_url == (ours or aws), service


def test_our_client_goes_only_where_the_configuration_says(no_config_file, monkeypatch):
    """An endpoint the configuration did not see (set after it was read) does not move the client."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv(SERVICE_VARIABLE, "http://127.0.0.1:9")
    for env, expected in (
        ({}, "https://cognito-idp.eu-west-1.amazonaws.com"),
        ({"COGNITO_ENDPOINT_URL": "http://127.0.0.1:5000"}, "http://127.0.0.1:5000"),
    ):
        config = config_of(no_config_file, **env)

        async def endpoint_of_a_started_client():
            client = CognitoClient(config)
            await client.start()
            try:
                return client._client.meta.endpoint_url
            finally:
                await client.close()

        assert asyncio.run(endpoint_of_a_started_client()) == expected


def test_an_endpoint_of_aws_itself_keeps_the_standard_issuer_and_keys(no_config_file):
    fips = "https://cognito-idp-fips.eu-west-1.amazonaws.com"
    config = config_of(no_config_file, **{SERVICE_VARIABLE: fips})
    assert config.endpoint_url == fips
    assert config.issuer == AWS_POOL_URL and config.jwks_url == AWS_POOL_URL + "/.well-known/jwks.json"


def test_cognito_issuer_overrides_only_the_issuer(no_config_file):
    config = config_of(
        no_config_file,
        AWS_ENDPOINT_URL="http://localhost:4566",
        COGNITO_ISSUER="http://localhost.localstack.cloud:4566/eu-west-1_EndPoint1",
    )
    assert config.issuer == "http://localhost.localstack.cloud:4566/eu-west-1_EndPoint1"
    assert config.jwks_url == "http://localhost:4566/eu-west-1_EndPoint1/.well-known/jwks.json"


def test_aws_endpoint_url_alone_keeps_local_mode_and_is_mentioned(no_config_file):
    config = config_of(no_config_file, local=True, AWS_ENDPOINT_URL="http://localhost:4566", PHOTOS_BUCKET="photos")
    assert config.local and config.endpoint_url is None
    assert config.unused_cognito_endpoint == "AWS_ENDPOINT_URL (http://localhost:4566)"
    # S3 follows it as botocore would: a bucket on that local S3 is allowed in local mode.
    assert config.s3_endpoint_url == "http://localhost:4566"
    assert config_of(no_config_file, local=True).unused_cognito_endpoint is None


def test_a_cognito_endpoint_without_a_pool_stops_start_up(no_config_file):
    with pytest.raises(ConfigError) as caught:
        config_of(no_config_file, local=True, **{SERVICE_VARIABLE: "http://localhost:4566"})
    message = str(caught.value)
    assert message.startswith(
        f"{SERVICE_VARIABLE} sends Cognito calls to http://localhost:4566, but no user pool is configured"
    )
    for name in (
        "COGNITO_REGION_NAME",
        "COGNITO_USER_POOL_ID",
        "COGNITO_USER_CLIENT_ID",
        "COGNITO_CLIENT_SECRET",
        "COOKIE_SECRET",
    ):
        assert name in message
    # Ignored, as botocore would ignore it: local mode.
    assert config_of(
        no_config_file,
        local=True,
        AWS_IGNORE_CONFIGURED_ENDPOINT_URLS="true",
        **{SERVICE_VARIABLE: "http://localhost:4566"},
    ).local


@pytest.mark.parametrize(
    "name, value",
    [
        ("AWS_ENDPOINT_URL", "localhost:4566"),
        (SERVICE_VARIABLE, "ftp://localhost"),
        ("AWS_ENDPOINT_URL", "http://localhost:4566/?a=b"),
        ("COGNITO_ENDPOINT_URL", "http://localhost:port"),
        ("AWS_ENDPOINT_URL_S3", "s3.local"),
    ],
)
def test_a_malformed_endpoint_stops_start_up_naming_it(no_config_file, name, value):
    with pytest.raises(ConfigError) as caught:
        config_of(no_config_file, **{name: value})
    assert str(caught.value).startswith(name + " ")


# --- over HTTP: the server on moto's own Cognito -------------------------------------------------------

ADMIN = "boss@example.com"
ADMIN_PASSWORD = "Boss_password_1"


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    """moto's server as a program of its own, with a pool, an app client with a secret, an admin in
    the admin group, and a bucket."""
    server = MotoServer(str(tmp_path_factory.mktemp("moto") / "moto.log"))
    idp = server.client()
    pool_id = idp.create_user_pool(PoolName="endpoint-settings")["UserPool"]["Id"]
    client = app_client(idp, pool_id, "server")
    idp.create_group(UserPoolId=pool_id, GroupName="admin")
    user_with_password(idp, pool_id, ADMIN, ADMIN_PASSWORD)
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username=ADMIN, GroupName="admin")
    bucket = "photos-" + uuid.uuid4().hex[:8]
    s3 = server.client("s3")
    s3.create_bucket(Bucket=bucket)
    yield server, idp, pool_id, client, s3, bucket
    server.stop()


def our_server(tmp_path, moto, **settings: str) -> ServerProcess:
    """tornado_server.py on a real-pool configuration for moto's pool: where Cognito is comes only
    from ``settings``."""
    _, _, pool_id, client, _, _ = moto
    port = free_port()
    return ServerProcess(
        port,
        {
            "COGNITO_REGION_NAME": "us-east-1",
            "COGNITO_USER_POOL_ID": pool_id,
            "COGNITO_USER_CLIENT_ID": client["ClientId"],
            "COGNITO_CLIENT_SECRET": client["ClientSecret"],
            "COOKIE_SECRET": "endpoint-settings-secret",
            "HOST": "127.0.0.1",
            "PHOTOS_DATA": str(tmp_path / f"photos-{port}"),
            # moto takes any keys for the admin calls; no file or instance role is looked at.
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
            "AWS_EC2_METADATA_DISABLED": "true",
            **settings,
        },
        log_path=str(tmp_path / f"server-{port}.log"),
        host="127.0.0.1",
        unset=UNSET_AGAINST_MOTO,
    )


def test_moto_tokens_name_aws_as_issuer_and_its_jwks_is_on_its_endpoint(moto):
    """What COGNITO_ISSUER is for: moto's discovery document and tokens name AWS's address."""
    server, idp, pool_id, client, _, _ = moto
    discovery = Client(server.url).request("GET", f"/{pool_id}/.well-known/openid-configuration").json
    assert discovery["issuer"] == moto_issuer(pool_id)
    assert discovery["jwks_uri"] == f"{server.url}/{pool_id}/.well-known/jwks.json"
    tokens = idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client["ClientId"],
        AuthParameters={
            "USERNAME": ADMIN,
            "PASSWORD": ADMIN_PASSWORD,
            "SECRET_HASH": secret_hash(ADMIN, client["ClientId"], client["ClientSecret"]),
        },
    )["AuthenticationResult"]
    assert jwt.decode(tokens["AccessToken"], options={"verify_signature": False})["iss"] == moto_issuer(pool_id)


@pytest.mark.parametrize(
    "variable", ["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_COGNITO_IDP"]
)
def test_the_server_on_moto_named_only_by_an_endpoint_variable(tmp_path, moto, variable):
    server, _, pool_id, _, s3, bucket = moto
    settings = {variable: server.url, "COGNITO_ISSUER": moto_issuer(pool_id)}
    if variable == "AWS_ENDPOINT_URL":
        settings["PHOTOS_BUCKET"] = bucket  # S3 is at moto's server too, by the same variable
    ours = our_server(tmp_path, moto, **settings)
    try:
        client = Client(ours.url)
        ready = client.request("GET", "/readyz")
        assert (ready.status, ready.json) == (200, {"status": "ready"}), ours.output()
        # Signing in goes to moto (SECRET_HASH and all), and its token verifies against moto's JWKS.
        signed_in = client.call("signIn", user=ADMIN, **{"pass": ADMIN_PASSWORD})
        assert signed_in.status == 200, signed_in.body
        token = signed_in.json["access_token"]
        assert jwt.decode(token, options={"verify_signature": False})["iss"] == moto_issuer(pool_id)
        listed = client.call("adminListUsers", access_token=token)
        assert listed.status == 200, listed.body
        assert [user["email"] or user["username"] for user in listed.json["users"]] == [ADMIN]
        photos = Photos(Client(ours.url), token)
        assert (photos.list().status, photos.list().json) == (200, {"photos": []})
        if variable == "AWS_ENDPOINT_URL":
            uploaded = photos.upload(picture(), "in moto's bucket")
            assert uploaded.status == 201, uploaded.body
            keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
            assert any(key.endswith(uploaded.json["photo"]["id"] + "/image") for key in keys), keys
        assert f"Cognito is at {server.url} (from {variable})" in ours.output()
        # Said once at start-up: other AWS tools would not find moto's server by this name.
        assert ours.output().count("AWS_ENDPOINT_URL_COGNITO_IDP is honoured by this server, but other AWS tools") == (
            variable == "AWS_ENDPOINT_URL_COGNITO_IDP"
        )
    finally:
        ours.stop(check=False)


def test_without_cognito_issuer_moto_answers_but_its_tokens_are_refused(tmp_path, moto):
    server, _, _, _, _, _ = moto
    ours = our_server(tmp_path, moto, **{SERVICE_VARIABLE: server.url})
    try:
        client = Client(ours.url)
        assert client.request("GET", "/readyz").status == 200  # the JWKS is reached at moto's endpoint
        token = client.call("signIn", user=ADMIN, **{"pass": ADMIN_PASSWORD}).json["access_token"]
        reply = Photos(client, token).list()
        assert (reply.status, reply.json["error"]) == (401, "InvalidToken")  # iss is not {endpoint}/{pool}
    finally:
        ours.stop(check=False)

"""AWS_ENDPOINT_URL_COGNITO_IDP (server/aws_endpoints.py): a name botocore does not read, taken by this
server as Cognito's endpoint, right after botocore's own AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER.

The configuration is checked for each combination: its place in the order, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS,
the two Cognito variables naming different addresses, and local mode. The witness is botocore itself:
a botocore client made in the same environment does not go there (which is why the server says so at
start-up), while the server's own client, handed the endpoint, does. Over real HTTP, the server on
moto's server named only by this variable is in test_aws_endpoints.py.
"""

from __future__ import annotations

import asyncio

import botocore.session
import pytest

from server.cognito import CognitoClient
from server.config import ConfigError, load_config

POOL = {
    "COGNITO_REGION_NAME": "eu-west-1",
    "COGNITO_USER_POOL_ID": "eu-west-1_EndPoint1",
    "COGNITO_USER_CLIENT_ID": "client",
    "COGNITO_CLIENT_SECRET": "secret",
    "COOKIE_SECRET": "k",
}
AWS_ENDPOINT = "https://cognito-idp.eu-west-1.amazonaws.com"
IDP = "AWS_ENDPOINT_URL_COGNITO_IDP"
BOTOCORE_VARIABLE = "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"
POOL_SETTINGS = (
    "COGNITO_REGION_NAME",
    "COGNITO_USER_POOL_ID",
    "COGNITO_USER_CLIENT_ID",
    "COGNITO_CLIENT_SECRET",
    "COOKIE_SECRET",
)
# Every variable that moves an endpoint, cleared before the environment a test makes.
ENDPOINT_NAMES = (
    "AWS_ENDPOINT_URL",
    BOTOCORE_VARIABLE,
    IDP,
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_STS",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",
    "COGNITO_ENDPOINT_URL",
)


@pytest.fixture
def no_config_file(tmp_path):
    return str(tmp_path / "no-such-config")


def config_of(config_file: str, local: bool = False, **env: str):
    return load_config({**({} if local else POOL), "AWS_CONFIG_FILE": config_file, **env})


@pytest.mark.parametrize(
    "env, endpoint, source",
    [
        ({IDP: "http://localhost:4566/"}, "http://localhost:4566", IDP),
        # Before AWS_ENDPOINT_URL, as a service's own variable is.
        ({IDP: "http://127.0.0.1:5002", "AWS_ENDPOINT_URL": "http://localhost:4566"}, "http://127.0.0.1:5002", IDP),
        # After botocore's own variable: the same address is botocore's.
        (
            {IDP: "http://127.0.0.1:5001/", BOTOCORE_VARIABLE: "http://127.0.0.1:5001"},
            "http://127.0.0.1:5001",
            BOTOCORE_VARIABLE,
        ),
        # And after ours.
        (
            {IDP: "http://127.0.0.1:5002", "COGNITO_ENDPOINT_URL": "http://127.0.0.1:5000"},
            "http://127.0.0.1:5000",
            "COGNITO_ENDPOINT_URL",
        ),
    ],
)
def test_the_cognito_idp_name_in_its_place(no_config_file, env, endpoint, source):
    config = config_of(no_config_file, **env)
    assert (config.endpoint_url, config.endpoint_source) == (endpoint, source)
    assert config.issuer == f"{endpoint}/eu-west-1_EndPoint1"
    assert config.jwks_url == f"{endpoint}/eu-west-1_EndPoint1/.well-known/jwks.json"
    assert not config.local


def test_the_cognito_idp_name_places_only_cognito(no_config_file):
    config = config_of(no_config_file, **{IDP: "http://localhost:4566"})
    assert config.s3_endpoint_url is None and config.sts_endpoint_url is None


def test_the_cognito_idp_name_is_ignored_with_the_configured_endpoints(no_config_file):
    config = config_of(no_config_file, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS="true", **{IDP: "http://localhost:4566"})
    assert (config.endpoint_url, config.endpoint_source) == (None, None)
    assert config.issuer == f"{AWS_ENDPOINT}/eu-west-1_EndPoint1"
    # Ignored, neither is read: two different addresses stop nothing.
    config = config_of(
        no_config_file,
        AWS_IGNORE_CONFIGURED_ENDPOINT_URLS="true",
        **{IDP: "http://localhost:4566", BOTOCORE_VARIABLE: "http://127.0.0.1:5001"},
    )
    assert config.endpoint_url is None


@pytest.mark.parametrize("local", [True, False])
def test_the_two_cognito_variables_naming_different_addresses_stop_start_up(no_config_file, local):
    with pytest.raises(ConfigError) as caught:
        config_of(
            no_config_file, local=local, **{IDP: "http://localhost:4566", BOTOCORE_VARIABLE: "http://127.0.0.1:5001"}
        )
    message = str(caught.value)
    assert message.startswith(
        f"{BOTOCORE_VARIABLE} (http://127.0.0.1:5001) and {IDP} (http://localhost:4566) both "
        "say where Cognito is, and they differ"
    )


def test_the_cognito_idp_name_without_a_pool_stops_start_up(no_config_file):
    with pytest.raises(ConfigError) as caught:
        config_of(no_config_file, local=True, **{IDP: "http://localhost:4566"})
    message = str(caught.value)
    assert message.startswith(f"{IDP} sends Cognito calls to http://localhost:4566, but no user pool is configured")
    for name in POOL_SETTINGS:
        assert name in message
    # Ignored with the configured endpoints: local mode, and nothing to mention.
    config = config_of(
        no_config_file, local=True, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS="true", **{IDP: "http://localhost:4566"}
    )
    assert config.local and config.unused_cognito_endpoint is None


@pytest.mark.parametrize("value", ["localhost:4566", "http://localhost:4566/?a=b", "http://localhost:port"])
def test_a_malformed_cognito_idp_endpoint_stops_start_up_naming_it(no_config_file, value):
    with pytest.raises(ConfigError) as caught:
        config_of(no_config_file, **{IDP: value})
    assert str(caught.value).startswith(IDP + " ")


@pytest.mark.parametrize(
    "env, botocore_goes_to",
    [
        ({IDP: "http://127.0.0.1:5002"}, AWS_ENDPOINT),
        ({IDP: "http://127.0.0.1:5002", "AWS_ENDPOINT_URL": "http://localhost:4566"}, "http://localhost:4566"),
    ],
)
def test_botocore_does_not_read_the_name_and_our_client_goes_there(no_config_file, monkeypatch, env, botocore_goes_to):
    """The witness: botocore's own endpoint resolution, in the same environment, ignores the name;
    the server's client is handed the endpoint and goes where the configuration says."""
    for name in ENDPOINT_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in {**env, "AWS_CONFIG_FILE": no_config_file}.items():
        monkeypatch.setenv(name, value)
    botocore_client = botocore.session.Session().create_client(
        "cognito-idp", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    assert botocore_client.meta.endpoint_url == botocore_goes_to
    config = config_of(no_config_file, **env)
    assert (config.endpoint_url, config.endpoint_source) == ("http://127.0.0.1:5002", IDP)

    async def endpoint_of_a_started_client():
        client = CognitoClient(config)
        await client.start()
        try:
            return client._client.meta.endpoint_url
        finally:
            await client.close()

    assert asyncio.run(endpoint_of_a_started_client()) == "http://127.0.0.1:5002"

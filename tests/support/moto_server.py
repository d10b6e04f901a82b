"""moto's own Cognito server (``moto_server``, from moto's ``server`` extra that
requirements-dev.txt installs), which this project did not write, as a process of its own; boto3 clients for it; and pools
made on it with boto3 the way docs/production.md's checklist says ("A real user pool").

It runs as a process, never in the test process (``ThreadedMotoServer``): the embedded local Cognito
is built on moto's models and the tests run it in their own process, and moto's backends are global,
so an in-process moto server would share its pools with it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import urllib.error
import urllib.request

import boto3
import pytest

from tests.support.processes import ServerProcess, free_port

MOTO_SERVER = os.path.join(os.path.dirname(sys.executable), "moto_server")
REGION = "us-east-1"
# moto accepts any AWS keys; these sign the boto3 calls the tests make as the pool's operator.
OPERATOR_KEYS = {"aws_access_key_id": "AKIAMOTOOPERATOR", "aws_secret_access_key": "moto-takes-any-secret"}
# What a developer's shell may hold, besides the settings every server process goes without, that a
# server against moto must not see: where AWS is and its keys, moto's own switches, and our settings
# of local mode, photos and the public address.
UNSET_AGAINST_MOTO = ("AWS_", "MOTO_", "LOCAL_", "PHOTOS_", "BASE_URL")
# An app client as our server needs one: with a secret, signing in with a password and refreshing.
AUTH_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
START_SECONDS = 30


class MotoServer(ServerProcess):
    """``moto_server`` on a free port of 127.0.0.1, with ``env`` (such as
    ``MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP="true"``) added to a clean environment, its output in
    ``log_path``. Serving once constructed; a test failure (never a skip) showing moto's output if it
    is not installed or does not answer. ``stop()`` ends it with SIGTERM (which it does not catch)."""

    def __init__(self, log_path: str, **env: str):
        if not os.access(MOTO_SERVER, os.X_OK):
            pytest.fail(
                f"moto_server is not installed next to {sys.executable}: install requirements-dev.txt "
                "(moto with its server extra: Flask and flask-cors).",
                pytrace=False,
            )
        port = free_port()
        super().__init__(
            port,
            env,
            command=[MOTO_SERVER, "-H", "127.0.0.1", "-p", str(port)],
            log_path=log_path,
            wait=False,
            host="127.0.0.1",
            unset=UNSET_AGAINST_MOTO,
            name="moto_server",
        )
        self.wait_until_serving(START_SECONDS)

    def stop(self, check: bool = False) -> str:
        return super().stop(check)

    def client(self, service: str = "cognito-idp"):
        """A boto3 client of ``service`` at moto's server, signed with the operator's keys."""
        return boto3.client(service, region_name=REGION, endpoint_url=self.url, **OPERATOR_KEYS)

    def raw_call(self, operation: str, params: dict) -> urllib.request.addinfourl | urllib.error.HTTPError:
        """``operation`` of cognito-idp sent as botocore would, without botocore's retries or parsing."""
        request = urllib.request.Request(
            self.url + "/",
            data=json.dumps(params).encode(),
            method="POST",
            headers={
                "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}",
                "Content-Type": "application/x-amz-json-1.1",
            },
        )
        try:
            return urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError as error:
            return error


def moto_issuer(pool_id: str) -> str:
    """The issuer moto's tokens name, whatever its address: AWS's."""
    return f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}"


def app_client(idp, pool_id: str, name: str, **settings) -> dict:
    """An app client of AUTH_FLOWS with a secret, and ``settings``: CreateUserPoolClient's UserPoolClient."""
    return idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName=name, GenerateSecret=True, ExplicitAuthFlows=AUTH_FLOWS, **settings
    )["UserPoolClient"]


def user_with_password(idp, pool_id: str, username: str, password: str) -> None:
    """A confirmed user an admin made (no invitation sent), whose password is set for good."""
    idp.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)


@dataclasses.dataclass
class Pool:
    """A pool at moto's server and its app client."""

    id: str
    client_id: str
    client_secret: str

    @property
    def issuer(self) -> str:
        return moto_issuer(self.id)

    def settings(self, moto: MotoServer) -> dict[str, str]:
        """Our server's settings for this pool at moto's server."""
        return {
            "COGNITO_REGION_NAME": REGION,
            "COGNITO_USER_POOL_ID": self.id,
            "COGNITO_USER_CLIENT_ID": self.client_id,
            "COGNITO_CLIENT_SECRET": self.client_secret,
            "COOKIE_SECRET": "moto-suite-cookie-secret",
            "COGNITO_ENDPOINT_URL": moto.url,
            # moto's tokens name AWS's issuer, not the endpoint's (test_moto_tokens_name_aws_as_issuer).
            "COGNITO_ISSUER": self.issuer,
            "RATE_LIMIT_PER_ADDRESS": "off",
            "RATE_LIMIT_PER_USER": "off",
            # moto answers at once: no floor needed under the answers that must not tell who has an account.
            "UNIFORM_ANSWER_SECONDS": "0",
        }


def make_pool(idp, name: str, email_as_user_name: bool = True) -> Pool:
    """A pool and app client as docs/production.md's checklist says ("A real user pool")."""
    pool_id = idp.create_user_pool(
        PoolName=name,
        **({"UsernameAttributes": ["email"]} if email_as_user_name else {}),
        AutoVerifiedAttributes=["email"],
        AccountRecoverySetting={"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 8,
                "RequireUppercase": False,
                "RequireLowercase": False,
                "RequireNumbers": False,
                "RequireSymbols": False,
            }
        },
    )["UserPool"]["Id"]
    idp.set_user_pool_mfa_config(
        UserPoolId=pool_id, MfaConfiguration="OPTIONAL", SoftwareTokenMfaConfiguration={"Enabled": True}
    )
    client = app_client(idp, pool_id, f"{name}-app", EnableTokenRevocation=True, PreventUserExistenceErrors="ENABLED")
    idp.create_group(UserPoolId=pool_id, GroupName="admin")
    return Pool(pool_id, client["ClientId"], client["ClientSecret"])

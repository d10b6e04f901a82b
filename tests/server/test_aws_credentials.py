"""Admin calls are signed with AWS credentials: STS session credentials got with STS_USER_CLIENT_ID
and renewed before they expire, fixed keys in local mode, and a clear 503 when there are none."""

from __future__ import annotations

import asyncio
import datetime
import re

import pytest
import tornado.web

from server.background import BackgroundServer
from server.cognito import CognitoClient
from server.config import load_config
from server.errors import ApiError
from tests.support import StandInCognito

STS_KEY = "AKIASTSUSEREXAMPLE"
STS_SECRET = "sts-user-secret-value"


class StandInSts:
    """Answers GetSessionToken (STS's query protocol) with the credentials a test lines up."""

    def __init__(self):
        self.lined_up: list[tuple[str, datetime.timedelta]] = []
        self.requests: list[tuple[str, str]] = []  # (Authorization header, body) of GetSessionToken
        self.caller_arn = "arn:aws:iam::123456789012:user/cognito-admin"
        sts = self

        class Handler(tornado.web.RequestHandler):
            def post(self):
                self.set_header("Content-Type", "text/xml")
                if "Action=GetCallerIdentity" in self.request.body.decode():
                    self.finish(
                        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                        f"<GetCallerIdentityResult><Arn>{sts.caller_arn}</Arn><UserId>AIDA</UserId>"
                        "<Account>123456789012</Account></GetCallerIdentityResult>"
                        "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
                    )
                    return
                sts.requests.append((self.request.headers.get("Authorization", ""), self.request.body.decode()))
                key, lifetime = sts.lined_up.pop(0)
                expires = (datetime.datetime.now(datetime.UTC) + lifetime).strftime("%Y-%m-%dT%H:%M:%SZ")
                self.finish(
                    '<GetSessionTokenResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                    "<GetSessionTokenResult><Credentials>"
                    f"<AccessKeyId>{key}</AccessKeyId><SecretAccessKey>secret-of-{key}</SecretAccessKey>"
                    f"<SessionToken>token-of-{key}</SessionToken><Expiration>{expires}</Expiration>"
                    "</Credentials></GetSessionTokenResult>"
                    "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetSessionTokenResponse>"
                )

        async def build(port):
            return tornado.web.Application([(r"/", Handler)]), None

        self._server = BackgroundServer(build).start()
        self.url = self._server.url

    def stop(self):
        self._server.stop()


@pytest.fixture
def stand_ins():
    cognito, sts = StandInCognito(), StandInSts()
    cognito.answer("ListUsers", body={"Users": []})
    yield cognito, sts
    cognito.stop()
    sts.stop()


def real_config(cognito_url: str, **extra: str):
    return load_config(
        {
            "COGNITO_REGION_NAME": "eu-west-1",
            "COGNITO_USER_POOL_ID": "eu-west-1_abc",
            "COGNITO_USER_CLIENT_ID": "client",
            "COGNITO_CLIENT_SECRET": "secret",
            "COOKIE_SECRET": "k",
            "COGNITO_ENDPOINT_URL": cognito_url,
            **extra,
        }
    )


def signing_key(authorization: str) -> str:
    match = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/", authorization)
    assert match, authorization
    return match.group(1)


def list_users_three_times(config) -> None:
    async def run():
        admin = CognitoClient(config, admin=True)
        try:
            for _ in range(3):
                await admin.call("ListUsers", UserPoolId=config.user_pool_id)
        finally:
            await admin.close()

    asyncio.run(run())


def test_sts_session_credentials_sign_admin_calls_and_are_renewed_before_they_expire(stand_ins):
    cognito, sts = stand_ins
    # The first credentials have 12 minutes left: inside botocore's 15-minute renewal window, so
    # the next call renews them although they are still good; the second last an hour.
    sts.lined_up = [("ASIAFIRST", datetime.timedelta(minutes=12)), ("ASIASECOND", datetime.timedelta(hours=1))]
    config = real_config(
        cognito.url, STS_USER_CLIENT_ID=STS_KEY, STS_USER_CLIENT_SECRET=STS_SECRET, AWS_ENDPOINT_URL_STS=sts.url
    )
    list_users_three_times(config)

    # STS was asked twice, each time signed with the IAM user's own key, for GetSessionToken.
    assert [signing_key(auth) for auth, _ in sts.requests] == [STS_KEY, STS_KEY]
    assert all("Action=GetSessionToken" in body for _, body in sts.requests)
    # Cognito saw the session credentials: the first, then the renewed ones, then those again.
    assert [op for op, _ in cognito.received] == ["ListUsers"] * 3
    keys = [signing_key(h["Authorization"]) for h in cognito.headers]
    assert keys == ["ASIAFIRST", "ASIASECOND", "ASIASECOND"]
    assert [h["X-Amz-Security-Token"] for h in cognito.headers] == [
        "token-of-ASIAFIRST",
        "token-of-ASIASECOND",
        "token-of-ASIASECOND",
    ]


def test_root_keys_given_as_sts_keys_are_refused(stand_ins, caplog):
    cognito, sts = stand_ins
    sts.caller_arn = "arn:aws:iam::123456789012:root"
    sts.lined_up = [("ASIAFIRST", datetime.timedelta(hours=1))]
    config = real_config(
        cognito.url, STS_USER_CLIENT_ID=STS_KEY, STS_USER_CLIENT_SECRET=STS_SECRET, AWS_ENDPOINT_URL_STS=sts.url
    )
    error = one_admin_call(config)
    assert (error.code, error.status) == ("AdminUnavailable", 503)
    assert sts.requests == [] and cognito.received == []  # no session token asked for, nothing sent
    assert "root keys" in caplog.text


def test_failing_sts_answers_admin_unavailable_without_details(stand_ins, caplog):
    cognito, _ = stand_ins
    config = real_config(
        cognito.url,
        STS_USER_CLIENT_ID=STS_KEY,
        STS_USER_CLIENT_SECRET=STS_SECRET,
        AWS_ENDPOINT_URL_STS="http://127.0.0.1:9",
    )

    error = one_admin_call(config)
    assert (error.code, error.status) == ("AdminUnavailable", 503)
    assert cognito.received == []  # nothing unsigned went out
    assert STS_SECRET not in caplog.text


def one_admin_call(config) -> ApiError:
    async def run():
        admin = CognitoClient(config, admin=True)
        try:
            await admin.call("ListUsers", UserPoolId=config.user_pool_id)
        finally:
            await admin.close()

    with pytest.raises(ApiError) as caught:
        asyncio.run(run())
    return caught.value


@pytest.fixture
def no_aws_credentials(monkeypatch, tmp_path):
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_the_standard_chain_signs_with_environment_keys_and_refusals_are_admin_unavailable(
    stand_ins, no_aws_credentials, monkeypatch
):
    cognito, _ = stand_ins
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFROMENVIRONMENT")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "environment-secret")
    cognito.fail("ListUsers", "AccessDeniedException", message="User: arn:aws:iam::1:user/x is not authorized")
    error = one_admin_call(real_config(cognito.url))
    assert (error.code, error.status) == ("AdminUnavailable", 503)
    assert "arn:aws" not in error.message
    assert signing_key(cognito.headers[0]["Authorization"]) == "AKIAFROMENVIRONMENT"


def test_no_credentials_anywhere_is_admin_unavailable(stand_ins, no_aws_credentials):
    cognito, _ = stand_ins
    error = one_admin_call(real_config(cognito.url))
    assert (error.code, error.status) == ("AdminUnavailable", 503)
    assert cognito.received == []


def test_public_calls_stay_unsigned(stand_ins):
    cognito, _ = stand_ins
    config = real_config(cognito.url)

    async def run():
        public = CognitoClient(config)
        await public.start()
        try:
            await public.call("ListUsers", UserPoolId=config.user_pool_id)
        finally:
            await public.close()

    asyncio.run(run())
    assert "Authorization" not in cognito.headers[0]

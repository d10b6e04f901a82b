"""The local Cognito's refresh tokens with the app client's rotation on and off: GetTokensFromRefreshToken,
the grace period, the rotated token's expiry, REFRESH_TOKEN_AUTH refused while rotating, the client
secret check, revocation of a rotated family, and the token endpoint's refresh_token grant.

Every call goes over HTTP with boto3, whose requests and answer parsing come from botocore's model
(GetTokensFromRefreshToken's input, its AuthenticationResult, RefreshTokenReuseException as a modeled
error), so the shapes are checked against something this project did not write; DescribeUserPoolClient
is also compared with moto's own server's answer for a client made with the same rotation setting.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid

import boto3
import pytest

from local_cognito import start_local_cognito
from local_cognito.endpoint import LocalCognito
from local_cognito.pool_settings import REFRESH_TOKEN_SECONDS
from local_cognito.service import LocalUserPool
from server.config import ConfigError, load_config
from tests.support import CODE, local_config
from tests.support.local_pool import Clock, clients, error_message, signed_in
from tests.support.moto_server import MotoServer

GRACE = 10


class Served:
    """A local Cognito on its own data folder and clock, with boto3 clients for it (the public one
    knows the app client: ``idp.hash``)."""

    def __init__(self, data_dir: str):
        self.clock = Clock()
        self.pool = LocalUserPool(data_dir, pinned_code=CODE, clock=self.clock)
        self.local = LocalCognito(self.pool).start()
        self.idp, self.admin = clients(self.local, self.pool)

    def rotate(self, enabled: bool, grace: int = GRACE) -> None:
        self.pool.refresh.configure_rotation(enabled, grace)

    def signed_in(self) -> dict:
        """A new confirmed user, signed in: the AuthenticationResult plus "email" and "sub"."""
        return signed_in(self.idp, f"rotation-{uuid.uuid4().hex[:12]}@example.com")

    def tokens(self, refresh_token: str, **params) -> dict:
        params.setdefault("ClientSecret", self.pool.client_secret)
        return self.idp.get_tokens_from_refresh_token(
            ClientId=self.pool.client_id, RefreshToken=refresh_token, **params
        )["AuthenticationResult"]

    def refresh_token_auth(self, refresh_token: str, sub: str) -> dict:
        return self.idp.initiate_auth(
            ClientId=self.pool.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token, "SECRET_HASH": self.idp.hash(sub)},
        )["AuthenticationResult"]

    def token_endpoint(self, refresh_token: str) -> tuple[int, dict]:
        """The hosted UI's POST /oauth2/token with grant_type=refresh_token, the secret in the body."""
        body = urllib.parse.urlencode(
            {
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": self.pool.client_id,
                "client_secret": self.pool.client_secret,
            }
        ).encode()
        request = urllib.request.Request(
            self.local.endpoint_url + "/oauth2/token",
            data=body,
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())


@pytest.fixture
def served(tmp_path):
    served = Served(str(tmp_path))
    yield served
    served.local.stop()


# --- rotation off ------------------------------------------------------------------------------------------


def test_without_rotation_the_same_refresh_token_keeps_working_and_none_is_answered(served):
    user = served.signed_in()
    for _ in range(3):
        result = served.tokens(user["RefreshToken"])
        assert "RefreshToken" not in result
        assert set(result) == {"AccessToken", "IdToken", "ExpiresIn", "TokenType"}
        assert served.idp.get_user(AccessToken=result["AccessToken"])["Username"] == user["sub"]
    served.clock.advance(3600)
    assert "RefreshToken" not in served.tokens(user["RefreshToken"])
    # REFRESH_TOKEN_AUTH works too, as it does for a client that does not rotate.
    assert served.refresh_token_auth(user["RefreshToken"], user["sub"])["AccessToken"]


def test_a_new_client_does_not_rotate_and_describes_itself_as_cognito_does(served):
    described = served.admin.describe_user_pool_client(UserPoolId=served.pool.pool_id, ClientId=served.pool.client_id)[
        "UserPoolClient"
    ]
    assert described["RefreshTokenRotation"] == {"Feature": "DISABLED", "RetryGracePeriodSeconds": 0}
    assert "ALLOW_REFRESH_TOKEN_AUTH" in described["ExplicitAuthFlows"]
    served.rotate(True, 25)
    described = served.admin.describe_user_pool_client(UserPoolId=served.pool.pool_id, ClientId=served.pool.client_id)[
        "UserPoolClient"
    ]
    assert described["RefreshTokenRotation"] == {"Feature": "ENABLED", "RetryGracePeriodSeconds": 25}
    assert described["ExplicitAuthFlows"] == ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_USER_AUTH"]


def test_moto_server_describes_a_rotating_client_in_the_same_shape(served, tmp_path):
    """The witness: moto's own server, given the same setting in CreateUserPoolClient, describes it the
    same way (botocore parses both answers with the model's RefreshTokenRotationType)."""
    moto = MotoServer(str(tmp_path / "moto_server.log"))
    try:
        other = moto.client()
        pool_id = other.create_user_pool(PoolName="p")["UserPool"]["Id"]
        setting = {"Feature": "ENABLED", "RetryGracePeriodSeconds": 25}
        client_id = other.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="c",
            GenerateSecret=True,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_USER_AUTH"],
            RefreshTokenRotation=setting,
        )["UserPoolClient"]["ClientId"]
        theirs = other.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    finally:
        moto.stop()
    served.rotate(True, 25)
    ours = served.admin.describe_user_pool_client(UserPoolId=served.pool.pool_id, ClientId=served.pool.client_id)[
        "UserPoolClient"
    ]
    assert ours["RefreshTokenRotation"] == theirs["RefreshTokenRotation"] == setting
    assert ours["ExplicitAuthFlows"] == theirs["ExplicitAuthFlows"]
    assert {"ClientId", "ClientSecret", "UserPoolId", "ClientName"} <= set(ours) & set(theirs)


# --- rotation on -----------------------------------------------------------------------------------------


def test_with_rotation_each_refresh_answers_a_new_token_and_the_old_one_ends_after_the_grace(served):
    served.rotate(True, GRACE)
    user = served.signed_in()
    tokens = [user["RefreshToken"]]
    for _ in range(10):
        result = served.tokens(tokens[-1])
        assert set(result) == {"AccessToken", "IdToken", "RefreshToken", "ExpiresIn", "TokenType"}
        assert result["RefreshToken"] not in tokens
        assert served.idp.get_user(AccessToken=result["AccessToken"])["Username"] == user["sub"]
        tokens.append(result["RefreshToken"])
        served.clock.advance(1)
    served.clock.advance(GRACE)
    for old in tokens[:-1]:
        code, message = error_message(lambda: served.tokens(old))
        assert code == "RefreshTokenReuseException", message
    # botocore knows the error: it is one this operation declares.
    with pytest.raises(served.idp.exceptions.RefreshTokenReuseException):
        served.tokens(tokens[0])
    assert "RefreshToken" in served.tokens(tokens[-1])  # the newest still works


def test_inside_the_grace_period_the_old_token_still_works_and_rotates_again(served):
    served.rotate(True, GRACE)
    user = served.signed_in()
    first = served.tokens(user["RefreshToken"])["RefreshToken"]
    served.clock.advance(GRACE - 1)
    # A retry, say: the old token answers tokens and a refresh token of its own.
    again = served.tokens(user["RefreshToken"])["RefreshToken"]
    assert again not in (first, user["RefreshToken"])
    served.clock.advance(1)
    # The grace counts from the first rotation; the retry did not extend it.
    assert error_message(lambda: served.tokens(user["RefreshToken"]))[0] == "RefreshTokenReuseException"
    # Both tokens handed out work: whichever the client kept.
    assert served.tokens(first)["RefreshToken"] and served.tokens(again)["RefreshToken"]


def test_with_no_grace_period_the_old_token_is_refused_at_once(served):
    served.rotate(True, 0)
    user = served.signed_in()
    served.tokens(user["RefreshToken"])
    assert error_message(lambda: served.tokens(user["RefreshToken"]))[0] == "RefreshTokenReuseException"


def test_a_rotated_token_keeps_the_expiry_of_the_sign_in(served):
    served.rotate(True, GRACE)
    user = served.signed_in()
    served.clock.advance(REFRESH_TOKEN_SECONDS - 100)
    latest = served.tokens(user["RefreshToken"])["RefreshToken"]  # made 100 seconds before the expiry
    assert "RefreshToken" in served.tokens(latest)
    served.clock.advance(100)
    code, message = error_message(lambda: served.tokens(latest))
    assert (code, message) == ("NotAuthorizedException", "Refresh Token has expired")


def test_refresh_token_auth_is_refused_by_a_rotating_client(served):
    served.rotate(True, GRACE)
    user = served.signed_in()
    code, message = error_message(lambda: served.refresh_token_auth(user["RefreshToken"], user["sub"]))
    assert (code, message) == ("InvalidParameterException", "REFRESH_TOKEN_AUTH flow not enabled for this client")
    served.rotate(False)
    assert served.refresh_token_auth(user["RefreshToken"], user["sub"])["AccessToken"]


@pytest.mark.parametrize("secret", [None, "the-wrong-secret-of-enough-length", ""])
def test_the_client_secret_is_checked(served, secret):
    user = served.signed_in()
    params = {} if secret is None else {"ClientSecret": secret}
    if secret == "":
        # botocore refuses an empty secret itself; sent raw, the local Cognito refuses it too.
        request = urllib.request.Request(
            served.local.endpoint_url,
            method="POST",
            data=json.dumps(
                {"ClientId": served.pool.client_id, "ClientSecret": "", "RefreshToken": user["RefreshToken"]}
            ).encode(),
            headers={
                "X-Amz-Target": "AWSCognitoIdentityProviderService.GetTokensFromRefreshToken",
                "Content-Type": "application/x-amz-json-1.1",
            },
        )
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=10)
        assert json.loads(caught.value.read())["__type"] == "NotAuthorizedException"
        return
    code, _ = error_message(
        lambda: served.idp.get_tokens_from_refresh_token(
            ClientId=served.pool.client_id, RefreshToken=user["RefreshToken"], **params
        )
    )
    assert code == "NotAuthorizedException"


def test_an_unknown_client_or_token_is_refused(served):
    user = served.signed_in()
    assert (
        error_message(
            lambda: served.idp.get_tokens_from_refresh_token(
                ClientId="unknownclient", ClientSecret=served.pool.client_secret, RefreshToken=user["RefreshToken"]
            )
        )[0]
        == "ResourceNotFoundException"
    )
    assert error_message(lambda: served.tokens("not-a-refresh-token")) == (
        "NotAuthorizedException",
        "Invalid Refresh Token",
    )


# --- revocation of a rotated family ----------------------------------------------------------------------


def rotated_family(served) -> tuple[dict, list[str], list[str]]:
    """A user whose refresh token was rotated three times: (user, refresh tokens oldest first, the
    access tokens issued along the way). Every rotated-out token is still inside its grace period."""
    served.rotate(True, GRACE)
    user = served.signed_in()
    refresh_tokens, access_tokens = [user["RefreshToken"]], [user["AccessToken"]]
    for _ in range(3):
        result = served.tokens(refresh_tokens[-1])
        refresh_tokens.append(result["RefreshToken"])
        access_tokens.append(result["AccessToken"])
    return user, refresh_tokens, access_tokens


def assert_family_revoked(served, refresh_tokens: list[str], access_tokens: list[str]) -> None:
    for token in refresh_tokens:
        assert error_message(lambda: served.tokens(token))[0] == "NotAuthorizedException"
    for token in access_tokens:
        assert error_message(lambda: served.idp.get_user(AccessToken=token))[0] == "NotAuthorizedException"


@pytest.mark.parametrize("which", [0, -1], ids=["the-first-token", "the-newest-token"])
def test_revoking_any_token_of_a_family_revokes_all_of_it(served, which):
    user, refresh_tokens, access_tokens = rotated_family(served)
    other = served.signed_in()  # another session is not touched
    served.idp.revoke_token(
        Token=refresh_tokens[which], ClientId=served.pool.client_id, ClientSecret=served.pool.client_secret
    )
    assert_family_revoked(served, refresh_tokens, access_tokens)
    assert served.idp.get_user(AccessToken=other["AccessToken"])["Username"] == other["sub"]


@pytest.mark.parametrize("how", ["GlobalSignOut", "AdminUserGlobalSignOut", "AdminDisableUser"])
def test_signing_the_user_out_revokes_rotated_tokens(served, how):
    user, refresh_tokens, access_tokens = rotated_family(served)
    if how == "GlobalSignOut":
        served.idp.global_sign_out(AccessToken=access_tokens[-1])
    elif how == "AdminUserGlobalSignOut":
        served.admin.admin_user_global_sign_out(UserPoolId=served.pool.pool_id, Username=user["email"])
    else:
        served.admin.admin_disable_user(UserPoolId=served.pool.pool_id, Username=user["email"])
        served.admin.admin_enable_user(UserPoolId=served.pool.pool_id, Username=user["email"])
    assert_family_revoked(served, refresh_tokens, access_tokens)


def test_deleting_the_user_revokes_rotated_tokens(served):
    user, refresh_tokens, access_tokens = rotated_family(served)
    served.admin.admin_delete_user(UserPoolId=served.pool.pool_id, Username=user["email"])
    for token in refresh_tokens:
        assert error_message(lambda: served.tokens(token))[0] == "NotAuthorizedException"
    assert not any(record["sub"] == user["sub"] for record in served.pool.refresh_tokens.values())


def test_rotated_tokens_survive_a_restart_as_they_were(tmp_path):
    first = Served(str(tmp_path))
    try:
        first.rotate(True, GRACE)
        user = first.signed_in()
        newest = first.tokens(user["RefreshToken"])["RefreshToken"]
        now = first.clock.now
    finally:
        first.local.stop()
    again = Served(str(tmp_path))
    try:
        again.clock.now = now + GRACE
        again.rotate(True, GRACE)
        assert again.tokens(newest)["RefreshToken"]
        assert error_message(lambda: again.tokens(user["RefreshToken"]))[0] == "RefreshTokenReuseException"
    finally:
        again.local.stop()


# --- the token endpoint ----------------------------------------------------------------------------------


def test_the_token_endpoint_rotates_when_the_client_does(served):
    user = served.signed_in()
    status, answer = served.token_endpoint(user["RefreshToken"])
    assert status == 200 and "refresh_token" not in answer and answer["access_token"]
    served.rotate(True, GRACE)
    status, answer = served.token_endpoint(user["RefreshToken"])
    assert status == 200 and answer["refresh_token"] != user["RefreshToken"]
    newer = answer["refresh_token"]
    # Client authentication by HTTP Basic rotates alike.
    body = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": newer}).encode()
    basic = base64.b64encode(f"{served.pool.client_id}:{served.pool.client_secret}".encode()).decode()
    request = urllib.request.Request(
        served.local.endpoint_url + "/oauth2/token",
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        newest = json.loads(response.read())["refresh_token"]
    assert newest not in (newer, user["RefreshToken"])
    # The API and the token endpoint share the tokens: the endpoint's newest works with the API.
    assert served.tokens(newest)["RefreshToken"]
    served.clock.advance(GRACE)
    for old in (user["RefreshToken"], newer):
        status, answer = served.token_endpoint(old)
        assert (status, answer["error"]) == (400, "invalid_grant")


# --- the settings ----------------------------------------------------------------------------------------


def test_the_rotation_settings_are_read_and_checked(tmp_path):
    defaults = load_config(local_config(str(tmp_path)))
    assert (defaults.local_refresh_rotation, defaults.local_rotation_grace_seconds) == (False, 60)
    chosen = load_config(
        local_config(str(tmp_path), LOCAL_COGNITO_REFRESH_ROTATION="on", LOCAL_COGNITO_ROTATION_GRACE_SECONDS="0")
    )
    assert (chosen.local_refresh_rotation, chosen.local_rotation_grace_seconds) == (True, 0)
    grace = "LOCAL_COGNITO_ROTATION_GRACE_SECONDS"
    for name, value in (("LOCAL_COGNITO_REFRESH_ROTATION", "yes"), (grace, "61"), (grace, "-1"), (grace, "5s")):
        with pytest.raises(ConfigError, match=name):
            load_config(local_config(str(tmp_path), **{name: value}))


def test_start_up_applies_the_rotation_settings_at_every_start(tmp_path):
    for rotation, feature in (("on", "ENABLED"), ("off", "DISABLED"), ("on", "ENABLED")):
        local, config = start_local_cognito(
            load_config(
                local_config(
                    str(tmp_path), LOCAL_COGNITO_REFRESH_ROTATION=rotation, LOCAL_COGNITO_ROTATION_GRACE_SECONDS="7"
                )
            )
        )
        try:
            admin = boto3.client(
                "cognito-idp",
                region_name="us-east-1",
                endpoint_url=config.endpoint_url,
                aws_access_key_id="local",
                aws_secret_access_key="local",
            )
            described = admin.describe_user_pool_client(UserPoolId=config.user_pool_id, ClientId=config.client_id)[
                "UserPoolClient"
            ]
        finally:
            local.stop()
        assert described["RefreshTokenRotation"] == {"Feature": feature, "RetryGracePeriodSeconds": 7}
        assert ("ALLOW_REFRESH_TOKEN_AUTH" in described["ExplicitAuthFlows"]) is (rotation == "off")

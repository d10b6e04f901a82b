"""A local Cognito's pool as its tests reach it: boto3 clients over HTTP (public calls unsigned,
admin calls SigV4-signed with dummy keys, as the server sends them), a clock the tests move, the
answers of refused calls, and users made and signed in.

A public client ``idp`` carries the pool's app client as ``idp.client_id`` and ``idp.hash(name)``,
the SECRET_HASH of a user name.
"""

from __future__ import annotations

import time
import uuid

import boto3
import botocore.exceptions
import jwt
import pyotp
import pytest
from botocore import UNSIGNED
from botocore.config import Config as BotoConfig

from local_cognito.endpoint import LocalCognito
from local_cognito.service import LocalUserPool
from local_cognito.totp import STEP_SECONDS
from server.cognito import secret_hash
from tests.support.accounts import CODE, PASSWORD


class Clock:
    """The pool's clock; tests move it forward."""

    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def public_client(endpoint_url: str, client_id: str, client_secret: str):
    """An unsigned cognito-idp client, with ``client_id`` and ``hash`` for the app client."""
    idp = boto3.client(
        "cognito-idp",
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        config=BotoConfig(signature_version=UNSIGNED, retries={"total_max_attempts": 1}),
    )
    idp.hash = lambda username: secret_hash(username, client_id, client_secret)
    idp.client_id = client_id
    return idp


def clients(local: LocalCognito, pool: LocalUserPool):
    """(public client, unsigned; admin client, SigV4-signed with dummy keys), as the server uses them."""
    idp = public_client(local.endpoint_url, pool.client_id, pool.client_secret)
    admin = boto3.client(
        "cognito-idp",
        region_name="us-east-1",
        endpoint_url=local.endpoint_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=BotoConfig(retries={"total_max_attempts": 1}),
    )
    return idp, admin


def error_code(call, **params) -> str:
    """The error code of a call that must fail."""
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"]


def error_message(call, **params) -> tuple[str, str]:
    """The error code and message of a call that must fail."""
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def new_email() -> str:
    return f"mfa-{uuid.uuid4().hex[:12]}@example.com"


def signed_up(idp, email, confirm=True):
    idp.sign_up(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, Password=PASSWORD)
    if confirm:
        idp.confirm_sign_up(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, ConfirmationCode=CODE)


def password_auth(idp, email: str, password: str = PASSWORD, hash_for: str | None = None) -> dict:
    """InitiateAuth with USER_PASSWORD_AUTH; SECRET_HASH on ``hash_for`` when given, else on the email."""
    return idp.initiate_auth(
        ClientId=idp.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password, "SECRET_HASH": idp.hash(hash_for or email)},
    )


def signed_in(idp, email: str | None = None) -> dict:
    """A new confirmed user, signed in: the AuthenticationResult plus "email" and "sub"."""
    email = email or new_email()
    idp.sign_up(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, Password=PASSWORD)
    idp.confirm_sign_up(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, ConfirmationCode=CODE)
    result = password_auth(idp, email)["AuthenticationResult"]
    sub = jwt.decode(result["AccessToken"], options={"verify_signature": False})["sub"]
    return dict(result, email=email, sub=sub)


def new_user(idp, nickname: str = "Hosted") -> str:
    """A new confirmed user with a nickname, not signed in: the email."""
    email = new_email()
    idp.sign_up(
        ClientId=idp.client_id,
        SecretHash=idp.hash(email),
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": "nickname", "Value": nickname}],
    )
    idp.confirm_sign_up(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, ConfirmationCode=CODE)
    return email


def admin_created(admin, pool, temporary="temporary-pass-1") -> str:
    """A user an admin made with a temporary password (no invitation sent): the email."""
    email = new_email()
    admin.admin_create_user(
        UserPoolId=pool.pool_id,
        Username=email,
        TemporaryPassword=temporary,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "nickname", "Value": "Nick"}],
    )
    return email


def code_at(secret: str, moment: float) -> str:
    return pyotp.TOTP(secret).at(moment)


def with_mfa(idp, clock) -> tuple[dict, str]:
    """A signed-in user with TOTP MFA verified and on, the clock moved past the verifying code."""
    user = signed_in(idp)
    secret = idp.associate_software_token(AccessToken=user["AccessToken"])["SecretCode"]
    idp.verify_software_token(
        AccessToken=user["AccessToken"], UserCode=code_at(secret, clock()), FriendlyDeviceName="phone"
    )
    idp.set_user_mfa_preference(
        AccessToken=user["AccessToken"], SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    clock.advance(STEP_SECONDS)  # the verifying code's step is spent
    return user, secret


def respond_mfa(idp, user: dict, session: str, code: str, username: str | None = None) -> dict:
    username = username or user["sub"]
    return idp.respond_to_auth_challenge(
        ClientId=idp.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=session,
        ChallengeResponses={"USERNAME": username, "SECRET_HASH": idp.hash(username), "SOFTWARE_TOKEN_MFA_CODE": code},
    )


def created(admin, pool, email=None, **params) -> dict:
    """A user an admin made (no invitation sent, unless ``params`` say otherwise): AdminCreateUser's User."""
    params.setdefault("MessageAction", "SUPPRESS")
    return admin.admin_create_user(UserPoolId=pool.pool_id, Username=email or new_email(), **params)["User"]


def groups_claim(access_token: str) -> list[str]:
    """The groups a token names."""
    return jwt.decode(access_token, options={"verify_signature": False}).get("cognito:groups", [])

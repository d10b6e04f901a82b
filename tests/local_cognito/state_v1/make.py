"""Makes this folder's data folder: a ``state.json`` as the local Cognito wrote it before its
database, with everything the upgrade must keep (tests/local_cognito/test_upgrade.py reads it).

It was run once, from a checkout of the commit before the database (2a9457e), with that checkout's
code: ``python tests/local_cognito/state_v1/make.py tests/local_cognito/state_v1`` from its root.
Run with today's code it cannot work, as today's code writes no ``state.json``. The secrets in it
are for the tests alone.

Besides the local Cognito's own files (``state.json``, ``signing-key.pem``, ``hosted-ui-secret``,
``cookie-secret``), it writes ``expected.json``: what the test checks after the upgrade (the pool's
clock when the state was written, the users' passwords, TOTP secrets, refresh and access tokens).
"""

from __future__ import annotations

import json
import os
import sys
import time

import pyotp

sys.path.insert(0, os.getcwd())

from local_cognito import COOKIE_SECRET
from local_cognito.hosted_ui import HOSTED_UI_SECRET
from local_cognito.service import LocalUserPool
from local_cognito.store import token_digest
from server.cognito import secret_hash

CODE = "424242"
PASSWORD = "Old_password_1"


class Clock:
    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


def main(folder: str) -> None:
    clock = Clock()
    pool = LocalUserPool(folder, pinned_code=CODE, clock=clock)
    for name in (COOKIE_SECRET, HOSTED_UI_SECRET):
        pool.store.secret(name)
    client = {"ClientId": pool.client_id}

    def hashed(name: str) -> dict:
        return dict(client, SecretHash=secret_hash(name, pool.client_id, pool.client_secret))

    def sign_up(email: str, confirm: bool = True, **attributes: str) -> None:
        pool.accounts.sign_up(
            dict(
                hashed(email),
                Username=email,
                Password=PASSWORD,
                UserAttributes=[{"Name": name, "Value": value} for name, value in attributes.items()],
            )
        )
        if confirm:
            pool.accounts.confirm_sign_up(dict(hashed(email), Username=email, ConfirmationCode=CODE))

    def sign_in(email: str) -> dict:
        return pool.sign_in.initiate_auth(
            dict(
                client,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={
                    "USERNAME": email,
                    "PASSWORD": PASSWORD,
                    "SECRET_HASH": secret_hash(email, pool.client_id, pool.client_secret),
                },
            )
        )

    sign_up("confirmed@example.com", nickname="Conf")
    sign_up("totp@example.com")
    sign_up("waiting@example.com", confirm=False)
    pool.accounts.resend_confirmation_code(dict(hashed("waiting@example.com"), Username="waiting@example.com"))
    pool.codes[f"signup:{pool.find_user('waiting@example.com').id}"]["code"] = "135790"  # not the pinned one
    pool.save()
    sign_up("resetting@example.com")
    sign_up("disabled@example.com")
    pool_id = {"UserPoolId": pool.pool_id}
    pool.admin.admin_create_user(
        dict(pool_id, Username="invited@example.com", TemporaryPassword="temporary-pass-1", MessageAction="SUPPRESS")
    )
    pool.admin.create_group(dict(pool_id, GroupName="staff", Precedence=1, Description="The staff"))
    pool.admin.create_group(dict(pool_id, GroupName="admin", RoleArn="arn:aws:iam::123456789012:role/admin"))
    for group in ("staff", "admin"):
        pool.admin.admin_add_user_to_group(dict(pool_id, Username="confirmed@example.com", GroupName=group))
    pool.admin.admin_add_user_to_group(dict(pool_id, Username="totp@example.com", GroupName="staff"))

    # TOTP: a verified secret, MFA on and preferred, a step used, and a pending secret besides.
    tokens = sign_in("totp@example.com")["AuthenticationResult"]
    secret = pool.mfa.associate_software_token({"AccessToken": tokens["AccessToken"]})["SecretCode"]
    pool.mfa.verify_software_token({"AccessToken": tokens["AccessToken"], "UserCode": pyotp.TOTP(secret).at(clock())})
    pool.mfa.set_user_mfa_preference(
        {"AccessToken": tokens["AccessToken"], "SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": True}}
    )
    pending = pool.mfa.associate_software_token({"AccessToken": tokens["AccessToken"]})["SecretCode"]

    first = sign_in("confirmed@example.com")["AuthenticationResult"]
    second = sign_in("confirmed@example.com")["AuthenticationResult"]
    clock.now += 1
    pool.accounts.forgot_password(dict(hashed("resetting@example.com"), Username="resetting@example.com"))
    disabled = sign_in("disabled@example.com")["AuthenticationResult"]
    pool.admin.admin_disable_user(dict(pool_id, Username="disabled@example.com"))
    # A rotated family: the first token in its grace period, the token it was rotated into.
    pool.refresh.configure_rotation(True, 60)
    rotated = pool.refresh.get_tokens_from_refresh_token(
        dict(client, ClientSecret=pool.client_secret, RefreshToken=second["RefreshToken"])
    )
    pool.refresh.configure_rotation(False)
    # One that has expired.
    expired = sign_in("resetting@example.com")["AuthenticationResult"]["RefreshToken"]
    pool.refresh_tokens[token_digest(expired)]["expires"] = clock() - 1
    pool.save()

    expected = {
        "clock": clock(),
        "password": PASSWORD,
        "temporary_password": "temporary-pass-1",
        "waiting_code": "135790",
        "reset_code": CODE,
        "totp_secret": secret,
        "totp_pending": pending,
        "access_token": first["AccessToken"],
        "refresh_tokens": {
            "first": first["RefreshToken"],
            "rotated_out": second["RefreshToken"],
            "rotated_in": rotated["AuthenticationResult"]["RefreshToken"],
            "disabled_user": disabled["RefreshToken"],
            "expired": expired,
        },
    }
    with open(os.path.join(folder, "expected.json"), "w", encoding="utf-8") as handle:
        json.dump(expected, handle, indent=1, sort_keys=True)
        handle.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])

"""The values the tests sign up, confirm and sign in with: every account's password, the code the
tests' local Cognito pins for every email, and the local admin it makes; and a new account made with
them through a server's JSON endpoint."""

from __future__ import annotations

import uuid

from tests.support.http import Client

CODE = "123456"  # LOCAL_COGNITO_CODE in the tests
PASSWORD = "I_love_apples"
ADMIN_EMAIL = "admin@example.com"  # LOCAL_ADMIN_EMAIL in the tests
ADMIN_PASSWORD = "Admin_password_1"


def new_account(base_url: str, tag: str = "user") -> tuple[Client, str]:
    """A new account of the server at ``base_url`` on a local Cognito pinning CODE, confirmed (so
    signed in): (the client holding its refresh cookie, its email, which starts with ``tag``)."""
    client = Client(base_url)
    email = f"{tag}-{uuid.uuid4().hex[:12]}@example.com"
    assert client.call("createAccount", user=email, **{"pass": PASSWORD}).status == 200
    assert client.call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD}).status == 200
    return client, email

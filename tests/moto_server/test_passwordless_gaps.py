"""What moto's own server lacks of choice-based sign-in (USER_AUTH, the WebAuthn credential
operations, GetUserAuthFactors), and that our server then answers clean JSON errors: the gaps the
local Cognito fills (docs/local-cognito.md#passwordless-sign-in)."""

from __future__ import annotations

import json

import pytest

from tests.support import Client
from tests.support.against_moto import assert_clean_error, assert_moto_lacks, new_email, signed_up

OPERATIONS = [
    "StartWebAuthnRegistration",
    "CompleteWebAuthnRegistration",
    "ListWebAuthnCredentials",
    "DeleteWebAuthnCredential",
    "GetUserAuthFactors",
]


@pytest.mark.parametrize("operation", OPERATIONS)
def test_moto_gap_the_webauthn_operations_are_missing(moto, operation):
    assert_moto_lacks(moto, operation)


def test_moto_gap_user_auth_is_refused_and_our_server_says_so_cleanly(server):
    client, email, tokens = signed_up(server)
    for method, fields in (
        ("signInWithCode", {"user": email}),
        ("passkeySignInStart", {"user": email}),
        ("passkeyRegisterStart", {"access_token": tokens["access_token"]}),
        ("passkeyList", {"access_token": tokens["access_token"]}),
        ("getAuthFactors", {"access_token": tokens["access_token"]}),
        (
            "passkeyRegisterFinish",
            {"access_token": tokens["access_token"], "credential": json.dumps({"id": "x", "response": {}})},
        ),
    ):
        assert_clean_error(client.call(method, **fields))
    assert_clean_error(Client(server).call("signInWithCode", user=new_email()))

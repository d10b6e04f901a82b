"""The local Cognito's HTTP side (local_cognito/endpoint.py): on loopback only, and Cognito-shaped JSON
for an operation it does not have and for a failure it did not expect."""

from __future__ import annotations

import botocore.exceptions
import pytest

from tests.support.local_pool import error_code


def test_unimplemented_operations_say_so(local_pool_idp):
    idp = local_pool_idp
    assert error_code(idp.list_user_pools, MaxResults=10) == "UnknownOperationException"


def test_it_listens_on_loopback_only(local_pool):
    local, _ = local_pool
    assert local.address == "127.0.0.1"
    assert local.endpoint_url == f"http://127.0.0.1:{local.port}"


def test_an_unexpected_failure_is_a_json_error(local_pool_idp, email):
    idp = local_pool_idp
    # A lone surrogate cannot be hashed; the answer is still Cognito-shaped JSON.
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        idp._make_api_call(
            "SignUp",
            {"ClientId": idp.client_id, "SecretHash": idp.hash(email), "Username": email, "Password": "abc\ud800defgh"},
        )
    assert caught.value.response["Error"]["Code"] == "InternalErrorException"

"""The local Cognito's user names, driven with boto3: emails compared by the case of ASCII letters
only (two different addresses are never one account), Cognito's UsernameType pattern enforced as
botocore's model declares it, and code requests that answer and write alike for every user."""

from __future__ import annotations

import re
import uuid

import botocore.session
import pytest

from local_cognito.validation import USERNAME_PATTERN
from server.user_names import USER_NAME_CATEGORIES
from tests.support import CODE, PASSWORD
from tests.support.local_pool import error_code, error_message


def unique(local_part: str) -> str:
    return f"{local_part}-{uuid.uuid4().hex[:8]}@example.com"


def sign_up(idp, email: str) -> dict:
    return idp.sign_up(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, Password=PASSWORD)


def test_the_allowed_characters_are_those_of_botocores_username_type():
    """Not our own reading of Cognito: the model's pattern, for every operation that takes a Username."""
    model = botocore.session.get_session().get_service_model("cognito-idp")
    patterns = {
        model.operation_model(name).input_shape.members["Username"].metadata["pattern"]
        for name in model.operation_names
        if "Username" in model.operation_model(name).input_shape.members
    }
    assert patterns == {USERNAME_PATTERN}
    assert set(re.findall(r"\\p\{(\w)\}", USERNAME_PATTERN)) == set(USER_NAME_CATEGORIES)
    lengths = {
        (model.operation_model(name).input_shape.members["Username"].metadata.get("max"))
        for name in model.operation_names
        if "Username" in model.operation_model(name).input_shape.members
    }
    assert lengths == {128}


@pytest.mark.parametrize(
    "character", ["\x1b", "\x00", "\r", "\n", "\u202e", "\u2066", "\u200f", "\u2028", "\u2029", "\u200b", " "]
)
def test_a_user_name_with_a_control_format_or_space_character_is_refused(idp, character):
    email = f"evil{character}[31m-{uuid.uuid4().hex[:6]}@example.com"
    code, message = error_message(
        idp.sign_up, ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, Password=PASSWORD
    )
    assert code == "InvalidParameterException" and USERNAME_PATTERN in message
    # Every operation that takes a Username checks it first, as Cognito validates requests.
    assert (
        error_code(idp.forgot_password, ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email)
        == "InvalidParameterException"
    )


def test_international_addresses_are_still_user_names(idp):
    for email in (unique("straße"), unique("jürgen"), unique("почта")):
        assert sign_up(idp, email)["UserConfirmed"] is False


def test_addresses_differing_only_in_ascii_case_are_one_account(idp):
    email = unique("Alice")
    sign_up(idp, email)
    assert (
        error_code(
            idp.sign_up,
            ClientId=idp.client_id,
            SecretHash=idp.hash(email.lower()),
            Username=email.lower(),
            Password=PASSWORD,
        )
        == "UsernameExistsException"
    )
    upper = email.upper()
    idp.confirm_sign_up(ClientId=idp.client_id, SecretHash=idp.hash(upper), Username=upper, ConfirmationCode=CODE)
    result = idp.initiate_auth(
        ClientId=idp.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email.lower(), "PASSWORD": PASSWORD, "SECRET_HASH": idp.hash(email.lower())},
    )
    assert result["AuthenticationResult"]["AccessToken"]


@pytest.mark.parametrize(
    "first,second",
    [
        ("straße", "strasse"),  # casefold() makes "ß" "ss"
        ("\u212aaren", "karen"),  # str.lower() and casefold() make the Kelvin sign a "k"
        ("\u017fam", "sam"),  # casefold() makes the long s an "s"
    ],
)
def test_different_addresses_are_never_one_account(idp, admin, pool, first, second):
    tail = f"-{uuid.uuid4().hex[:8]}@example.com"
    one, other = first + tail, second + tail
    sub_one = sign_up(idp, one)["UserSub"]
    sub_other = sign_up(idp, other)["UserSub"]
    assert sub_one != sub_other
    for email in (one, other):
        idp.confirm_sign_up(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, ConfirmationCode=CODE)
    found = admin.admin_get_user(UserPoolId=pool.pool_id, Username=one)
    assert found["Username"] == sub_one
    listed = admin.list_users(UserPoolId=pool.pool_id, Filter=f'email = "{second}{tail}"')["Users"]
    assert [user["Username"] for user in listed] == [sub_other]


def test_every_code_request_writes_to_the_database_once_whoever_it_is_for(idp, pool):
    """Unknown, unconfirmed, confirmed: one write each, so neither the time nor a folder that cannot
    be written tells them apart. And the answer is Cognito's: a delivery, or its refusal."""
    unconfirmed, confirmed, nobody = unique("waiting"), unique("done"), unique("nobody")
    sign_up(idp, unconfirmed)
    sign_up(idp, confirmed)
    idp.confirm_sign_up(
        ClientId=idp.client_id, SecretHash=idp.hash(confirmed), Username=confirmed, ConfirmationCode=CODE
    )

    def written(call, email, **extra) -> int:
        """How many transactions the call wrote (the database counts them)."""
        before = pool.db.changes()
        try:
            call(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, **extra)
        except idp.exceptions.ClientError:
            pass
        return pool.db.changes() - before

    for call in (idp.resend_confirmation_code, idp.forgot_password):
        assert [written(call, email) for email in (nobody, unconfirmed, confirmed)] == [1, 1, 1]
    for call, extra in (
        (idp.confirm_sign_up, {"ConfirmationCode": "000000"}),
        (idp.confirm_forgot_password, {"ConfirmationCode": "000000", "Password": PASSWORD}),
    ):
        assert [written(call, email, **extra) for email in (nobody, unconfirmed, confirmed)] == [1, 1, 1]


def test_a_disabled_users_code_request_is_a_simulated_delivery(idp, admin, pool):
    """Cognito's guide: ForgotPassword and ResendConfirmationCode answer CodeDeliveryDetails for a
    disabled user as for one that does not exist."""
    email = unique("off")
    sign_up(idp, email)
    admin.admin_disable_user(UserPoolId=pool.pool_id, Username=email)
    for call in (idp.forgot_password, idp.resend_confirmation_code):
        answer = call(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email)
        assert answer["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"

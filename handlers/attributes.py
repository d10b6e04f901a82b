"""The signed-in user's own attributes: updateUser (the email and phone number included),
verifyAttribute and resendAttributeCode.

A new email is Cognito's UpdateUserAttributes: Cognito sends a code to it, and the answer says where
(``code_deliveries``, masked as Cognito masks it). In a pool with "keep original attribute value
active when an update is pending" (AttributesRequireVerificationBeforeUpdate) the old address stays
the one that signs in, and that getUser shows, until ``verifyAttribute`` (VerifyUserAttribute)
gives the code; ``resendAttributeCode`` (GetUserAttributeVerificationCode) sends another. A new
phone number is unverified until its texted code is given the same way; SMS MFA needs it verified.
"""

from __future__ import annotations

from typing import Annotated

from server.call import Call
from server.cognito import STANDARD_ATTRIBUTES
from server.errors import ApiError
from server.registry import FieldCheck, method
from server.user_names import checked_email
from handlers.codes import confirmation_code

VERIFIABLE = ("email", "phone_number")  # the attributes a code verifies


def _verifiable(value: str, field: str) -> str:
    if value not in VERIFIABLE:
        raise ApiError("InvalidField", f'The field "{field}" must be "email" or "phone_number".', field=field)
    return value


Verifiable = Annotated[
    str,
    FieldCheck(
        _verifiable,
        {"enum": list(VERIFIABLE), "description": "The attribute the code is for: the email, or the phone number."},
    ),
]


def code_delivery(details: dict) -> dict:
    """Where Cognito sent a code: its CodeDeliveryDetails, as this server names them."""
    return {
        "destination": details.get("Destination"),
        "medium": details.get("DeliveryMedium"),
        "attribute": details.get("AttributeName"),
    }


def attribute_list(attributes: dict[str, str]) -> list[dict[str, str]]:
    """Cognito's Name/Value list: the email (checked as one) and standard attributes; UnknownField for
    anything else."""
    listed = []
    for name, value in attributes.items():
        if name == "email":
            value = checked_email(value, "email")
        elif name not in STANDARD_ATTRIBUTES:
            raise ApiError(
                "UnknownField",
                f'"{name[:64]}" is not a field of this method nor a standard attribute a user can set.',
                field=name[:64],
            )
        listed.append({"Name": name, "Value": value})
    return listed


@method("updateUser")
async def update_user(call: Call, access_token: str, **attributes: str) -> dict:
    """Change standard attributes of the signed-in user, e.g. ``{"nickname": "Sam"}``, or the email
    (``{"email": "new@example.com"}``): the answer's ``code_deliveries`` say where codes went, which
    ``verifyAttribute`` then takes. A phone number (``phone_number``, like ``+15550100123``) is
    verified the same way."""
    if not attributes:
        raise ApiError("MissingField", 'updateUser needs at least one attribute to change, e.g. "nickname".')
    listed = attribute_list(attributes)
    try:
        response = await call.cognito.call("UpdateUserAttributes", AccessToken=access_token, UserAttributes=listed)
    except ApiError as error:
        if error.code != "NotAuthorized" or "email" not in attributes:
            raise
        # Cognito refuses both a bad token and an email the app client may not write with
        # NotAuthorizedException: a token GetUser takes tells them apart (a bad one fails here again).
        await call.cognito.call("GetUser", AccessToken=access_token)
        raise ApiError("AttributeNotWritable", field="email") from None
    deliveries = response.get("CodeDeliveryDetailsList") or []
    return {"code_deliveries": [code_delivery(details) for details in deliveries if isinstance(details, dict)]}


@method("verifyAttribute")
async def verify_attribute(call: Call, access_token: str, code: str, attribute: Verifiable = "email") -> dict:
    """Give the code sent to a new email (or phone number): the email then becomes the account's, the
    one it signs in with, verified."""
    await call.cognito.call(
        "VerifyUserAttribute", AccessToken=access_token, AttributeName=attribute, Code=confirmation_code(code)
    )
    return {"verified": attribute}


@method("resendAttributeCode")
async def resend_attribute_code(call: Call, access_token: str, attribute: Verifiable = "email") -> dict:
    """Send the email's (or phone number's) code again: to the new address while a change waits."""
    response = await call.cognito.call(
        "GetUserAttributeVerificationCode", AccessToken=access_token, AttributeName=attribute
    )
    return {"delivery": code_delivery(response.get("CodeDeliveryDetails") or {})}

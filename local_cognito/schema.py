"""The local pool's attribute schema: which attributes a user may have, which ones the pool requires
(``LOCAL_COGNITO_REQUIRED_ATTRIBUTES``), and Cognito's answers, in Cognito's words, when a request's
attributes do not conform.

Where Cognito asks for required attributes, as its documentation and its answers show:

- SignUp without one: InvalidParameterException "Attributes did not conform to the schema:
  nickname: The attribute is required", one line per missing attribute.
- AdminCreateUser takes a user without them ("You can create a user without specifying any
  attributes other than Username ... any attributes that you specify as required ... either you
  should supply (in your call to AdminCreateUser) or the user should supply"): the user's first
  sign-in then asks for them. NEW_PASSWORD_REQUIRED's challenge parameters list them in
  ``requiredAttributes`` (JSON: ``["userAttributes.nickname"]``), the answer gives each as
  ``userAttributes.<name>``, and one left out is InvalidParameterException "Invalid attributes
  given, nickname is missing". A required attribute that already has a value cannot be changed there.
- UpdateUserAttributes cannot empty one: "Invalid user attributes: nickname: Required attribute
  cannot be deleted."
"""

from __future__ import annotations

import json
from typing import Any

from moto.cognitoidp.models import CognitoIdpUserPool, CognitoIdpUserPoolAttribute

from local_cognito.faults import CognitoFault, invalid_parameter
from server.attributes import STANDARD_ATTRIBUTES

# What the answer to NEW_PASSWORD_REQUIRED puts before an attribute's name.
USER_ATTRIBUTE_PREFIX = "userAttributes."
MAX_VALUE_LENGTH = 2048


def pool_schema(required: tuple[str, ...]) -> list[dict]:
    """CreateUserPool's ``Schema``: every standard attribute, those named in ``required`` required.
    (moto keeps a schema it is given in place of its standard one, so all of them are listed.)"""
    return [
        {"Name": name, "Required": True} if name in required else {"Name": name}
        for name in CognitoIdpUserPoolAttribute.STANDARD_SCHEMA
    ]


def required_of(pool: CognitoIdpUserPool) -> tuple[str, ...]:
    """The attributes the pool's schema requires a user to give: not ``sub``, which Cognito sets."""
    return tuple(name for name, attribute in pool.schema_attributes.items() if attribute.required and name != "sub")


def checked_attributes(attribute_list: Any) -> dict[str, str]:
    """A ``UserAttributes`` list as a dict, once every name is in the schema and every value is a
    short enough string."""
    if attribute_list is None:
        return {}
    if not isinstance(attribute_list, list):
        raise invalid_parameter("UserAttributes must be a list.")
    attributes = {}
    for item in attribute_list:
        name, value = (item or {}).get("Name"), (item or {}).get("Value")
        if name not in STANDARD_ATTRIBUTES and name not in ("email", "email_verified", "phone_number_verified"):
            raise invalid_parameter(
                f"Attributes did not conform to the schema: {name}: Attribute does not exist in the schema."
            )
        if not isinstance(value, str) or len(value) > MAX_VALUE_LENGTH:
            raise invalid_parameter(
                f"Attributes did not conform to the schema: {name}: "
                f"String must be no longer than {MAX_VALUE_LENGTH} characters"
            )
        attributes[name] = value
    return attributes


def missing(required: tuple[str, ...], attributes: dict[str, str]) -> list[str]:
    """The required attributes ``attributes`` has no value for (an empty one is none)."""
    return [name for name in required if not attributes.get(name)]


def check_sign_up(required: tuple[str, ...], attributes: dict[str, str]) -> None:
    """SignUp's refusal when required attributes are missing."""
    absent = missing(required, attributes)
    if absent:
        raise invalid_parameter(
            "Attributes did not conform to the schema: "
            + "".join(f"{name}: The attribute is required\n" for name in absent)
        )


def check_update(required: tuple[str, ...], attributes: dict[str, str]) -> None:
    """UpdateUserAttributes' refusal to empty a required attribute."""
    for name in required:
        if name in attributes and not attributes[name]:
            raise invalid_parameter(f"Invalid user attributes: {name}: Required attribute cannot be deleted.")


def required_attributes_parameter(required: tuple[str, ...], user_attributes: dict[str, str]) -> str:
    """NEW_PASSWORD_REQUIRED's ``requiredAttributes``: the required ones the user has no value for."""
    return json.dumps([USER_ATTRIBUTE_PREFIX + name for name in missing(required, user_attributes)])


def new_password_attributes(
    required: tuple[str, ...], user_attributes: dict[str, str], responses: dict
) -> dict[str, str]:
    """The attributes an answer to NEW_PASSWORD_REQUIRED sets (its ``userAttributes.<name>``
    entries), checked as Cognito checks them; CognitoFault otherwise."""
    given = checked_attributes(
        [
            {"Name": key[len(USER_ATTRIBUTE_PREFIX) :], "Value": value}
            for key, value in responses.items()
            if isinstance(key, str) and key.startswith(USER_ATTRIBUTE_PREFIX)
        ]
    )
    for name in ("email", "email_verified", "phone_number_verified"):
        if name in given:
            raise CognitoFault("NotAuthorizedException", "A client attempted to write unauthorized attribute")
    for name in given:
        if name in required and user_attributes.get(name):
            raise invalid_parameter(f"Cannot modify an already provided {name}")
    absent = missing(required, {**user_attributes, **given})
    if absent:
        raise invalid_parameter(f"Invalid attributes given, {absent[0]} is missing")
    return given

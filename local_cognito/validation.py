"""The check Cognito makes of a user name before any operation runs, as botocore's model declares it.

Every ``Username`` of the cognito-idp API is a ``UsernameType``: 1 to 128 characters matching
``[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+`` (letters, marks, symbols, numbers, punctuation). Cognito refuses
anything else with an InvalidParameterException naming the pattern, so no control, formatting or
direction character, nor a space, is ever part of a user (or a console "email" line). moto checks
nothing of the kind; the local Cognito does, for every operation its endpoint serves and for the
hosted UI's sign-up, which calls SignUp directly.
"""

from __future__ import annotations

from typing import Any

from local_cognito.faults import CognitoFault
from server.user_names import MAX_USER_NAME, refused_character

USERNAME_PATTERN = r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+"


def check_username(value: Any, member: str = "username") -> None:
    """InvalidParameterException, worded as Cognito's validation, for a string that is not a
    UsernameType; anything else is left to the operation (which finds no such user)."""
    if not isinstance(value, str):
        return
    if not 1 <= len(value) <= MAX_USER_NAME:
        raise CognitoFault(
            "InvalidParameterException",
            f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
            f"Member must have length between 1 and {MAX_USER_NAME}",
        )
    if refused_character(value) is not None:
        raise CognitoFault(
            "InvalidParameterException",
            f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {USERNAME_PATTERN}",
        )

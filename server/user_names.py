"""What a ``user`` field may hold, how two emails are compared, and where a code is said to go.

Every method that names a user by email declares its field as ``Email``; the admin methods, which
may also name a user by the user name Cognito assigned (the ``username`` adminListUsers answers,
the ``sub`` in a pool with email as user name), as ``UserName``. The registry checks both before a
method runs, so a refused value is a 400 ``InvalidField`` naming the field, and never reaches
Cognito, the rate limits' counters or a log line:

- A user name is what Cognito's ``UsernameType`` takes (botocore's model: at most 128 characters
  matching ``[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+``): letters, marks, symbols, numbers and punctuation
  only. Control characters (ESC, NUL, line breaks), format characters (the bidi controls
  U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, zero-width ones), separators (U+2028, U+2029) and
  spaces inside are refused. Spaces around it are dropped, as they always were.
- An email is such a user name shaped ``local@domain.tld``. Public methods take nothing else: the
  one account behind an email has one per-user rate-limit budget, which a guess sent with the
  account's ``sub`` instead would escape.

Emails are compared as the pool compares them (``UsernameConfiguration.CaseSensitive: false``):
ASCII letters without regard to case, every other character exactly (``fold_case``), so
``Alice@Example.com`` is ``alice@example.com`` but ``straße@`` is not ``strasse@`` and a Kelvin
sign (U+212A) is not a ``K``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from server.errors import ApiError
from server.registry import FieldCheck

MAX_USER_NAME = 128  # Cognito's UsernameType
# The Unicode general categories Cognito's UsernameType pattern allows: \p{L}, \p{M}, \p{S}, \p{N}, \p{P}.
USER_NAME_CATEGORIES = frozenset("LMSNP")
EMAIL_SHAPE = re.compile(r"[^@]+@[^@]+\.[^@]+")
# ASCII's capital letters to small ones, and nothing else.
_ASCII_FOLD = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}


def fold_case(email: str) -> str:
    """``email`` as a case-insensitive pool compares it: ASCII capitals made small, nothing else
    changed (``str.lower`` and ``casefold`` would also turn "ß" into "ss" and U+212A into "k")."""
    return email.translate(_ASCII_FOLD)


def refused_character(text: str) -> str | None:
    """The first character of ``text`` a Cognito user name cannot hold, or None."""
    return next((c for c in text if unicodedata.category(c)[0] not in USER_NAME_CATEGORIES), None)


def _character_name(character: str) -> str:
    name = unicodedata.name(character, "")
    code = f"U+{ord(character):04X}"
    return f"{code} {name}" if name else code


def checked_user_name(value: str, field: str) -> str:
    """``value`` without the spaces around it, if it can be a Cognito user name; InvalidField otherwise."""
    name = value.strip()
    if not name:
        raise ApiError("InvalidField", f'The field "{field}" is empty.', field=field)
    if len(name) > MAX_USER_NAME:
        raise ApiError("InvalidField", f'The field "{field}" is longer than {MAX_USER_NAME} characters.', field=field)
    character = refused_character(name)
    if character is not None:
        raise ApiError(
            "InvalidField",
            f'The field "{field}" holds a character no user name can have '
            f"({_character_name(character)}): control, formatting and "
            "direction characters and spaces are refused.",
            field=field,
        )
    return name


def checked_email(value: str, field: str) -> str:
    """``value`` without the spaces around it, if it is an email a user name can be; InvalidField otherwise."""
    email = checked_user_name(value, field)
    if not EMAIL_SHAPE.fullmatch(email):
        raise ApiError(
            "InvalidField", f'The field "{field}" must be an email address, like sam@example.com.', field=field
        )
    return email


def masked(email: str) -> str:
    """Where a code to ``email`` is said to go, as Cognito shows it: ``s***@e***``. Made from the
    email as it was typed, whether or not an account has it, so the answer tells nothing."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain[:1]}***"


Email = Annotated[
    str,
    FieldCheck(
        checked_email,
        {
            "format": "email",
            "maxLength": MAX_USER_NAME,
            "description": "The account's email. Control, formatting and direction characters are refused.",
        },
    ),
]
UserName = Annotated[
    str,
    FieldCheck(
        checked_user_name,
        {
            "maxLength": MAX_USER_NAME,
            "description": "The user's email, or the user name Cognito assigned (the `username` adminListUsers "
            "answers). Control, formatting and direction characters are refused.",
        },
    ),
]

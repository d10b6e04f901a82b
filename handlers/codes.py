"""Codes people type or paste: emailed confirmation codes and authenticator-app codes."""

from __future__ import annotations

import re

from server.errors import ApiError

TOTP_CODE = re.compile(r"^[0-9]{6}$")


def confirmation_code(code: str) -> str:
    """A code as the person pasted it: spaces and line breaks inside it are ignored."""
    return "".join(code.split())


def authenticator_code(value: str, field: str) -> str:
    """The six digits an authenticator app shows, as typed ("123 456" is fine)."""
    code = confirmation_code(value)
    if not TOTP_CODE.match(code):
        raise ApiError(
            "InvalidField", f'The field "{field}" must be the 6-digit code your authenticator app shows.', field=field
        )
    return code

"""Cognito's standard user attributes, as this server lets users set them (shared by the methods,
the configuration and the local Cognito)."""

from __future__ import annotations

# Cognito's standard attributes that a user may set on their own account. ``email`` is the sign-in
# name in these pools and ``sub`` / ``*_verified`` are Cognito's to set, so they are not here.
STANDARD_ATTRIBUTES = frozenset(
    {
        "address",
        "birthdate",
        "family_name",
        "gender",
        "given_name",
        "locale",
        "middle_name",
        "name",
        "nickname",
        "phone_number",
        "picture",
        "preferred_username",
        "profile",
        "updated_at",
        "website",
        "zoneinfo",
    }
)

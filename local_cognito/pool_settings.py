"""The local user pool's fixed settings: its names, password policy, how long codes and tokens last,
and the settings moto makes the pool and its app client with."""

from __future__ import annotations

import re
from typing import Any

from server.page_identity import PASSWORD_POLICY

REGION = "us-east-1"
POOL_NAME = "local-pool"
CLIENT_NAME = "local-app-client"
SIGN_UP_CODE_SECONDS = 24 * 3600  # Cognito: confirmation codes are good for 24 hours
RESET_CODE_SECONDS = 3600  # Cognito: password reset codes are good for one hour
REFRESH_TOKEN_SECONDS = 30 * 24 * 3600
MAX_CODE_FAILURES = 5  # wrong codes accepted before a code is locked
TEMPORARY_PASSWORD_DAYS = 7  # Cognito's default TemporaryPasswordValidityDays
# The tutorial's pool (the recommended one): length 8, no character classes required; the page lists
# the same rules (server/page_identity.py).
MIN_PASSWORD_LENGTH = PASSWORD_POLICY.min_length
MAX_PASSWORD_LENGTH = 256
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Cognito's pattern for passwords: no whitespace at either end.
PASSWORD_PATTERN = re.compile(r"^\S(.*\S)?$", re.DOTALL)
# moto's settings for the pool and its app client, as CreateUserPool and CreateUserPoolClient name them.
POOL_CONFIG: dict[str, Any] = {
    "UsernameAttributes": ["email"],
    "AutoVerifiedAttributes": ["email"],
    "UsernameConfiguration": {"CaseSensitive": False},
    "MfaConfiguration": "OPTIONAL",
    "Policies": {
        "PasswordPolicy": {
            "MinimumLength": MIN_PASSWORD_LENGTH,
            "RequireUppercase": False,
            "RequireLowercase": False,
            "RequireNumbers": False,
            "RequireSymbols": False,
            "TemporaryPasswordValidityDays": TEMPORARY_PASSWORD_DAYS,
        }
    },
}
CLIENT_CONFIG: dict[str, Any] = {
    "ClientName": CLIENT_NAME,
    # ALLOW_USER_AUTH: choice-based sign-in (emailed codes, passkeys; see sign_in_ways.py).
    "ExplicitAuthFlows": [
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_USER_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    ],
    "PreventUserExistenceErrors": "ENABLED",
    "EnableTokenRevocation": True,
}

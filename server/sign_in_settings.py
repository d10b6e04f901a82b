"""The local Cognito's sign-in settings: LOCAL_COGNITO_FEATURE_PLAN and LOCAL_COGNITO_FIRST_AUTH_FACTORS,
read and checked for ``server.config`` (a bad value stops start-up with a sentence naming it).

They stand for a real pool's feature plan (UserPoolTier) and its SignInPolicy's
AllowedFirstAuthFactors, so the local Cognito can refuse a way of signing in as such a pool would.
"""

from __future__ import annotations

from typing import Mapping

from server.settings import ConfigError, split_list

FEATURE_PLANS = ("LITE", "ESSENTIALS", "PLUS")
FIRST_AUTH_FACTORS = ("PASSWORD", "EMAIL_OTP", "WEB_AUTHN")


def feature_plan(env: Mapping[str, str]) -> str:
    """LOCAL_COGNITO_FEATURE_PLAN: LITE, ESSENTIALS (the default) or PLUS, in any case."""
    plan = (env.get("LOCAL_COGNITO_FEATURE_PLAN") or "ESSENTIALS").strip().upper()
    if plan not in FEATURE_PLANS:
        raise ConfigError(f"LOCAL_COGNITO_FEATURE_PLAN must be one of {', '.join(FEATURE_PLANS)}, got {plan[:40]!r}.")
    return plan


def first_auth_factors(env: Mapping[str, str]) -> tuple[str, ...]:
    """LOCAL_COGNITO_FIRST_AUTH_FACTORS: the ways a user may start signing in, separated by commas or
    spaces (by default all three). PASSWORD must be one of them, as Cognito requires."""
    listed = env.get("LOCAL_COGNITO_FIRST_AUTH_FACTORS")
    if listed is None or not listed.strip():
        return FIRST_AUTH_FACTORS
    names = tuple(dict.fromkeys(name.upper() for name in split_list(listed)))
    unknown = [name for name in names if name not in FIRST_AUTH_FACTORS]
    if unknown:
        raise ConfigError(
            f"LOCAL_COGNITO_FIRST_AUTH_FACTORS lists {', '.join(repr(n[:40]) for n in unknown)}: "
            f"use names from {', '.join(FIRST_AUTH_FACTORS)}, separated by commas."
        )
    if "PASSWORD" not in names:
        raise ConfigError(
            "LOCAL_COGNITO_FIRST_AUTH_FACTORS must include PASSWORD: a user pool always allows it as a first factor."
        )
    return tuple(name for name in FIRST_AUTH_FACTORS if name in names)

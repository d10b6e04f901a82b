"""Reading one setting from the environment, with the message that names it.

Each function here reads (or checks) a single value and raises ``ConfigError`` naming the setting
when the value cannot be used, so a bad value stops start-up with a sentence a person can act on.
``server.config`` puts them together into the one ``Config``.
"""

from __future__ import annotations

import ipaddress
import math
import urllib.parse
from typing import Mapping

from server.attributes import STANDARD_ATTRIBUTES

LOG_FORMATS = ("text", "json")


class ConfigError(Exception):
    """The environment does not describe a configuration the server can start with."""


def split_list(value: str | None) -> tuple[str, ...]:
    """The parts of a list separated by commas or spaces, empty ones left out."""
    if not value:
        return ()
    return tuple(part.strip() for part in value.replace(",", " ").split() if part.strip())


def number(env: Mapping[str, str], name: str, default: float, kind=float):
    """A number greater than zero (``kind``: float or int), ``default`` when unset or empty."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}.") from None
    if value <= 0:
        raise ConfigError(f"{name} must be greater than zero, got {raw!r}.")
    return value


def http_url(env: Mapping[str, str], name: str) -> str | None:
    """An http(s) URL without a trailing slash, or None when ``name`` is unset."""
    value = env.get(name) or None
    if value and not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must start with http:// or https://, got {value!r}.")
    return value.rstrip("/") if value else None


def rate_limit(env: Mapping[str, str], name: str, default: tuple[int, float]) -> tuple[int, float] | None:
    """``CALLS/SECONDS`` (e.g. ``30/60``), or ``off`` (None)."""
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw == "off":
        return None
    calls, _, seconds = raw.partition("/")
    try:
        limit = (int(calls), float(seconds))
    except ValueError:
        limit = (0, 0.0)
    if limit[0] < 1 or not 0 < limit[1] <= 86400:
        raise ConfigError(f"{name} must be CALLS/SECONDS (e.g. 30/60) or off, got {env[name]!r}.")
    return limit


def networks(env: Mapping[str, str], name: str) -> tuple:
    """IP addresses or networks, separated by commas or spaces."""
    try:
        return tuple(ipaddress.ip_network(part, strict=False) for part in split_list(env.get(name)))
    except ValueError as error:
        raise ConfigError(f"{name} must list IP addresses or networks (e.g. 127.0.0.1 10.0.0.0/8): {error}.") from None


def both_or_neither(env: Mapping[str, str], first: str, second: str) -> None:
    """Two settings that only make sense together."""
    if bool(env.get(first)) != bool(env.get(second)):
        given, missing = (first, second) if env.get(first) else (second, first)
        raise ConfigError(f"{given} is set but {missing} is not: set both, or neither.")


def seconds_between(env: Mapping[str, str], name: str, low: float, high: float, default: float) -> float:
    """A number of seconds from ``low`` to ``high`` (either end included)."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not low <= value <= high:  # NaN and infinities fail too
        raise ConfigError(f"{name} must be a number of seconds from {low:g} to {high:g}, got {env[name]!r}.")
    return int(value) if value.is_integer() else value


def on_off(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw not in ("on", "off"):
        raise ConfigError(f"{name} must be on or off, got {env[name]!r}.")
    return raw == "on"


def grace_seconds(env: Mapping[str, str], name: str, default: int) -> int:
    """A refresh token's grace period: whole seconds from 0 to 60, as Cognito's RetryGracePeriodSeconds."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 <= int(raw) <= 60:
        raise ConfigError(f"{name} must be a whole number of seconds from 0 to 60, got {env[name]!r}.")
    return int(raw)


def required_attributes(env: Mapping[str, str]) -> tuple[str, ...]:
    """LOCAL_COGNITO_REQUIRED_ATTRIBUTES: standard attributes, separated by commas or spaces. Cognito
    cannot make a custom attribute required, and the email is required already."""
    names = tuple(dict.fromkeys(split_list(env.get("LOCAL_COGNITO_REQUIRED_ATTRIBUTES"))))
    unknown = [name for name in names if name not in STANDARD_ATTRIBUTES and name != "email"]
    if unknown:
        raise ConfigError(
            f"LOCAL_COGNITO_REQUIRED_ATTRIBUTES lists {', '.join(repr(n) for n in unknown)}, which "
            f"{'is not a standard attribute' if len(unknown) == 1 else 'are not standard attributes'} a "
            f"user pool can require: use names from {', '.join(sorted(STANDARD_ATTRIBUTES))}, separated "
            "by commas.")
    return tuple(name for name in names if name != "email")


def port(value: int, name: str = "PORT (or --port)") -> int:
    if not 1 <= value <= 65535:
        raise ConfigError(f"{name} must be between 1 and 65535, got {value}.")
    return value


def workers(value: int) -> int:
    if not 1 <= value <= 256:
        raise ConfigError(f"WORKERS (or --processes) must be between 1 and 256, got {value}.")
    return value


def log_format(env: Mapping[str, str]) -> str:
    value = (env.get("LOG_FORMAT") or "text").strip().lower()
    if value not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT must be text or json, got {env['LOG_FORMAT']!r}.")
    return value


def redis_url(env: Mapping[str, str]) -> str | None:
    value = env.get("REDIS_URL") or None
    if value and not value.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("REDIS_URL must start with redis://, rediss:// or unix://.")
    try:
        value and urllib.parse.urlsplit(value).port
    except ValueError:
        raise ConfigError("REDIS_URL has a port that is not a number.") from None
    return value


SIGN_IN_FLOWS = ("password", "srp", "auto")
# The sign-in flows the local app client can allow (its ExplicitAuthFlows, less the ALLOW_ prefix).
LOCAL_AUTH_FLOWS = ("USER_PASSWORD_AUTH", "USER_SRP_AUTH")


def sign_in_flow(env: Mapping[str, str]) -> str:
    """SIGN_IN_FLOW: how signIn sends a password (server.sign_in_flows); auto by default."""
    value = (env.get("SIGN_IN_FLOW") or "auto").strip().lower()
    if value not in SIGN_IN_FLOWS:
        raise ConfigError(f"SIGN_IN_FLOW must be password, srp or auto, got {env['SIGN_IN_FLOW']!r}.")
    return value


def local_auth_flows(env: Mapping[str, str]) -> tuple[str, ...]:
    """LOCAL_COGNITO_AUTH_FLOWS: the sign-in flows the local app client allows (both by default),
    named with or without Cognito's ALLOW_ prefix."""
    if not (env.get("LOCAL_COGNITO_AUTH_FLOWS") or "").strip():
        return LOCAL_AUTH_FLOWS
    flows = tuple(dict.fromkeys(name.upper().removeprefix("ALLOW_")
                                for name in split_list(env["LOCAL_COGNITO_AUTH_FLOWS"])))
    unknown = [name for name in flows if name not in LOCAL_AUTH_FLOWS]
    if unknown or not flows:
        raise ConfigError(f"LOCAL_COGNITO_AUTH_FLOWS must list USER_PASSWORD_AUTH and/or USER_SRP_AUTH, "
                          f"got {env['LOCAL_COGNITO_AUTH_FLOWS']!r}.")
    return flows

"""Reading one setting from the environment, with the message that names it.

Each function here reads (or checks) a single value and raises ``ConfigError`` naming the setting
when the value cannot be used, so a bad value stops start-up with a sentence a person can act on.
``server.config`` puts them together into the one ``Config``.
"""

from __future__ import annotations

import ipaddress
import math
import os
import urllib.parse
from typing import Mapping

from server import optional_packages
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
            "by commas."
        )
    return tuple(name for name in names if name != "email")


# LOCAL_COGNITO_MFA_METHODS' names, and Cognito's for them.
LOCAL_MFA_METHODS = {"totp": "SOFTWARE_TOKEN_MFA", "sms": "SMS_MFA", "email": "EMAIL_OTP"}
LOCAL_EMAIL_UPDATES = ("verify-first", "immediate", "off")
LOCAL_DEVICE_TRACKING = ("opt-in", "always", "off")


def local_mfa_methods(env: Mapping[str, str]) -> tuple[str, ...]:
    """LOCAL_COGNITO_MFA_METHODS: the MFA methods the local pool offers (totp, sms, email; commas or
    spaces between them; "none" for no MFA), as Cognito names them. All three by default."""
    raw = (env.get("LOCAL_COGNITO_MFA_METHODS") or "").strip().lower()
    if not raw:
        return tuple(LOCAL_MFA_METHODS.values())
    names = tuple(dict.fromkeys(split_list(raw)))
    if names == ("none",):
        return ()
    unknown = [name for name in names if name not in LOCAL_MFA_METHODS]
    if unknown:
        raise ConfigError(
            f"LOCAL_COGNITO_MFA_METHODS must list some of totp, sms and email (or be none), "
            f"got {env['LOCAL_COGNITO_MFA_METHODS']!r}."
        )
    return tuple(LOCAL_MFA_METHODS[name] for name in names)


def local_email_updates(env: Mapping[str, str]) -> str:
    """LOCAL_COGNITO_EMAIL_UPDATES: verify-first (the default), immediate or off."""
    raw = (env.get("LOCAL_COGNITO_EMAIL_UPDATES") or "").strip().lower()
    if not raw:
        return LOCAL_EMAIL_UPDATES[0]
    if raw not in LOCAL_EMAIL_UPDATES:
        raise ConfigError(
            f"LOCAL_COGNITO_EMAIL_UPDATES must be verify-first, immediate or off, got "
            f"{env['LOCAL_COGNITO_EMAIL_UPDATES']!r}."
        )
    return raw


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


def metrics(env: Mapping[str, str], main_port: int) -> tuple[bool, int | None, str | None]:
    """METRICS (on or off), and where /metrics is served instead of on the main port: METRICS_PORT,
    on METRICS_HOST (default: the address the server listens on)."""
    enabled = on_off(env, "METRICS", True)
    raw_port = (env.get("METRICS_PORT") or "").strip()
    host = (env.get("METRICS_HOST") or "").strip() or None
    if not enabled and (raw_port or host):
        raise ConfigError(
            f"METRICS is off, but {'METRICS_PORT' if raw_port else 'METRICS_HOST'} says where to "
            "serve them: unset it, or set METRICS=on."
        )
    if host and not raw_port:
        raise ConfigError(
            "METRICS_HOST is set but METRICS_PORT is not: set METRICS_PORT to serve /metrics on "
            "a port of its own, or unset METRICS_HOST."
        )
    if not raw_port:
        return enabled, None, None
    metrics_port = port(number(env, "METRICS_PORT", 0, int), "METRICS_PORT")
    if metrics_port == main_port:
        raise ConfigError(
            f"METRICS_PORT is the server's own port ({main_port}): give another one, or unset it "
            "to serve /metrics on the server's port."
        )
    return enabled, metrics_port, host


OTLP_PROTOCOL = "http/protobuf"


def traces_endpoint(env: Mapping[str, str]) -> str | None:
    """Where spans go over OTLP/HTTP: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (the whole URL), else
    OTEL_EXPORTER_OTLP_ENDPOINT (the collector, under which they go to /v1/traces); None when neither
    is set, or OTEL_SDK_DISABLED is true. The exporter reads these itself; here they are checked."""
    if (env.get("OTEL_SDK_DISABLED") or "").strip().lower() == "true":
        return None
    specific = bool(env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
    name = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" if specific else "OTEL_EXPORTER_OTLP_ENDPOINT"
    url = http_url(env, name)
    if url is None:
        return None
    protocol_name = next(
        (n for n in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL") if env.get(n)), None
    )
    if protocol_name and env[protocol_name].strip() != OTLP_PROTOCOL:
        raise ConfigError(
            f"{protocol_name} is {env[protocol_name]!r}, but this server sends traces over "
            f"OTLP/HTTP only: set it to {OTLP_PROTOCOL}, or unset it."
        )
    packages_missing = optional_packages.missing(
        name, optional_packages.TRACES, optional_packages.TRACES_LIST, "OpenTelemetry"
    )
    if packages_missing:
        raise ConfigError(packages_missing)
    return url


def whole_number_between(env: Mapping[str, str], name: str, low: int, high: int, default: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {env[name]!r}.")
    return int(raw)


def postgresql_url(env: Mapping[str, str], name: str) -> str | None:
    """A PostgreSQL connection URL (``postgresql://user:password@host:5432/database?sslmode=...``).
    It can hold a password, so no message repeats it."""
    value = (env.get(name) or "").strip() or None
    if value is None:
        return None
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ConfigError(
            f"{name} must start with postgresql:// (e.g. "
            "postgresql://USER:PASSWORD@HOST:5432/DATABASE?sslmode=verify-full)."
        )
    for host in parts.netloc.rpartition("@")[2].split(","):  # libpq's form of several hosts: h1:5432,h2
        port = host.rpartition("]")[2].partition(":")[2]
        if port and not (port.isdigit() and 1 <= int(port) <= 65535):
            raise ConfigError(f"{name} has a port that is not a number from 1 to 65535.")
    query = urllib.parse.parse_qs(parts.query)
    root = query.get("sslrootcert", [""])[-1]
    if root and not os.access(root, os.R_OK):  # else only noticed when connecting, as "unreachable"
        raise ConfigError(f"{name}'s sslrootcert names a file that cannot be read: {root}.")
    timeout = query.get("connect_timeout", ["5"])[-1]
    try:
        if not 0 < float(timeout) <= 300:
            raise ValueError
    except ValueError:
        raise ConfigError(f"{name}'s connect_timeout must be a number of seconds above 0, at most 300.") from None
    packages_missing = optional_packages.missing(
        name, optional_packages.POSTGRES, optional_packages.POSTGRES_LIST, "PostgreSQL's client"
    )
    if packages_missing:
        raise ConfigError(packages_missing)
    return value


SIGN_IN_FLOWS = ("password", "srp", "auto")
# The sign-in flows the local app client can allow (its ExplicitAuthFlows, less the ALLOW_ prefix).
LOCAL_AUTH_FLOWS = ("USER_PASSWORD_AUTH", "USER_SRP_AUTH", "USER_AUTH")


def sign_in_flow(env: Mapping[str, str]) -> str:
    """SIGN_IN_FLOW: how signIn sends a password (server.sign_in_flows); auto by default."""
    value = (env.get("SIGN_IN_FLOW") or "auto").strip().lower()
    if value not in SIGN_IN_FLOWS:
        raise ConfigError(f"SIGN_IN_FLOW must be password, srp or auto, got {env['SIGN_IN_FLOW']!r}.")
    return value


def local_auth_flows(env: Mapping[str, str]) -> tuple[str, ...]:
    """LOCAL_COGNITO_AUTH_FLOWS: the sign-in flows the local app client allows (all by default),
    named with or without Cognito's ALLOW_ prefix."""
    if not (env.get("LOCAL_COGNITO_AUTH_FLOWS") or "").strip():
        return LOCAL_AUTH_FLOWS
    flows = tuple(
        dict.fromkeys(name.upper().removeprefix("ALLOW_") for name in split_list(env["LOCAL_COGNITO_AUTH_FLOWS"]))
    )
    unknown = [name for name in flows if name not in LOCAL_AUTH_FLOWS]
    if unknown or not flows:
        raise ConfigError(
            f"LOCAL_COGNITO_AUTH_FLOWS must list some of USER_PASSWORD_AUTH, USER_SRP_AUTH and USER_AUTH, "
            f"got {env['LOCAL_COGNITO_AUTH_FLOWS']!r}."
        )
    return flows


def local_device_tracking(env: Mapping[str, str]) -> str:
    """LOCAL_COGNITO_DEVICE_TRACKING: the local pool's DeviceConfiguration: opt-in (the default:
    devices remembered when the person asks), always, or off."""
    raw = (env.get("LOCAL_COGNITO_DEVICE_TRACKING") or "").strip().lower()
    if not raw:
        return LOCAL_DEVICE_TRACKING[0]
    if raw not in LOCAL_DEVICE_TRACKING:
        raise ConfigError(
            f"LOCAL_COGNITO_DEVICE_TRACKING must be opt-in, always or off, got "
            f"{env['LOCAL_COGNITO_DEVICE_TRACKING']!r}."
        )
    return raw

"""Configuration: one frozen dataclass, read once from the environment at start-up.

With none of the pool variables set (``POOL_NAMES``) the server runs in local mode: it starts the
embedded local Cognito and fills in the pool, client and endpoint from it. As soon as any of them is
set, the configuration is taken as a real one and every required name must be present.

Where Cognito, S3 and STS are reached is decided here too, as botocore would decide it
(``server.aws_endpoints``): with a real pool, Cognito's endpoint is ``COGNITO_ENDPOINT_URL``, else the
one configured for botocore (``AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER``, then
``AWS_ENDPOINT_URL_COGNITO_IDP``, which only this server reads, ``AWS_ENDPOINT_URL``, the shared
config file), else AWS's; the pool's issuer and JWKS are derived from it. AWS's endpoint settings
never choose the mode: without a pool setting the server runs on the local Cognito, and it refuses
to start when one of the two Cognito variables says Cognito is elsewhere.

Each single value is read by ``server.settings`` (a number, a URL, a rate limit, a list of networks...),
whose functions name the setting when its value cannot be used; this module puts them together.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import urllib.parse
from typing import Mapping

from server import settings, sign_in_settings
from server.aws_endpoints import ConfiguredEndpoints, EndpointError, checked_url, is_aws, service_variables
from server.page_identity import page_name
from server.metrics import MULTIPROCESS_VARIABLE

# ConfigError is defined with the readers of single settings, which raise it; it is imported from here.
from server.settings import ConfigError

DEFAULT_PORT = 3006
DEFAULT_REFRESH_COOKIE_DAYS = 30
# Calls per client address, and per user name, to each rate-limited method: (calls, seconds).
DEFAULT_RATE_LIMIT_PER_ADDRESS = (30, 60.0)
DEFAULT_RATE_LIMIT_PER_USER = (10, 60.0)
# Local mode: how long a refresh token rotated out stays valid (Cognito's RetryGracePeriodSeconds,
# 0 to 60). The most Cognito allows, because two tabs refreshing at once send the same token, and a
# refresh whose answer was lost is sent again (up to COGNITO_MAX_ATTEMPTS times, within a deadline of
# about 16 seconds by default): with a shorter grace the later send is refused and signs the person out.
DEFAULT_ROTATION_GRACE_SECONDS = 60
# How far the pool's clock may be from ours: a token is taken while its iat and nbf are at most this
# far in our future and its exp at most this far in our past. Bounded, so a typo cannot keep expired
# tokens good for long.
DEFAULT_TOKEN_CLOCK_SKEW_SECONDS = 60
MAX_TOKEN_CLOCK_SKEW_SECONDS = 300
# Local mode: the local Cognito's clock may be set ahead or behind ours by at most a day.
MAX_LOCAL_COGNITO_CLOCK_OFFSET = 86400
# The least time, in seconds, resendCode, forgotPassword, confirmAccount and confirmForgotPassword
# take to answer, so that the time does not tell an account that exists from one that does not:
# above Cognito's slowest usual answer (which sends an email) with a real pool, above the local
# Cognito's (a write to its database) in local mode.
DEFAULT_UNIFORM_ANSWER_SECONDS = 1.0
DEFAULT_LOCAL_UNIFORM_ANSWER_SECONDS = 0.25
MAX_UNIFORM_ANSWER_SECONDS = 10
# On SIGTERM, requests in flight get this many seconds to finish. Keep it below the orchestrator's
# grace period (docker stop's 10 s, Kubernetes' 30 s), which kills the process after it.
DEFAULT_DRAIN_SECONDS = 10
MAX_DRAIN_SECONDS = 3600
# Connections each process opens at most to PHOTOS_DATABASE_URL; processes x machines x this must
# stay below the database's max_connections.
DEFAULT_PHOTOS_DATABASE_CONNECTIONS = 10
MAX_PHOTOS_DATABASE_CONNECTIONS = 100
# Local mode: where the local Cognito answers 200 while it can save to its data folder, 503 while not.
LOCAL_READINESS_PATH = "/local-cognito/ready"

# Any of these, set, means "use this real (or LocalStack, or moto server) user pool".
POOL_NAMES = (
    "COGNITO_REGION_NAME",
    "COGNITO_USER_POOL_ID",
    "COGNITO_USER_CLIENT_ID",
    "COGNITO_CLIENT_SECRET",
    "COGNITO_ENDPOINT_URL",
)

# The names a real (non-local) configuration cannot do without.
REQUIRED_FOR_REAL_POOL = (
    "COGNITO_REGION_NAME",
    "COGNITO_USER_POOL_ID",
    "COGNITO_USER_CLIENT_ID",
    "COGNITO_CLIENT_SECRET",
    "COOKIE_SECRET",
)


ROOT_KEYS_REFUSED = (
    "{names} {verb} AWS root-account keys, and this server refuses them. Root keys can do anything "
    "in the account (close it, change its billing, delete every resource), no IAM policy can limit "
    "them, and AWS advises never to make access keys for the root user. Make an IAM user or role "
    "allowed only the cognito-idp Admin* and ListUsers actions on this user pool, give its keys "
    "through the standard AWS credential chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a "
    "profile, or an instance or task role) or as STS_USER_CLIENT_ID and STS_USER_CLIENT_SECRET, "
    "unset {names}, and delete the root keys in the AWS console."
)


@dataclasses.dataclass(frozen=True)
class Config:
    region: str
    user_pool_id: str
    client_id: str
    client_secret: str = dataclasses.field(repr=False)
    # Newest first: the first secret signs, every one of them verifies.
    cookie_secrets: tuple[str, ...] = dataclasses.field(repr=False)
    port: int = DEFAULT_PORT
    endpoint_url: str | None = None
    allowed_origins: tuple[str, ...] = ()
    refresh_cookie_days: float = DEFAULT_REFRESH_COOKIE_DAYS
    cognito_connect_timeout: float = 3.0
    cognito_read_timeout: float = 5.0
    cognito_max_attempts: int = 2
    cognito_max_connections: int = 256
    # Local mode: the embedded Cognito is started and fills in the fields above.
    local: bool = False
    local_data_dir: str = ".local-cognito"
    local_code: str | None = dataclasses.field(default=None, repr=False)
    # Admin methods: the Cognito group whose members may call them.
    admin_group: str = "admin"
    # The app's name: the issuer an authenticator app shows for this service's TOTP entries, and
    # the name on the local Cognito's sign-in pages. By default the page's (its <title>).
    app_name: str = dataclasses.field(default_factory=page_name)
    # Local mode: a confirmed user in the admin group, made at start-up.
    local_admin_email: str | None = None
    local_admin_password: str | None = dataclasses.field(default=None, repr=False)
    # Long-lived IAM user keys that admin calls exchange for STS session credentials (the
    # tutorial's names); without them, admin calls use the standard AWS credential chain.
    sts_access_key_id: str | None = None
    sts_secret_access_key: str | None = dataclasses.field(default=None, repr=False)
    sts_endpoint_url: str | None = None
    # The ``iss`` of the pool's tokens, when it is not the one derived from the endpoint.
    issuer_override: str | None = None
    # The setting ``endpoint_url`` came from (real mode), e.g. "AWS_ENDPOINT_URL".
    endpoint_source: str | None = None
    # Local mode: a Cognito endpoint configured for botocore (AWS_ENDPOINT_URL, the shared config
    # file) that the local Cognito stands in for, to be mentioned at start-up.
    unused_cognito_endpoint: str | None = None
    # Hosted-UI sign-in (/login, /callback, /logout, /me): where the hosted UI is (from
    # COGNITO_DOMAIN: "https://{domain}"; in local mode the local Cognito's URL) and where this
    # server is reached by browsers (BASE_URL, no trailing slash). Both set, or the routes are off.
    hosted_ui_url: str | None = None
    base_url: str | None = None
    # Local mode: the local Cognito's port (0: any free one).
    local_cognito_port: int = 0
    # Local mode: whether the local app client rotates refresh tokens, and for how long one rotated
    # out still works (app-client settings, applied at every start).
    local_refresh_rotation: bool = False
    local_rotation_grace_seconds: int = DEFAULT_ROTATION_GRACE_SECONDS
    # Local mode: the standard attributes the local user pool requires besides the email.
    local_required_attributes: tuple[str, ...] = ()
    # Local mode: whether the local app client offers the Login with Amazon stand-in.
    local_login_with_amazon: bool = True
    # Local mode: the MFA methods the local pool offers (Cognito's names), and how it takes a new
    # email: "verify-first" (AttributesRequireVerificationBeforeUpdate), "immediate" or "off".
    local_mfa_methods: tuple[str, ...] = ("SOFTWARE_TOKEN_MFA", "SMS_MFA", "EMAIL_OTP")
    local_email_updates: str = "verify-first"
    # Local mode: the local pool's device tracking (its DeviceConfiguration): opt-in, always or off.
    local_device_tracking: str = "opt-in"
    # Local mode: the local pool's feature plan and the ways it allows users to start signing in.
    local_feature_plan: str = "ESSENTIALS"
    local_first_auth_factors: tuple[str, ...] = sign_in_settings.FIRST_AUTH_FACTORS
    # Photos: records (SQLite) and, without a bucket, their bytes are kept under photos_dir; with
    # photos_bucket the bytes go to that S3 bucket (at s3_endpoint_url, if set: moto, LocalStack).
    photos_dir: str = ".photos"
    photos_bucket: str | None = None
    s3_endpoint_url: str | None = None
    # Photo records in PostgreSQL instead of SQLite (shared by every server that uses it), and the
    # most connections each process opens to it. The URL can hold a password.
    photos_database_url: str | None = dataclasses.field(default=None, repr=False)
    photos_database_connections: int = DEFAULT_PHOTOS_DATABASE_CONNECTIONS
    # Processes serving one port (reuse_port), each with its own clients.
    workers: int = 1
    # On SIGTERM: how long requests in flight get to finish.
    drain_seconds: float = DEFAULT_DRAIN_SECONDS
    # "text" (one readable line per record) or "json" (one JSON object per line).
    log_format: str = "text"
    # Peers whose X-Forwarded-For is believed (the load balancer); nobody else's.
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    # Rate limits on the guessable methods: (calls, per seconds), or None for no limit; shared
    # through Redis when redis_url is set, else counted in this process.
    rate_limit_per_address: tuple[int, float] | None = DEFAULT_RATE_LIMIT_PER_ADDRESS
    rate_limit_per_user: tuple[int, float] | None = DEFAULT_RATE_LIMIT_PER_USER
    redis_url: str | None = dataclasses.field(default=None, repr=False)
    # Token checks: how many seconds the pool's clock may be ahead of or behind ours.
    token_clock_skew_seconds: float = DEFAULT_TOKEN_CLOCK_SKEW_SECONDS
    # Local mode: seconds the local Cognito's clock is ahead of ours (negative: behind).
    local_cognito_clock_offset: float = 0.0
    # The least time the methods whose answers must not tell who has an account take (0: none).
    uniform_answer_seconds: float = DEFAULT_UNIFORM_ANSWER_SECONDS
    # GET /metrics (Prometheus): served or not, and on a port (and address) of its own instead of
    # the server's port when metrics_port is set.
    metrics: bool = True
    metrics_port: int | None = None
    metrics_host: str | None = None
    # Traces (OpenTelemetry, OTLP/HTTP): where they go, None for no traces.
    traces_endpoint: str | None = None
    # How signIn sends a password: "password" (USER_PASSWORD_AUTH), "srp" (USER_SRP_AUTH), or
    # "auto", password until the app client refuses it, then SRP (server.sign_in_flows).
    sign_in_flow: str = "auto"
    # Local mode: the sign-in flows the local app client allows (its ExplicitAuthFlows).
    local_auth_flows: tuple[str, ...] = settings.LOCAL_AUTH_FLOWS

    @property
    def hosted_ui(self) -> bool:
        return bool(self.hosted_ui_url and self.base_url)

    @property
    def pool_url(self) -> str:
        """The pool's address, under which it publishes its keys: ``{endpoint}/{pool}`` at an emulator,
        AWS's standard one at AWS (whichever of AWS's endpoints the calls go to: FIPS, dual-stack)."""
        if self.endpoint_url and not is_aws(self.endpoint_url):
            return f"{self.endpoint_url.rstrip('/')}/{self.user_pool_id}"
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @property
    def issuer(self) -> str:
        """The ``iss`` claim of the pool's tokens: COGNITO_ISSUER for an emulator whose tokens name
        another address than its endpoint, else the pool's address."""
        return self.issuer_override or self.pool_url

    @property
    def jwks_url(self) -> str:
        """Where the pool publishes the keys its tokens are signed with."""
        return f"{self.pool_url}/.well-known/jwks.json"

    @property
    def local_readiness_url(self) -> str | None:
        """Local mode: where the local Cognito says whether it can save to its data folder."""
        if not (self.local and self.endpoint_url):
            return None
        return self.endpoint_url.rstrip("/") + LOCAL_READINESS_PATH


def load_config(env: Mapping[str, str] | None = None, port: int | None = None, workers: int | None = None) -> Config:
    """Read the configuration from ``env`` (default: the process environment).

    ``port`` (from ``--port``) wins over ``PORT``, ``workers`` (``--processes``) over ``WORKERS``.
    Raises ConfigError naming every missing or malformed variable.
    """
    env = os.environ if env is None else env
    try:
        return _load(env, port, workers)
    except EndpointError as error:
        raise ConfigError(str(error)) from None


def _load(env: Mapping[str, str], port: int | None, workers: int | None) -> Config:
    root_names = sorted(name for name in env if name.startswith("ROOT_USER_") and env[name])
    if root_names:
        raise ConfigError(
            ROOT_KEYS_REFUSED.format(names=" and ".join(root_names), verb="hold" if len(root_names) > 1 else "holds")
        )
    settings.both_or_neither(env, "STS_USER_CLIENT_ID", "STS_USER_CLIENT_SECRET")
    settings.both_or_neither(env, "LOCAL_ADMIN_EMAIL", "LOCAL_ADMIN_PASSWORD")
    cognito_names = [name for name in POOL_NAMES if env.get(name)]
    endpoints = ConfiguredEndpoints(env)
    common = _common(env, endpoints, port, workers)
    base_url = settings.http_url(env, "BASE_URL")
    if (
        base_url
        and base_url.startswith("http://")
        and urllib.parse.urlsplit(base_url).hostname not in ("localhost", "127.0.0.1", "::1")
    ):
        raise ConfigError(
            f"BASE_URL must start with https:// (got {base_url!r}): browsers keep the "
            "server's __Host- cookies only over https, or on http://localhost."
        )
    domain = (env.get("COGNITO_DOMAIN") or "").strip().rstrip("/")
    if "/" in domain or ":" in domain:
        raise ConfigError(
            f"COGNITO_DOMAIN is a host name only (e.g. NAME.auth.us-east-1.amazoncognito.com), got {domain!r}."
        )
    if not cognito_names:
        return _local(env, endpoints, common, base_url)
    return _real_pool(env, endpoints, common, base_url, domain, cognito_names)


def _common(env: Mapping[str, str], endpoints: ConfiguredEndpoints, port: int | None, workers: int | None) -> dict:
    """The settings that mean the same with the local Cognito and with a real pool."""
    port = settings.port(port or settings.number(env, "PORT", DEFAULT_PORT, int))
    return dict(
        port=port,
        allowed_origins=tuple(o.rstrip("/") for o in settings.split_list(env.get("ALLOWED_ORIGINS"))),
        refresh_cookie_days=settings.number(env, "REFRESH_COOKIE_DAYS", DEFAULT_REFRESH_COOKIE_DAYS),
        cognito_connect_timeout=settings.number(env, "COGNITO_CONNECT_TIMEOUT", 3.0),
        cognito_read_timeout=settings.number(env, "COGNITO_READ_TIMEOUT", 5.0),
        cognito_max_attempts=settings.number(env, "COGNITO_MAX_ATTEMPTS", 2, int),
        admin_group=env.get("ADMIN_GROUP") or "admin",
        app_name=(env.get("APP_NAME") or "").strip() or page_name(),
        sts_access_key_id=env.get("STS_USER_CLIENT_ID") or None,
        sts_secret_access_key=env.get("STS_USER_CLIENT_SECRET") or None,
        sts_endpoint_url=endpoints.configured("sts").url,
        photos_dir=env.get("PHOTOS_DATA") or ".photos",
        photos_bucket=env.get("PHOTOS_BUCKET") or None,
        s3_endpoint_url=endpoints.configured("s3").url,
        photos_database_url=settings.postgresql_url(env, "PHOTOS_DATABASE_URL"),
        photos_database_connections=settings.whole_number_between(
            env, "PHOTOS_DATABASE_CONNECTIONS", 1, MAX_PHOTOS_DATABASE_CONNECTIONS, DEFAULT_PHOTOS_DATABASE_CONNECTIONS
        ),
        drain_seconds=settings.seconds_between(env, "DRAIN_SECONDS", 0, MAX_DRAIN_SECONDS, DEFAULT_DRAIN_SECONDS),
        workers=settings.workers(workers if workers is not None else settings.number(env, "WORKERS", 1, int)),
        log_format=settings.log_format(env),
        trusted_proxies=settings.networks(env, "TRUSTED_PROXIES"),
        rate_limit_per_address=settings.rate_limit(env, "RATE_LIMIT_PER_ADDRESS", DEFAULT_RATE_LIMIT_PER_ADDRESS),
        rate_limit_per_user=settings.rate_limit(env, "RATE_LIMIT_PER_USER", DEFAULT_RATE_LIMIT_PER_USER),
        redis_url=settings.redis_url(env),
        token_clock_skew_seconds=settings.seconds_between(
            env, "TOKEN_CLOCK_SKEW_SECONDS", 0, MAX_TOKEN_CLOCK_SKEW_SECONDS, DEFAULT_TOKEN_CLOCK_SKEW_SECONDS
        ),
        **_observability(env, port),
        sign_in_flow=settings.sign_in_flow(env),
    )


def _observability(env: Mapping[str, str], port: int) -> dict:
    """Metrics and traces. prometheus_client's PROMETHEUS_MULTIPROC_DIR is the server's own to set
    (with --processes): a folder left from another run would add its counts to this one's."""
    if env.get(MULTIPROCESS_VARIABLE):
        raise ConfigError(
            f"{MULTIPROCESS_VARIABLE} is set, but the server makes that folder itself when it runs "
            "several processes (WORKERS, --processes), fresh for each run: unset it."
        )
    metrics, metrics_port, metrics_host = settings.metrics(env, port)
    return dict(
        metrics=metrics,
        metrics_port=metrics_port,
        metrics_host=metrics_host,
        traces_endpoint=settings.traces_endpoint(env),
    )


def _local(env: Mapping[str, str], endpoints: ConfiguredEndpoints, common: dict, base_url: str | None) -> Config:
    """Local mode: the embedded local Cognito fills in the pool, the client and the endpoint."""
    if common["photos_bucket"] and not common["s3_endpoint_url"]:
        raise ConfigError(
            "PHOTOS_BUCKET is set but no S3 endpoint is (AWS_ENDPOINT_URL_S3 or "
            "AWS_ENDPOINT_URL): with the local Cognito there are no AWS credentials, so the "
            "bucket must be on a local S3 (moto, LocalStack). Unset PHOTOS_BUCKET to keep "
            "photos on disk."
        )
    elsewhere = endpoints.configured("cognito-idp")
    if elsewhere.source in service_variables("cognito-idp"):
        raise ConfigError(
            f"{elsewhere.source} sends Cognito calls to {elsewhere.url}, but no user pool is configured, "
            "so the server would run on its embedded local Cognito instead. To use that Cognito, also "
            "set " + ", ".join(REQUIRED_FOR_REAL_POOL) + f"; to run on the local Cognito, unset "
            f"{elsewhere.source}."
        )
    # By default the one after PORT, so the hosted UI's address stays the same from run to run.
    local_port = (
        0
        if env.get("LOCAL_COGNITO_PORT") == "0"
        else settings.port(
            settings.number(env, "LOCAL_COGNITO_PORT", min(common["port"] + 1, 65535), int), "LOCAL_COGNITO_PORT"
        )
    )
    return Config(
        region="us-east-1",
        user_pool_id="",
        client_id="",
        client_secret="",
        cookie_secrets=settings.split_list(env.get("COOKIE_SECRET")),
        local=True,
        local_data_dir=env.get("LOCAL_COGNITO_DATA") or ".local-cognito",
        local_code=(env.get("LOCAL_COGNITO_CODE") or None),
        local_admin_email=env.get("LOCAL_ADMIN_EMAIL") or None,
        local_admin_password=env.get("LOCAL_ADMIN_PASSWORD") or None,
        # The local Cognito serves the hosted UI itself: its URL is known once it has started.
        base_url=base_url or f"http://localhost:{common['port']}",
        local_cognito_port=local_port,
        unused_cognito_endpoint=f"{elsewhere.source} ({elsewhere.url})" if elsewhere.url else None,
        local_cognito_clock_offset=settings.seconds_between(
            env, "LOCAL_COGNITO_CLOCK_OFFSET", -MAX_LOCAL_COGNITO_CLOCK_OFFSET, MAX_LOCAL_COGNITO_CLOCK_OFFSET, 0
        ),
        local_refresh_rotation=settings.on_off(env, "LOCAL_COGNITO_REFRESH_ROTATION", False),
        local_rotation_grace_seconds=settings.grace_seconds(
            env, "LOCAL_COGNITO_ROTATION_GRACE_SECONDS", DEFAULT_ROTATION_GRACE_SECONDS
        ),
        local_required_attributes=settings.required_attributes(env),
        local_login_with_amazon=settings.on_off(env, "LOCAL_COGNITO_LOGIN_WITH_AMAZON", True),
        local_mfa_methods=settings.local_mfa_methods(env),
        local_email_updates=settings.local_email_updates(env),
        local_device_tracking=settings.local_device_tracking(env),
        local_auth_flows=settings.local_auth_flows(env),
        local_feature_plan=sign_in_settings.feature_plan(env),
        local_first_auth_factors=sign_in_settings.first_auth_factors(env),
        uniform_answer_seconds=_uniform_answer_seconds(env, DEFAULT_LOCAL_UNIFORM_ANSWER_SECONDS),
        **common,
    )


def _real_pool(
    env: Mapping[str, str],
    endpoints: ConfiguredEndpoints,
    common: dict,
    base_url: str | None,
    domain: str,
    cognito_names: list[str],
) -> Config:
    """A real (or LocalStack, or moto server) user pool: every required name must be present."""
    missing = [name for name in REQUIRED_FOR_REAL_POOL if not env.get(name)]
    if missing:
        raise ConfigError(
            "The Cognito configuration is incomplete (found "
            + ", ".join(cognito_names)
            + "); also set: "
            + ", ".join(missing)
            + ". Unset all of them to run on the embedded local Cognito instead."
        )
    if not settings.split_list(env["COOKIE_SECRET"]):
        raise ConfigError("COOKIE_SECRET holds no secret: give one or more, separated by spaces or commas.")
    if env.get("COGNITO_ENDPOINT_URL"):
        endpoint = checked_url(env["COGNITO_ENDPOINT_URL"], "COGNITO_ENDPOINT_URL")
        endpoint_source = "COGNITO_ENDPOINT_URL"
    else:
        endpoint, endpoint_source = dataclasses.astuple(endpoints.configured("cognito-idp"))
    return Config(
        region=env["COGNITO_REGION_NAME"],
        user_pool_id=env["COGNITO_USER_POOL_ID"],
        client_id=env["COGNITO_USER_CLIENT_ID"],
        client_secret=env["COGNITO_CLIENT_SECRET"],
        cookie_secrets=settings.split_list(env["COOKIE_SECRET"]),
        endpoint_url=endpoint,
        endpoint_source=endpoint_source,
        issuer_override=settings.http_url(env, "COGNITO_ISSUER"),
        hosted_ui_url=f"https://{domain}" if domain else None,
        base_url=base_url,
        uniform_answer_seconds=_uniform_answer_seconds(env, DEFAULT_UNIFORM_ANSWER_SECONDS),
        **common,
    )


def _uniform_answer_seconds(env: Mapping[str, str], default: float) -> float:
    return settings.seconds_between(env, "UNIFORM_ANSWER_SECONDS", 0, MAX_UNIFORM_ANSWER_SECONDS, default)

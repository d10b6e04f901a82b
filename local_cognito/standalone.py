"""The local Cognito on its own, for any app: ``python -m local_cognito [options]``.

It serves, on one port, what a Cognito user pool with a domain serves: the cognito-idp JSON API
(what the AWS SDKs and the AWS CLI call, at the endpoint URL), the hosted UI (``/oauth2/authorize``,
``/login``, ``/oauth2/token``, ``/oauth2/userInfo``, ``/logout``), and the pool's
``/{pool}/.well-known/jwks.json`` and ``openid-configuration``. Once it listens it prints what an app
needs (region, pool id, client id and secret, endpoint, issuer, hosted-UI URL), the same values also
as ``NAME=value`` lines an app's environment can take as they are (``--print-env`` prints only
those), and runs until Ctrl-C or SIGTERM, then exits 0.

Its settings are local mode's (``LOCAL_COGNITO_DATA``, ``LOCAL_COGNITO_CODE``, ``LOCAL_ADMIN_*``,
``ADMIN_GROUP``, ``LOCAL_COGNITO_REQUIRED_ATTRIBUTES``, ``LOCAL_COGNITO_CLOCK_OFFSET``, refresh-token
rotation, ``LOCAL_COGNITO_PORT``), read once by ``server.config`` so a bad value is refused with the
setting's name, plus its own: the address it listens on (``LOCAL_COGNITO_HOST``, loopback by default),
the one apps reach it at (``LOCAL_COGNITO_URL``) and the app's hosted-UI URLs
(``LOCAL_COGNITO_CALLBACK_URLS``, ``LOCAL_COGNITO_LOGOUT_URLS``), since ``BASE_URL`` is the server's.
Each has a command-line option, which wins over the environment. No other variable is read: an
environment holding the ``COGNITO_*`` lines it printed before still starts it.

It takes the data folder as a server in local mode does (``sharing.py``): a ``tornado_server.py``
started over the same folder afterwards joins it. When a server already runs the folder's local
Cognito, this one does not start a second: it says where that one is and exits 1.
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import os
import signal
import sys
import threading
import urllib.parse
from typing import Mapping

from server import settings
from server.config import Config, ConfigError, load_config

REGION = "us-east-1"
DEFAULT_PORT = 3007  # the port the local Cognito of a server on its default port takes: one issuer for both


@dataclasses.dataclass(frozen=True)
class Option:
    flag: str
    variable: str
    help: str
    repeated: bool = False  # the option may be given more than once; the variable is a list
    metavar: str | None = None  # default: the flag's last word (--admin-email EMAIL)


OPTIONS = (
    Option("--port", "LOCAL_COGNITO_PORT", f"port to serve on, 0 for any free one (default {DEFAULT_PORT})"),
    Option(
        "--host",
        "LOCAL_COGNITO_HOST",
        "address to listen on (default 127.0.0.1: this machine only; "
        "anyone who reaches another address can act as the pool's admin)",
    ),
    Option(
        "--url",
        "LOCAL_COGNITO_URL",
        "the address apps reach it at, when not the one it listens on "
        "(a container's published port); it names the issuer and the hosted UI's links",
    ),
    Option("--data", "LOCAL_COGNITO_DATA", "folder keeping the pool (default .local-cognito)"),
    Option("--code", "LOCAL_COGNITO_CODE", "every confirmation and reset code is this one (default random)"),
    Option("--admin-email", "LOCAL_ADMIN_EMAIL", "a confirmed user in the admin group, made at start"),
    Option("--admin-password", "LOCAL_ADMIN_PASSWORD", "that user's password (the variable keeps it out of ps)"),
    Option("--admin-group", "ADMIN_GROUP", "the admin group's name (default admin)"),
    Option(
        "--required-attributes",
        "LOCAL_COGNITO_REQUIRED_ATTRIBUTES",
        "standard attributes the pool requires besides the email, e.g. nickname,given_name",
    ),
    Option("--clock-offset", "LOCAL_COGNITO_CLOCK_OFFSET", "seconds its clock is ahead of this machine's"),
    Option(
        "--refresh-rotation",
        "LOCAL_COGNITO_REFRESH_ROTATION",
        "on: the app client rotates refresh tokens",
        metavar="on|off",
    ),
    Option(
        "--rotation-grace-seconds",
        "LOCAL_COGNITO_ROTATION_GRACE_SECONDS",
        "how long a rotated refresh token still works, 0 to 60 (default 60)",
    ),
    Option(
        "--callback-url",
        "LOCAL_COGNITO_CALLBACK_URLS",
        "a URL the hosted UI may send people back to after signing in (repeat for more)",
        repeated=True,
    ),
    Option(
        "--logout-url",
        "LOCAL_COGNITO_LOGOUT_URLS",
        "a URL the hosted UI may send people back to after signing out (repeat for more)",
        repeated=True,
    ),
)
# The local-mode settings server.config reads for it; every other variable is left out.
READ_BY_CONFIG = (
    "LOCAL_COGNITO_PORT",
    "LOCAL_COGNITO_DATA",
    "LOCAL_COGNITO_CODE",
    "LOCAL_ADMIN_EMAIL",
    "LOCAL_ADMIN_PASSWORD",
    "ADMIN_GROUP",
    "LOCAL_COGNITO_REQUIRED_ATTRIBUTES",
    "LOCAL_COGNITO_CLOCK_OFFSET",
    "LOCAL_COGNITO_REFRESH_ROTATION",
    "LOCAL_COGNITO_ROTATION_GRACE_SECONDS",
    "LOG_FORMAT",
)


@dataclasses.dataclass(frozen=True)
class StandaloneSettings:
    config: Config  # local mode's settings, as server.config read them
    host: str
    url: str | None
    callback_urls: tuple[str, ...]
    logout_urls: tuple[str, ...]
    print_env: bool
    flags: Mapping[str, str] = dataclasses.field(default_factory=dict)  # variable: the option that gave it

    @property
    def port(self) -> int:
        return self.config.local_cognito_port

    @property
    def loopback_only(self) -> bool:
        return _is_loopback(self.host)


def parse_options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local_cognito",
        description="The local Cognito on its own: a user pool with its app client, hosted UI and keys, "
        "for any app's SDK. Each option overrides the environment variable named with it.",
    )
    for option in OPTIONS:
        parser.add_argument(
            option.flag,
            dest=option.variable,
            action="append" if option.repeated else "store",
            metavar=option.metavar or option.flag.rsplit("-", 1)[-1].upper(),
            help=f"{option.help} [{option.variable}]",
        )
    parser.add_argument(
        "--print-env",
        action="store_true",
        help="print only the NAME=value lines an app's environment takes, nothing else",
    )
    return parser.parse_args(argv)


def read_settings(options: argparse.Namespace, environ: Mapping[str, str] | None = None) -> StandaloneSettings:
    """The settings from the environment and the options, checked once; ConfigError names the setting
    (and the option, when it was given as one) whose value cannot be used."""
    environ = os.environ if environ is None else environ
    given = {option.variable: option for option in OPTIONS if getattr(options, option.variable) is not None}
    flags = {name: option.flag for name, option in given.items()}
    env = {name: environ[name] for name in (*READ_BY_CONFIG, *(o.variable for o in OPTIONS)) if name in environ}
    for name, option in given.items():
        value = getattr(options, name)
        env[name] = " ".join(value) if option.repeated else value
    env.setdefault("LOCAL_COGNITO_PORT", str(DEFAULT_PORT))
    try:
        config = load_config(env)
        url = settings.http_url(env, "LOCAL_COGNITO_URL")
        return StandaloneSettings(
            config=config,
            host=_host(env.get("LOCAL_COGNITO_HOST") or "127.0.0.1"),
            url=url,
            callback_urls=redirect_urls(env, "LOCAL_COGNITO_CALLBACK_URLS"),
            logout_urls=redirect_urls(env, "LOCAL_COGNITO_LOGOUT_URLS"),
            print_env=options.print_env,
            flags=flags,
        )
    except ConfigError as error:
        raise ConfigError(naming_options(flags, str(error))) from None


def naming_options(flags: Mapping[str, str], message: str) -> str:
    """``message`` with each setting given as an option named as both (``--code (LOCAL_COGNITO_CODE)``)."""
    for variable, flag in flags.items():
        message = message.replace(variable, f"{flag} ({variable})")
    return message


def _host(value: str) -> str:
    value = value.strip()
    if not value or any(character.isspace() or character in "/[]" for character in value):
        raise ConfigError(f"LOCAL_COGNITO_HOST must be an address or a host name to listen on, got {value!r}.")
    return value


def redirect_urls(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """The app's callback or sign-out URLs, by Cognito's rules for CallbackURLs and LogoutURLs: each
    absolute, without a fragment, and https, except http on this machine (Cognito: "HTTPS over HTTP
    except for http://localhost for testing purposes only"; app URLs such as myapp://example too)."""
    urls = tuple(dict.fromkeys(settings.split_list(env.get(name))))
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        if not parts.scheme or not parts.netloc or "#" in url:
            raise ConfigError(f"{name} must list absolute URLs without a fragment (#...), got {url!r}.")
        if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
            raise ConfigError(
                f"{name} lists {url!r}: Cognito takes http:// only for localhost; use https://, "
                "or http://localhost with the app's port."
            )
    return urls


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def env_lines(details: Mapping[str, str]) -> list[str]:
    """``NAME=value`` lines for an app's environment: the AWS SDKs' and the AWS CLI's own names for the
    endpoint and region, and this project's names for the pool (``COGNITO_*``, as the server reads
    them with a real pool)."""
    endpoint, pool_id = details["endpoint_url"], details["user_pool_id"]
    return [
        f"AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER={endpoint}",
        f"AWS_REGION={REGION}",
        f"AWS_DEFAULT_REGION={REGION}",
        f"COGNITO_REGION_NAME={REGION}",
        f"COGNITO_USER_POOL_ID={pool_id}",
        f"COGNITO_USER_CLIENT_ID={details['client_id']}",
        f"COGNITO_CLIENT_SECRET={details['client_secret']}",
        f"COGNITO_ENDPOINT_URL={endpoint}",
        f"COGNITO_ISSUER={endpoint}/{pool_id}",
    ]


def hosted_ui_url(endpoint: str, client_id: str, callback_urls: tuple[str, ...]) -> str | None:
    """Where an app sends a browser to sign in, as with a Cognito domain: its authorize endpoint."""
    if not callback_urls:
        return None
    query = urllib.parse.urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "scope": "openid email profile",
            "redirect_uri": callback_urls[0],
        }
    )
    return f"{endpoint}/oauth2/authorize?{query}"


def banner(found: StandaloneSettings, details: Mapping[str, str]) -> str:
    config, endpoint, pool_id = found.config, details["endpoint_url"], details["user_pool_id"]
    pool_url = f"{endpoint}/{pool_id}"
    sign_in = hosted_ui_url(endpoint, details["client_id"], found.callback_urls)
    reach = (
        "this machine only"
        if found.loopback_only
        else (f"listening on {found.host}: anyone who reaches it can act as the pool's admin")
    )
    lines = [
        "",
        f"  Local Cognito at {endpoint}  ({reach}; Ctrl-C stops it)",
        f"    region         {REGION}",
        f"    user pool      {pool_id}  (email as user name, passwords of 8+ characters)",
        f"    app client     {details['client_id']}  (with a secret: SECRET_HASH on every call)",
        f"    client secret  {details['client_secret']}",
        f"    endpoint       {endpoint}  (the SDKs' and the AWS CLI's --endpoint-url)",
        f"    issuer         {pool_url}",
        f"    JWKS           {pool_url}/.well-known/jwks.json",
        f"    discovery      {pool_url}/.well-known/openid-configuration",
        f"    hosted UI      {sign_in}"
        if sign_in
        else "    hosted UI      off until a callback URL is given (--callback-url, LOCAL_COGNITO_CALLBACK_URLS)",
        *([f"    sign-out URLs  {' '.join(found.logout_urls)}"] if found.logout_urls else []),
        f"    data           {os.path.abspath(config.local_data_dir)}  (users survive a restart)",
        "    codes          printed below as 'Email to ...'"
        + (" and pinned by LOCAL_COGNITO_CODE" if config.local_code else ""),
        (f"    admin          {config.local_admin_email}  (in the {config.admin_group!r} group)")
        if config.local_admin_email
        else "    admin          none (LOCAL_ADMIN_EMAIL, LOCAL_ADMIN_PASSWORD)",
        *(
            [
                f"    clock          {config.local_cognito_clock_offset:+g} s from this machine's "
                "(LOCAL_COGNITO_CLOCK_OFFSET)"
            ]
            if config.local_cognito_clock_offset
            else []
        ),
        "",
        "  For an app's environment (--print-env prints only these lines):",
        "",
        *env_lines(details),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    try:
        found = read_settings(options)
    except ConfigError as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 2
    from server.logs import configure_logging

    configure_logging(found.config.log_format)
    stopping = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):  # a clean stop, not a KeyboardInterrupt's traceback
        signal.signal(number, lambda *_: stopping.set())
    started = start(found)
    if isinstance(started, int):
        return started
    local, details = started
    try:
        print("\n".join(env_lines(details)) if found.print_env else banner(found, details), flush=True)
        while not stopping.wait(0.5):
            pass
    finally:
        local.stop()
    return 0


def start(found: StandaloneSettings):
    """``(local Cognito, what it published)`` once it listens, or the exit status when it cannot start."""
    from local_cognito import DataFolderUnusable, HostedUiUrls, start_local_cognito  # loads moto
    from local_cognito.sharing import FolderBusy, JoinedLocalCognito

    config = found.config
    try:
        local, completed = start_local_cognito(
            config, host=found.host, url=found.url, hosted_ui=HostedUiUrls(found.callback_urls, found.logout_urls)
        )
    except (DataFolderUnusable, FolderBusy) as error:
        print(f"Cannot start: {error}.", file=sys.stderr)
        return 1
    except ConfigError as error:  # the local admin's email or password
        print(f"Cannot start: {naming_options(found.flags, str(error))}", file=sys.stderr)
        return 2
    except OSError as error:
        print(
            f"Cannot start the local Cognito on {found.host} port {found.port}: {error.strerror or error}",
            file=sys.stderr,
        )
        return 1
    if isinstance(local, JoinedLocalCognito):
        print(
            f"Cannot start: the local Cognito of process {local.owner_pid} already serves the data folder "
            f"{os.path.abspath(config.local_data_dir)}, at {local.endpoint_url}. Use that one, stop it "
            "first, or give another folder (--data or LOCAL_COGNITO_DATA).",
            file=sys.stderr,
        )
        return 1
    return local, {
        "endpoint_url": local.endpoint_url,
        "user_pool_id": completed.user_pool_id,
        "client_id": completed.client_id,
        "client_secret": completed.client_secret,
    }

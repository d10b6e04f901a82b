"""Entry point: parse the options, read the configuration, build the app, and serve it.

    python tornado_server.py [--port 3006] [--host ADDRESS] [--processes N]

With no Cognito configuration in the environment it starts the embedded local Cognito first (or
joins the one another server runs over the same data folder). With N processes, they share the port.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from server.aws_endpoints import COGNITO_IDP_VARIABLE, service_variable
from server.config import Config, ConfigError, load_config
from server.logs import configure_logging
from server.page_identity import PASSWORD_POLICY
from server.serving import serve, supervise

log = logging.getLogger("server")


def parse_options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Cognito sign-in behind one JSON endpoint.")
    parser.add_argument("--port", type=int, default=None, help="port to serve on (default: PORT or 3006)")
    parser.add_argument(
        "--host",
        default=os.environ.get("HOST"),
        help="address to listen on (default: HOST; loopback in local mode, else all)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="processes serving the port, each with its own clients (default: WORKERS or 1)",
    )
    return parser.parse_args(argv)


def banner(config: Config, cognito_url: str, host: str) -> list[str]:
    """The lines that tell a newcomer what local mode made: logged one record each, since the log
    escapes a line break inside a record."""
    return [
        "Local Cognito: no AWS account needed.",
        f"  endpoint    {cognito_url}  (loopback only)",
        f"  user pool   {config.user_pool_id}  (email as user name, passwords of "
        f"{PASSWORD_POLICY.min_length}+ characters)",
        f"  app client  {config.client_id}  (with a secret, kept on this server)",
        f"  data        {os.path.abspath(config.local_data_dir)}  (users survive a restart)",
        "  codes       printed below as 'Email to ...'"
        + (" and pinned by LOCAL_COGNITO_CODE" if config.local_code else ""),
        (
            f"  admin       {config.local_admin_email}  (in the {config.admin_group!r} group; "
            "password from LOCAL_ADMIN_PASSWORD)"
        )
        if config.local_admin_email
        else "  admin       none: set LOCAL_ADMIN_EMAIL and LOCAL_ADMIN_PASSWORD to make one",
        *(
            [
                f"  clock       {abs(config.local_cognito_clock_offset):g} s "
                f"{'ahead of' if config.local_cognito_clock_offset > 0 else 'behind'} this server's "
                f"(LOCAL_COGNITO_CLOCK_OFFSET; tokens are checked with {config.token_clock_skew_seconds:g} s "
                "of allowance)"
            ]
            if config.local_cognito_clock_offset
            else []
        ),
        f"Serving POST http://{'localhost' if host in ('localhost', '127.0.0.1') else host}:{config.port}/"
        + (f"  ({config.workers} processes)" if config.workers > 1 else ""),
        f"Hosted-UI sign-in: {config.base_url}/login",
        f"The photos page: {config.base_url}/  (photos kept in {os.path.abspath(config.photos_dir)})",
    ]


def announce(config: Config, local, host: str) -> None:
    if config.unused_cognito_endpoint:
        log.warning(
            "%s is not used for Cognito: with no user pool configured, Cognito calls go to the "
            "local Cognito. Set COGNITO_USER_POOL_ID and the other pool settings to use that one.",
            config.unused_cognito_endpoint,
        )
    if local is not None and local.joined:
        log.info(
            "Joined the local Cognito at %s (run by process %s over %s); serving POST on port %d.",
            local.endpoint_url,
            local.owner_pid,
            os.path.abspath(config.local_data_dir),
            config.port,
        )
        callback = f"{config.base_url}/callback"
        if config.hosted_ui and local.callback_urls is not None and callback not in local.callback_urls:
            log.warning(
                "The local Cognito at %s does not send people back to %s after a hosted-UI sign-in, "
                "so /login here ends on its error page. Start it with --callback-url %s and "
                "--logout-url %s/ (python -m local_cognito), or with this BASE_URL.",
                local.endpoint_url,
                callback,
                callback,
                config.base_url,
            )
    elif local is not None:
        for line in banner(config, local.endpoint_url, host):
            log.info("%s", line)
    else:
        log.info(
            "Serving POST on port %d for user pool %s%s",
            config.port,
            config.user_pool_id,
            f" ({config.workers} processes)" if config.workers > 1 else "",
        )
        if config.endpoint_url:
            log.info(
                "Cognito is at %s (from %s); its tokens are checked against %s with issuer %s.",
                config.endpoint_url,
                config.endpoint_source,
                config.jwks_url,
                config.issuer,
            )
        if config.endpoint_source == COGNITO_IDP_VARIABLE:
            log.info(
                "%s is honoured by this server, but other AWS tools (the AWS CLI, the SDKs) do not read it: "
                "they read %s.",
                COGNITO_IDP_VARIABLE,
                service_variable("cognito-idp"),
            )
        if not config.hosted_ui:
            log.warning(
                "Hosted-UI sign-in (/login, /callback, /logout) is off: set COGNITO_DOMAIN and BASE_URL to turn it on."
            )


def run(config: Config, host: str | None) -> int:
    local = None
    if config.local:
        from local_cognito import start_local_cognito  # loads moto: only when needed
        from local_cognito.sharing import FolderBusy
        from local_cognito.store import DataFolderUnusable

        try:
            local, config = start_local_cognito(config)
        except DataFolderUnusable as error:
            print(
                f"Cannot start: {error}. Make the folder writable, or set LOCAL_COGNITO_DATA to one that is.",
                file=sys.stderr,
            )
            return 1
        except OSError as error:
            print(
                f"Cannot start the local Cognito on port {config.local_cognito_port}: {error.strerror or error}",
                file=sys.stderr,
            )
            return 1
        except FolderBusy as error:
            print(f"Cannot start: {error}.", file=sys.stderr)
            return 1
    host = host or ("localhost" if config.local else "")
    try:
        if config.workers == 1:
            return asyncio.run(serve(config, host, on_listening=lambda: announce(config, local, host)))
        return supervise(config, host, on_listening=lambda: announce(config, local, host))
    finally:
        if local is not None:
            local.stop()


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    try:
        config = load_config(port=options.port, workers=options.processes)
    except ConfigError as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 2
    configure_logging(config.log_format)
    try:
        return run(config, options.host)
    except OSError as error:
        print(f"Cannot start on port {config.port}: {error.strerror or error}", file=sys.stderr)
        return 1
    except ConfigError as error:  # found only when used: a database that refuses PHOTOS_DATABASE_URL
        print(f"Cannot start: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""Entry point: parse the options, read the configuration, build the app, and serve it.

    python tornado_server.py [--port 3006] [--host ADDRESS]

With no Cognito configuration in the environment it starts the embedded local Cognito first.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

from server.app import make_app
from server.config import Config, ConfigError, load_config
from server.services import Services

log = logging.getLogger("server")


def parse_options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Cognito sign-in behind one JSON endpoint.")
    parser.add_argument("--port", type=int, default=None, help="port to serve on (default: PORT or 3006)")
    parser.add_argument("--host", default=os.environ.get("HOST"),
                        help="address to listen on (default: HOST; loopback in local mode, else all)")
    return parser.parse_args(argv)


def banner(config: Config, cognito_url: str, host: str) -> str:
    return "\n".join([
        "",
        "  Local Cognito: no AWS account needed.",
        f"    endpoint    {cognito_url}  (loopback only)",
        f"    user pool   {config.user_pool_id}  (email as user name, passwords of 8+ characters)",
        f"    app client  {config.client_id}  (with a secret, kept on this server)",
        f"    data        {os.path.abspath(config.local_data_dir)}  (users survive a restart)",
        "    codes       printed below as 'Email to ...'"
        + (" and pinned by LOCAL_COGNITO_CODE" if config.local_code else ""),
        (f"    admin       {config.local_admin_email}  (in the {config.admin_group!r} group; "
         "password from LOCAL_ADMIN_PASSWORD)") if config.local_admin_email
        else "    admin       none: set LOCAL_ADMIN_EMAIL and LOCAL_ADMIN_PASSWORD to make one",
        f"  Serving POST http://{'localhost' if host in ('localhost', '127.0.0.1') else host}:{config.port}/",
        f"  Hosted-UI sign-in: {config.base_url}/login",
        f"  The photos page: {config.base_url}/  (photos kept in {os.path.abspath(config.photos_dir)})",
        "",
    ])


async def serve(config: Config, host: str | None) -> None:
    local = None
    if config.local:
        from server.local_cognito import start_local_cognito

        local, config = start_local_cognito(config)
    host = host or ("localhost" if config.local else "")
    services = await Services.start(config)
    try:
        # A connection that goes quiet, or a body that takes minutes, is closed rather than held.
        server = make_app(services).listen(config.port, address=host, xheaders=False,
                                           idle_connection_timeout=60, body_timeout=120)
    except OSError:
        await services.close()
        if local is not None:
            local.stop()
        raise
    if local is not None:
        log.info(banner(config, local.endpoint_url, host))
    else:
        log.info("Serving POST on port %d for user pool %s", config.port, config.user_pool_id)
        if not config.hosted_ui:
            log.warning("Hosted-UI sign-in (/login, /callback, /logout) is off: set COGNITO_DOMAIN and "
                        "BASE_URL to turn it on.")

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    log.info("Stopping: no new connections; finishing requests in flight.")
    server.stop()
    await asyncio.wait_for(server.close_all_connections(), timeout=10)
    await services.close()
    if local is not None:
        local.stop()


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(port=options.port)
    except ConfigError as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(config, options.host))
    except OSError as error:
        print(f"Cannot start: {error.strerror or error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

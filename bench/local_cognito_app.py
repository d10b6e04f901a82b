"""Our local Cognito alone, for the emulator benchmark: ``python bench/local_cognito_app.py``.

It starts the local Cognito as local mode does (``start_local_cognito``), with the settings of the
environment (``LOCAL_COGNITO_DATA``, ``LOCAL_COGNITO_PORT``, ``LOCAL_ADMIN_EMAIL`` and
``LOCAL_ADMIN_PASSWORD``: the one confirmed user the benchmark signs in), prints one line of JSON
with its endpoint, pool, client and secret (and ``start_seconds``: from the start of ``main`` to
serving), and serves until SIGTERM or SIGINT. It starts the local Cognito exactly as
``tornado_server.py`` does in local mode, without the server around it, so the benchmark measures
the local Cognito's own cognito-idp endpoint.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path

if __name__ == "__main__":  # imports come from the checkout it is run in (the working directory)
    sys.path.insert(0, str(Path.cwd()))

from local_cognito import start_local_cognito
from server.config import load_config


def main() -> int:
    started = time.monotonic()
    config = load_config()
    local, config = start_local_cognito(config)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print(
        json.dumps(
            {
                "endpoint_url": config.endpoint_url,
                "user_pool_id": config.user_pool_id,
                "client_id": config.client_id,
                "client_secret": config.client_secret,
                "start_seconds": time.monotonic() - started,
            }
        ),
        flush=True,
    )
    try:
        stop.wait()
    finally:
        local.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

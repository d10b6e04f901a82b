"""The container image's health check: exit 0 when the server in this container answers
``GET /healthz`` with 200, 1 otherwise (``HEALTHCHECK`` in the Containerfile).

It asks the port the server was given (``PORT``, default 3006) at the address it listens on
(``HOST``), or on loopback when that is every address. The standard library only: it runs with any
Python, and starts no server code.
"""

from __future__ import annotations

import os
import sys
import urllib.request

# Where to reach a server listening on every address (or on the name of loopback).
LOOPBACK = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "localhost": "127.0.0.1", "::": "::1"}
TIMEOUT_SECONDS = 4


def healthz_url(env) -> str:
    host = env.get("HOST", "").strip()
    host = LOOPBACK.get(host, host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{env.get('PORT') or 3006}/healthz"


def main() -> int:
    url = healthz_url(os.environ)
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as answer:
            healthy = answer.status == 200
    except OSError as error:  # refused, timed out, or an HTTP error status
        print(f"{url}: {error}", file=sys.stderr)
        return 1
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())

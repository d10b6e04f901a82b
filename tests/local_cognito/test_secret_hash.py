"""SECRET_HASH is Cognito's definition, the one the server sends and the local Cognito checks, and
loading the local Cognito loads no AWS SDK (``server.secret_hash`` imports none)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import subprocess
import sys
from pathlib import Path

from server.secret_hash import secret_hash

ROOT = Path(__file__).resolve().parents[2]


def test_the_local_cognitos_secret_hash_is_the_servers_and_cognitos():
    for username, client_id, secret in (
        ("sam@example.com", "3ffae0d453c24f06bc029267cf", "s3cret"),
        ("Zoë@Exämple.com", "abc", "ünïcode-secret"),
        ("", "client", ""),
    ):
        expected = base64.b64encode(
            hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
        ).decode()
        assert secret_hash(username, client_id, secret) == expected


def test_loading_the_local_cognito_loads_no_aws_sdk():
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, local_cognito, local_cognito.service; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'aiobotocore', 'aiohttp'}))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]"

"""Cognito's SECRET_HASH: what the server sends (``server.cognito``) and the local Cognito checks
(and its hosted UI computes).

Base64 of HMAC-SHA256 keyed with the app client's secret, over the user name followed by the client
id (developer guide, "Computing secret hash values"). A module of its own, importing no AWS SDK, so
that the local Cognito does not load aiobotocore and aiohttp (a fifth of its start-up).
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def secret_hash(username: str, client_id: str, client_secret: str) -> str:
    """base64(HMAC-SHA256(key=client secret, message=username + client id))."""
    digest = hmac.new(client_secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()

"""Cognito's SECRET_HASH, as the local Cognito checks it (and its hosted UI computes it).

Base64 of HMAC-SHA256 keyed with the app client's secret, over the user name followed by the client
id (developer guide, "Computing secret hash values"). The server computes the same in
``server.cognito``; this copy keeps the local Cognito from loading the AWS SDK that module needs,
a fifth of the local Cognito's start-up. A test holds the two to one answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def secret_hash(username: str, client_id: str, client_secret: str) -> str:
    digest = hmac.new(client_secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()

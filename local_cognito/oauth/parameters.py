"""OAuth request parameters: reading one value of each, adding them to a URL, and PKCE's S256."""

from __future__ import annotations

import base64
import hashlib
import re
import urllib.parse
from typing import Mapping

from local_cognito.oauth.errors import RepeatedParameter

PKCE_VALUE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636: verifier and S256 challenge alphabet


def one(params: Mapping[str, list[str]], name: str) -> str | None:
    """The one value of ``name``; OAuth parameters must not be repeated (RFC 6749 section 3.1)."""
    values = params.get(name) or []
    if len(values) > 1:
        raise RepeatedParameter(name)
    return values[0] if values else None


def as_lists(params: Mapping[str, str]) -> dict[str, list[str]]:
    return {name: [value] for name, value in params.items()}


def with_query(url: str, params: Mapping[str, str]) -> str:
    """``url`` with ``params`` added to its query string."""
    parts = urllib.parse.urlsplit(url)
    extra = urllib.parse.urlencode(params)
    return urllib.parse.urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a code verifier (RFC 7636 section 4.2)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()

"""Signed values: small JSON payloads the server hands out and later trusts only if unaltered.

Tornado's signed values (format 2, with a key version) over the configured ``COOKIE_SECRET``s: the
first secret signs, every one of them verifies, and a secret's key version is derived from the
secret itself, so adding or dropping other secrets never renumbers it. The ``name`` is part of what
is signed, so a value made for one purpose (the refresh cookie, a sign-in challenge) is refused
for any other.
"""

from __future__ import annotations

import json
import time
import zlib
from typing import Any, Callable

from tornado.web import create_signed_value, decode_signed_value


def key_version(secret: str) -> int:
    return zlib.crc32(secret.encode())


class SignedValues:
    """Signs and checks JSON payloads for one purpose (``name``), valid for ``max_age_days``."""

    def __init__(
        self, secrets: tuple[str, ...], name: str, max_age_days: float, clock: Callable[[], float] = time.time
    ):
        if not secrets:
            raise ValueError("at least one secret is needed")
        self._secrets = {key_version(secret): secret for secret in secrets}
        self._current_version = key_version(secrets[0])
        self.name = name
        self.max_age_days = max_age_days
        self.clock = clock

    def encode(self, payload: Any) -> str:
        return create_signed_value(
            self._secrets,
            self.name,
            json.dumps(payload, separators=(",", ":")),
            version=2,
            key_version=self._current_version,
            clock=self.clock,
        ).decode()

    def decode(self, value: str) -> Any:
        """The payload in ``value``; None when it is tampered with, too old or malformed."""
        try:
            raw = decode_signed_value(
                self._secrets, self.name, value, max_age_days=self.max_age_days, min_version=2, clock=self.clock
            )
            return None if raw is None else json.loads(raw)
        except Exception:  # a value no signature check could parse is simply not ours
            return None

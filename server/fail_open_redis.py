"""A Redis client for state shared between processes that fails open: rate limits
(``rate_limits.py``) and signed-out sessions (``revocations.py``).

Each command waits at most ``timeout`` for a free connection, to connect and to be answered, with
one immediate retry on a broken connection: a pooled connection that Redis closed (a restart, an
idle timeout) is replaced instead of failing that call. RESP2: every Redis speaks it, and a new
connection needs no HELLO first. While Redis cannot be used, the owner goes on without it and a
warning saying what that means is logged at most every ``WARNING_INTERVAL`` seconds, and once when
Redis answers again. The log names the server, never the URL's password.
"""

from __future__ import annotations

import logging
import time
import urllib.parse
from typing import Any

WARNING_INTERVAL = 30.0


def redis_location(url: str) -> str:
    """The Redis server named in ``url``, for the log: no password."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "unix":
        return parts.path
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"


class FailOpenRedis:
    """``redis``: the client, on a pool of at most ``connections``. The warning says ``problem``, then
    what happens ``meanwhile``; once Redis answers again, the log says ``again``."""

    def __init__(
        self,
        url: str,
        *,
        connections: int,
        timeout: float,
        log: logging.Logger,
        problem: str,
        meanwhile: str,
        again: str,
    ) -> None:
        import redis.asyncio  # only servers configured with REDIS_URL need the client
        import redis.asyncio.retry
        import redis.backoff

        self.where = redis_location(url)
        self.timeout = timeout
        self._pool = redis.asyncio.BlockingConnectionPool.from_url(
            url,
            max_connections=connections,
            timeout=timeout,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=redis.asyncio.retry.Retry(redis.backoff.NoBackoff(), 1),
            protocol=2,
        )
        self.redis: Any = redis.asyncio.Redis(connection_pool=self._pool)
        self._log, self._problem, self._meanwhile, self._again = log, problem, meanwhile, again
        self._failing = False
        self._warned_at: float | None = None

    def answered(self) -> None:
        if self._failing:
            self._failing = False
            self._log.info("Redis at %s answers again: %s", self.where, self._again)

    def failed(self, error: Exception) -> None:
        self._failing = True
        now = time.monotonic()
        if self._warned_at is not None and now - self._warned_at < WARNING_INTERVAL:
            return
        self._warned_at = now
        reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        self._log.warning(
            "%s: Redis at %s cannot be used (%s). %s (said at most every %d s).",
            self._problem,
            self.where,
            reason,
            self._meanwhile,
            WARNING_INTERVAL,
        )

    async def close(self) -> None:
        await self.redis.aclose()
        await self._pool.disconnect()

"""Rate limits on the guessable methods (placeholder: allows everything)."""

from __future__ import annotations

from typing import Any

from server.config import Config


class RateLimits:
    @classmethod
    async def start(cls, config: Config) -> "RateLimits":
        return cls()

    async def check(self, method: str, address: str, arguments: dict[str, Any]) -> None:
        return None

    async def close(self) -> None:
        return None

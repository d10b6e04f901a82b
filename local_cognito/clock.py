"""The local Cognito's clock: ours, moved by an offset (LOCAL_COGNITO_CLOCK_OFFSET).

A real Cognito's clock is never exactly the server's. Setting the local one ahead (a positive
offset) or behind (negative) makes it issue tokens as such a Cognito would: their ``iat``, ``exp``
and ``auth_time`` are on its clock, and everything it checks itself (its own access tokens, codes,
sessions, TOTP steps) is judged by the same clock, so it stays consistent with itself while the
server's token checks see the difference.
"""

from __future__ import annotations

import time
from typing import Callable


class ShiftedClock:
    """``base()`` plus ``offset`` seconds. The offset may be changed while the pool runs."""

    def __init__(self, offset: float = 0.0, base: Callable[[], float] = time.time):
        self.offset = offset
        self.base = base

    def __call__(self) -> float:
        return self.base() + self.offset

    def __repr__(self) -> str:
        return f"ShiftedClock(offset={self.offset!r})"

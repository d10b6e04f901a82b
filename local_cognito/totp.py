"""Time-based one-time passwords (RFC 6238) for software-token MFA: secrets, and which step a code is.

A user's record (``SoftwareToken``) holds the verified secret, a pending one waiting for its first
code, whether MFA is on, and the last time step a code was accepted for, so no code works twice
(RFC 6238 section 5.2).
"""

from __future__ import annotations

import base64
import dataclasses
import hmac
import re
import secrets

import pyotp

STEP_SECONDS = 30
CLOCK_SKEW_STEPS = 1  # one step either side of now, as RFC 6238 section 5.2 suggests
_CODE = re.compile(r"^[0-9]{6}$")


@dataclasses.dataclass
class SoftwareToken:
    secret: str | None = None  # verified: codes from it sign the user in
    pending: str | None = None  # from AssociateSoftwareToken, until VerifySoftwareToken
    enabled: bool = False
    preferred: bool = False
    last_step: int | None = None  # the step of the last code accepted from ``secret``

    @classmethod
    def from_saved(cls, saved: dict) -> SoftwareToken:
        return cls(**{f.name: saved.get(f.name, f.default) for f in dataclasses.fields(cls)})


def new_secret() -> str:
    """A base32 secret as Cognito gives: 20 random bytes, 32 characters."""
    return base64.b32encode(secrets.token_bytes(20)).decode()


def accepted_step(secret: str, code: object, now: float, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to, if it is right for a step near ``now`` that comes after
    ``last_step``; None otherwise (wrong, too old, or already used)."""
    if not isinstance(code, str) or not _CODE.match(code):
        return None
    generator = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = int(now // STEP_SECONDS)
    for step in range(current - CLOCK_SKEW_STEPS, current + CLOCK_SKEW_STEPS + 1):
        if (last_step is None or step > last_step) and hmac.compare_digest(
            generator.generate_otp(step).encode(), code.encode()
        ):
            return step
    return None

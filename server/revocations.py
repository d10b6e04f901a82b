"""The sessions signed out through this server, remembered until their access tokens expire, so that
those tokens stop reading too.

Cognito refuses a signed-out session's access tokens in its own API (GetUser, ChangePassword...),
but a token checked only against the pool's keys stays good until it expires: "revoked tokens will
still be valid if they are verified using any JWT library that verifies the signature and expiration
of the token" (Amazon Cognito Developer Guide, "Revoking tokens"). What changes or deletes data asks
Cognito (GetUser); reads (the photos API, ``/me``, the browser session) check the token here instead,
which costs no call to Cognito.

A session is known by its ``origin_jti``: the claim Cognito puts in the access and id tokens of an
app client with token revocation on (the default), the same in every token issued from one sign-in's
refresh token ("When the REFRESH_TOKEN authentication flow is used to generate new access and ID
tokens, the new access and ID tokens have the same origin_jti claim": AWS Knowledge Center, "How do I
revoke refresh tokens issued by Amazon Cognito?"). Every sign-out made through
this server records the origin_jti of the sessions it knows: signOut (global or not) and ``/logout``
the refresh cookie's, changePass and deleteAcct the caller's too (``server.refresh_cookie`` keeps the
origin_jti in the cookie from the sign-in on). A token whose origin_jti is recorded is refused with
401 ``InvalidToken``. Sessions the server never held (another device's, when one signs out
everywhere; those an admin ends) are ended at Cognito, but their access tokens still read here until
they expire.

A record is kept until the session's last access token has expired: once the refresh token is
revoked no new one is issued, so that is the tokens' lifetime from now, plus the clock allowance
(TOKEN_CLOCK_SKEW_SECONDS) twice: once because the pool's clock may be ahead of ours when it issued
the token, once because our check takes a token that long after its ``exp``. Without a known
lifetime, Cognito's longest: one day.

Where the records live:

- in this process, always: a dict in the order the records were made, so the oldest (which expire
  first, give or take their lifetimes) are dropped from the front as they expire; at ``MAX_RECORDS``
  the oldest is forgotten early, with a warning;
- with ``REDIS_URL``, in Redis too, shared by every process using it: key ``KEY_PREFIX`` + origin_jti,
  expiring with the record. A check asks this process first, then Redis.

Fail open: when Redis cannot be reached, errs, or takes longer than ``REDIS_TIMEOUT``, a check goes by
this process's records alone (so a sign-out made through this process still counts), and a warning is
logged at most every ``WARNING_INTERVAL`` seconds (and once when Redis answers again). Failing closed
would refuse every photo to everyone during a Redis outage, for what is a narrowing of a window
Cognito's design leaves open anyway: nothing that changes data depends on these records, since every
write asks Cognito, and the tokens concerned expire within their lifetime (an hour by default).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from typing import Iterable, TypeGuard

from server.config import Config
from server.errors import ApiError
from server.fail_open_redis import WARNING_INTERVAL, FailOpenRedis

log = logging.getLogger("server.revocations")

# Records kept in this process (each some 200 bytes: about 20 MB at the cap).
MAX_RECORDS = 100_000
# Expired records dropped per new one: more than one, so the dict shrinks back after a burst.
PRUNE_PER_RECORD = 4
# Cognito's longest access-token lifetime (AccessTokenValidity: 5 minutes to 1 day).
LONGEST_ACCESS_TOKEN_SECONDS = 86400
REDIS_TIMEOUT = 0.5
REDIS_CONNECTIONS = 16
KEY_PREFIX = "cognito-backend:signed-out:"
# An origin_jti is a UUID; anything much longer is not one of Cognito's.
MAX_ORIGIN_JTI = 128


def _usable(origin_jti: object) -> TypeGuard[str]:
    return isinstance(origin_jti, str) and 0 < len(origin_jti) <= MAX_ORIGIN_JTI


class LocalRecords:
    """This process's records: origin_jti -> when it may be forgotten (``time.monotonic``)."""

    def __init__(self, max_records: int = MAX_RECORDS):
        self.max_records = max_records
        self.until: collections.OrderedDict[str, float] = collections.OrderedDict()
        self._warned_at: float | None = None

    def __len__(self) -> int:
        return len(self.until)

    def add(self, origin_jti: str, seconds: float, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self.until[origin_jti] = max(self.until.get(origin_jti, 0.0), now + seconds)
        self.until.move_to_end(origin_jti)
        for _ in range(PRUNE_PER_RECORD):
            oldest = next(iter(self.until), None)
            if oldest is None or self.until[oldest] > now:
                break
            del self.until[oldest]
        if len(self.until) > self.max_records:
            while len(self.until) > self.max_records:
                self.until.popitem(last=False)
            if self._warned_at is None or now - self._warned_at >= WARNING_INTERVAL:
                self._warned_at = now
                log.warning(
                    "The signed-out sessions kept in this process reached their cap of %d: the oldest "
                    "are forgotten before their tokens expire, so those tokens read again until then.",
                    self.max_records,
                )

    def has(self, origin_jti: str, now: float | None = None) -> bool:
        until = self.until.get(origin_jti)
        return until is not None and until > (time.monotonic() if now is None else now)


class RedisRecords:
    """The records in Redis, shared by every process using it; failing open."""

    def __init__(self, url: str):
        self._shared = FailOpenRedis(
            url,
            connections=REDIS_CONNECTIONS,
            timeout=REDIS_TIMEOUT,
            log=log,
            problem="Signed-out sessions are not shared",
            meanwhile="Until it answers again, the access tokens of sessions signed out through another "
            "process are taken for reads",
            again="sessions signed out through any process are refused again.",
        )

    async def add(self, records: dict[str, float]) -> None:
        try:
            async with asyncio.timeout(REDIS_TIMEOUT):
                async with self._shared.redis.pipeline(transaction=False) as pipe:
                    for origin_jti, seconds in records.items():
                        pipe.set(KEY_PREFIX + origin_jti, "1", px=max(1, round(seconds * 1000)))
                    await pipe.execute()
        except Exception as error:  # whatever it is, Redis is out of reach: this process's record stays
            self._shared.failed(error)
            return
        self._shared.answered()

    async def has(self, origin_jti: str) -> bool:
        try:
            async with asyncio.timeout(REDIS_TIMEOUT):
                found = await self._shared.redis.exists(KEY_PREFIX + origin_jti)
        except Exception as error:
            self._shared.failed(error)
            return False
        self._shared.answered()
        return bool(found)

    async def close(self) -> None:
        await self._shared.close()


class Revocations:
    """What sign-outs record and token checks ask."""

    def __init__(self, clock_skew_seconds: float, redis_url: str | None = None):
        self.clock_skew_seconds = clock_skew_seconds
        self.local = LocalRecords()
        self.shared = RedisRecords(redis_url) if redis_url else None

    @classmethod
    def start(cls, config: Config) -> Revocations:
        return cls(config.token_clock_skew_seconds, config.redis_url)

    def seconds_to_keep(self, access_lifetime: float | None) -> float:
        """How long a session signed out now may still have an access token we would take."""
        lifetime = access_lifetime if access_lifetime and access_lifetime > 0 else LONGEST_ACCESS_TOKEN_SECONDS
        return min(lifetime, LONGEST_ACCESS_TOKEN_SECONDS) + 2 * self.clock_skew_seconds

    async def record(self, origin_jtis: Iterable[object], access_lifetime: float | None) -> None:
        """Remember the sessions ``origin_jtis`` as signed out, for their tokens' ``access_lifetime``
        (seconds; unknown: Cognito's longest). Never fails: Redis out of reach, this process keeps them."""
        seconds = self.seconds_to_keep(access_lifetime)
        records = {jti: seconds for jti in dict.fromkeys(origin_jtis) if _usable(jti)}
        for origin_jti in records:
            self.local.add(origin_jti, seconds)
        if records and self.shared is not None:
            await self.shared.add(records)

    async def record_token(self, claims: dict) -> None:
        """Remember the session of an access token Cognito has just signed out (its claims)."""
        issued, expires = claims.get("iat"), claims.get("exp")
        lifetime = expires - issued if isinstance(issued, int) and isinstance(expires, int) else None
        await self.record([claims.get("origin_jti")], lifetime)

    async def signed_out(self, origin_jti: object) -> bool:
        if not _usable(origin_jti):
            return False  # a pool without token revocation issues no origin_jti
        if self.local.has(origin_jti):
            return True
        return self.shared is not None and await self.shared.has(origin_jti)

    async def refuse_signed_out(self, claims: dict) -> None:
        """401 InvalidToken for an access token (its claims) of a session signed out through this server."""
        if await self.signed_out(claims.get("origin_jti")):
            raise ApiError("InvalidToken")

    async def close(self) -> None:
        if self.shared is not None:
            await self.shared.close()

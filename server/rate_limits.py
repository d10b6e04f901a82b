"""Rate limits on the methods whose answers can be guessed at: those the registry marks
``rate_limited`` (``@method("signIn", rate_limited=True)``), which take a user name.

Each call to one of them is counted twice: per (method, client address) and per (method, user
name, stripped, NFKC-normalised and case-folded). A call over either limit is refused with 429 ``RateLimited`` and
``Retry-After``, and costs nothing: a refused call charges neither counter, so one caller being
refused never uses up the other limit. Every other method is neither checked nor counted.

The algorithm is GCRA (the generic cell rate algorithm, a token bucket kept as one number): a
limit of CALLS per SECONDS lets CALLS calls through at once, then one more every SECONDS/CALLS
seconds. Each counter is a single time, the "theoretical arrival time" (TAT) at which its bucket is
full again, so memory is O(1) per key, and a counter whose TAT has passed is the same as no
counter, so it can expire then. There is no window that starts afresh at a fixed time: a fixed
window lets 2 x CALLS calls through in a moment around its edge, while here no moment lets more
than CALLS through, and any L seconds at most CALLS + L x CALLS/SECONDS. Times are whole
microseconds, so the arithmetic is exact and CALLS calls at once always fit.

Client addresses: IPv6 ones are counted per /64, the block one customer usually holds, so that
walking through one's own block does not make new addresses. IPv4-mapped IPv6 counts as IPv4.
User names are hashed (BLAKE2b, 128 bits) into the key: every key has the same small size whatever
is sent, and the store never holds an email address. Before that they are folded with Unicode's
full case folding after NFKC normalisation, which makes one key of every spelling any pool could
take for the same user (``Alice@`` and ``alice@``, and also ``straße@`` and ``strasse@``, or a Kelvin
sign and a ``K``), although the local pool, and this server's own comparisons, tell apart every
address but for the case of ASCII letters (``server.user_names.fold_case``). Folding more here only
ever puts two names on one budget; folding less would give one account two.

Where the counters live:

- Without ``REDIS_URL``, in this process: an ordered dict from key to TAT, most recently charged
  last. Each charge also drops up to a few expired counters from the front (the least recently
  charged), which keeps the dict to about the keys charged within the longest period. It never
  holds more than ``MAX_KEYS``: at the cap, the least recently charged counter is forgotten (that
  key starts afresh) and a warning is logged. An attacker who rotates user names
  or addresses therefore costs bounded memory; to reset someone else's counter this way they would
  need ``MAX_KEYS`` allowed calls within one period, which the per-address limit makes slow. With
  several processes (``WORKERS``), each counts on its own: the limit is per process.
- With ``REDIS_URL``, in Redis (5 or later), shared by every process that uses it: one Lua script
  checks and charges both counters atomically (EVALSHA, and EVAL when Redis does not have the
  script yet, e.g. after a restart), on Redis's clock, so processes on several hosts enforce one
  limit. Keys are ``KEY_PREFIX`` + method + ``:address:`` or ``:user:``, and expire when their TAT
  passes. One connection pool per process, at most ``REDIS_CONNECTIONS`` connections.

Fail open: if Redis cannot be reached, errs, or takes longer than ``REDIS_TIMEOUT`` (connecting,
waiting for a pooled connection and answering all together), the call is allowed and a warning is
logged, at most once every ``WARNING_INTERVAL`` seconds (and once when Redis answers again). The
limits exist to slow guessing down, and Cognito has its own lockout behind them; refusing every
sign-in because the counters are out of reach would turn a Redis outage into a sign-in outage.
Nothing here ever makes a 5xx.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import logging
import socket
import time
import unicodedata
from typing import Any

from server.config import Config
from server.errors import ApiError
from server.fail_open_redis import WARNING_INTERVAL, FailOpenRedis
from server.metrics import Instruments, instruments
from server.registry import METHODS

log = logging.getLogger("server.rate_limits")

# The in-process store's cap on counters (each about 270 bytes with its key: some 27 MB at the cap).
MAX_KEYS = 100_000
# Expired counters dropped per charge: more than the two a charge can add, so the store shrinks
# back after a burst.
PRUNE_PER_CHARGE = 4
# Seconds Redis gets for one check, all included, before the call is let through.
REDIS_TIMEOUT = 0.5
REDIS_CONNECTIONS = 32
KEY_PREFIX = "cognito-backend:rate-limit:"
# A warning that the limits are not enforced is logged at most this often, in seconds.

MICROSECONDS = 1_000_000
IPV4_MAPPED = bytes(10) + b"\xff\xff"  # ::ffff:a.b.c.d

# KEYS: the counters; ARGV: each one's interval and period, in microseconds. Answers 0 (allowed,
# every counter charged) or the microseconds to wait (nothing charged).
GCRA_SCRIPT = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local wait = 0
local charged = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local period = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key)) or now
  if tat < now then tat = now end
  charged[i] = tat + interval
  if charged[i] - now - period > wait then wait = charged[i] - now - period end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, string.format('%d', charged[i]), 'PX', math.ceil((charged[i] - now) / 1000))
end
return 0
"""
GCRA_SCRIPT_SHA = hashlib.sha1(GCRA_SCRIPT.encode()).hexdigest()

# (interval, period) in microseconds.
Limit = tuple[int, int]


def as_limit(calls_per_seconds: tuple[int, float] | None) -> Limit | None:
    if calls_per_seconds is None:
        return None
    calls, seconds = calls_per_seconds
    period = round(seconds * MICROSECONDS)
    # Rounded down, so that CALLS intervals never add up to more than the period; at least one
    # microsecond (a limit over a million calls a second is that many).
    return max(1, period // calls), period


def address_key(address: str) -> str:
    """What a client address is counted as: itself, or for IPv6 its /64."""
    if ":" not in address:
        return address
    try:
        packed = socket.inet_pton(socket.AF_INET6, address.partition("%")[0])  # without a zone (%eth0)
    except (OSError, ValueError):
        return address[:64]  # not an IP address (a Unix socket peer): counted as it is
    if packed[:12] == IPV4_MAPPED:
        return socket.inet_ntop(socket.AF_INET, packed[12:])
    return socket.inet_ntop(socket.AF_INET6, packed[:8] + bytes(8)) + "/64"


def user_key(user: str) -> str:
    """The user name as counted: stripped, NFKC-normalised and case-folded, hashed to a fixed size."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", user.strip()).casefold())
    name = folded.encode("utf-8", "surrogatepass")
    return hashlib.blake2b(name, digest_size=16).hexdigest()


def retry_after(wait_microseconds: int) -> int:
    """Whole seconds until a call would be allowed, at least 1."""
    return max(1, -(-wait_microseconds // MICROSECONDS))


class LocalCounters:
    """The counters of this process: key -> TAT (microseconds of ``time.monotonic``)."""

    def __init__(self, max_keys: int = MAX_KEYS):
        self.max_keys = max_keys
        self.tats: collections.OrderedDict[str, int] = collections.OrderedDict()
        self._warned_at: float | None = None

    def __len__(self) -> int:
        return len(self.tats)

    async def take(self, keys: list[str], limits: list[Limit]) -> int:
        return self.take_now(time.monotonic_ns() // 1000, keys, limits)

    def take_now(self, now: int, keys: list[str], limits: list[Limit]) -> int:
        """0 and every counter charged, or the microseconds to wait and none charged."""
        tats = self.tats
        wait = 0
        charged = []
        for key, (interval, period) in zip(keys, limits):
            tat = tats.get(key, now)
            if tat < now:
                tat = now
            tat += interval
            if tat - now - period > wait:
                wait = tat - now - period
            charged.append(tat)
        if wait:
            return wait
        for key, tat in zip(keys, charged):
            tats[key] = tat
            tats.move_to_end(key)
        self._prune(now)
        return 0

    def _prune(self, now: int) -> None:
        tats = self.tats
        for _ in range(PRUNE_PER_CHARGE):
            oldest = next(iter(tats), None)
            if oldest is None or tats[oldest] > now:
                break
            del tats[oldest]
        if len(tats) > self.max_keys:
            while len(tats) > self.max_keys:
                tats.popitem(last=False)
            if self._warned_at is None or time.monotonic() - self._warned_at >= WARNING_INTERVAL:
                self._warned_at = time.monotonic()
                log.warning(
                    "The rate-limit counters reached their cap of %d keys: the least recently "
                    "used are forgotten, so those keys start afresh. Many distinct addresses or "
                    "user names are calling; set REDIS_URL to keep every counter.",
                    self.max_keys,
                )

    async def close(self) -> None:
        return None


class RedisCounters:
    """The counters in Redis, shared by every process using it; failing open. A call whose script ran
    before its answer was lost is charged again by the connection's one retry: stricter, not looser."""

    def __init__(self, url: str):
        import redis.exceptions

        self._shared = FailOpenRedis(
            url,
            connections=REDIS_CONNECTIONS,
            timeout=REDIS_TIMEOUT,
            log=log,
            problem="Rate limits are not enforced",
            meanwhile="Calls are allowed until it answers again",
            again="the rate limits are enforced again.",
        )
        self.where = self._shared.where
        self._no_script = redis.exceptions.NoScriptError

    async def take(self, keys: list[str], limits: list[Limit]) -> int:
        arguments: list[str | int] = [KEY_PREFIX + key for key in keys]
        for interval, period in limits:
            arguments += (interval, period)
        try:
            async with asyncio.timeout(REDIS_TIMEOUT):
                try:
                    wait = await self._shared.redis.evalsha(GCRA_SCRIPT_SHA, len(keys), *arguments)
                except self._no_script:
                    wait = await self._shared.redis.eval(GCRA_SCRIPT, len(keys), *arguments)
        except Exception as error:  # whatever it is, the store is out of reach: the call goes on
            self._shared.failed(error)
            return 0
        self._shared.answered()
        return int(wait)

    async def ping(self) -> bool:
        try:
            async with asyncio.timeout(REDIS_TIMEOUT):
                await self._shared.redis.ping()
        except Exception as error:
            self._shared.failed(error)
            return False
        return True

    async def close(self) -> None:
        await self._shared.close()


class RateLimits:
    """The check the dispatcher runs before each method."""

    def __init__(
        self,
        per_address: Limit | None,
        per_user: Limit | None,
        counters: LocalCounters | RedisCounters,
        refusals: Instruments | None = None,
    ):
        self.per_address = per_address
        self.per_user = per_user
        self.counters = counters
        self.refusals = refusals  # where refusals are counted, for /metrics

    @classmethod
    async def start(cls, config: Config) -> RateLimits:
        per_address = as_limit(config.rate_limit_per_address)
        per_user = as_limit(config.rate_limit_per_user)
        if config.redis_url and (per_address or per_user):
            shared = RedisCounters(config.redis_url)
            if await shared.ping():
                log.info("Rate limits are shared through Redis at %s.", shared.where)
            counters: LocalCounters | RedisCounters = shared
        else:
            counters = LocalCounters()
        return cls(per_address, per_user, counters, instruments() if config.metrics else None)

    async def check(self, method: str, address: str, arguments: dict[str, Any]) -> None:
        """Charge this call of ``method`` to its counters, or raise RateLimited when either is full;
        a method the registry does not mark ``rate_limited`` is neither checked nor counted."""
        registered = METHODS.get(method)
        if registered is None or not registered.rate_limited:
            return
        keys: list[str] = []
        limits: list[Limit] = []
        if self.per_address is not None:
            keys.append(f"{method}:address:{address_key(address)}")
            limits.append(self.per_address)
        user = arguments.get("user")
        if self.per_user is not None and isinstance(user, str):
            keys.append(f"{method}:user:{user_key(user)}")
            limits.append(self.per_user)
        if not keys:
            return
        wait = await self.counters.take(keys, limits)
        if wait:
            if self.refusals is not None:
                self.refusals.rate_limited(method)
            raise ApiError("RateLimited", retry_after=retry_after(wait))

    async def close(self) -> None:
        await self.counters.close()

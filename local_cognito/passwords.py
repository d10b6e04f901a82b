"""Password hashes: scrypt at rest, and sign-ins that do not pay scrypt again for a password just checked.

At rest a password is an scrypt hash (n=2^14, r=8, p=1: 16 MiB and some 50 ms of CPU each) with a
salt of its own; the database keeps that hash and nothing else. Checking a password computes scrypt
again, deliberately slowly; paid on every sign-in, one after the other on the local Cognito's one
thread, it held sign-ins to some 20 a second. So:

- A check that succeeded is remembered, in memory only: as HMAC-SHA256 of (stored hash, password)
  under a key drawn at random when the process starts, in a bounded LRU (``REMEMBERED`` entries).
  The same password against the same stored hash then matches with one HMAC instead of scrypt. The
  stored hash stands for the user and their current password (its salt is theirs alone): a changed
  password is a new hash that nothing remembered matches. Without the key an entry tells nothing,
  and it is never written anywhere. A wrong password, or one not checked since the start, still pays
  scrypt in full, and so does any password of an unknown user, checked against a decoy hash, so the
  time taken tells no one which accounts exist. A hash just made for a password is remembered too.
- The scrypt work a request needs (passwords to check, new passwords to hash) is done before its
  transaction begins, in a pool of ``WORKERS`` threads (hashlib's scrypt releases the GIL), while the
  local Cognito's event loop answers other requests (``prepare``; see ``password_work.py`` for what
  each request needs). The operation then runs as it always has and finds the verdicts and hashes
  ready (``matches``, ``hash``). What was not prepared (a call made directly, the local admin at
  start-up, a password changed meanwhile) is computed on the spot.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import concurrent.futures
import dataclasses
import hashlib
import hmac
import secrets
import threading
from typing import Awaitable

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
REMEMBERED = 10_000  # correct (stored hash, password) pairs remembered, least recently used first out
WORKERS = 2  # threads computing scrypt: each takes 16 MiB while it runs


def hash_password(password: str) -> str:
    """A new scrypt hash of ``password``, with a salt of its own (scrypt's full cost)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def scrypt_matches(password: str, stored: str | None) -> bool:
    """Whether ``password`` is the one ``stored`` was made from (scrypt's full cost)."""
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), **_SCRYPT)
    return hmac.compare_digest(candidate, base64.b64decode(digest))


@dataclasses.dataclass
class Work:
    """The scrypt work one request needs: (password, stored hash) pairs to check, new passwords to
    hash, and whether it makes a temporary password of its own (AdminCreateUser without one)."""

    checks: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    new: list[str] = dataclasses.field(default_factory=list)
    temporary: bool = False


@dataclasses.dataclass
class Prepared:
    """The results of one request's ``Work``, computed before its transaction."""

    verdicts: dict[bytes, bool] = dataclasses.field(default_factory=dict)  # by the pair's HMAC
    hashes: dict[str, list[str]] = dataclasses.field(default_factory=dict)  # by password
    temporary: list[str] = dataclasses.field(default_factory=list)


class Passwords:
    """Hashing and checking the pool's passwords (see the module's description)."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)  # this process's alone: remembered pairs die with it
        self._remembered: collections.OrderedDict[bytes, None] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._prepared: Prepared | None = None  # the request being answered now (``use``)

    def _pair(self, stored: str, password: str) -> bytes:
        # Any string, even one scrypt cannot take (a lone surrogate): the operation then fails alone.
        text = stored + "\0" + password
        return hmac.new(self._key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()

    def _remembers(self, pair: bytes) -> bool:
        with self._lock:
            if pair not in self._remembered:
                return False
            self._remembered.move_to_end(pair)
            return True

    def _remember(self, pair: bytes) -> None:
        with self._lock:
            self._remembered[pair] = None
            self._remembered.move_to_end(pair)
            while len(self._remembered) > REMEMBERED:
                self._remembered.popitem(last=False)

    # --- what operations call ------------------------------------------------------------------

    def matches(self, password: str, stored: str | None) -> bool:
        """Whether ``password`` is the one ``stored`` was made from: remembered, prepared, or
        scrypt now."""
        if not stored:
            return False
        pair = self._pair(stored, password)
        if self._remembers(pair):
            return True
        verdict = self._prepared.verdicts.get(pair) if self._prepared is not None else None
        if verdict is None:
            verdict = scrypt_matches(password, stored)
        if verdict:
            self._remember(pair)
        return verdict

    def hash(self, password: str) -> str:
        """A new hash of ``password``: prepared, or scrypt now. The pair is remembered."""
        ready = self._prepared.hashes.get(password) if self._prepared is not None else None
        stored = ready.pop() if ready else hash_password(password)
        self._remember(self._pair(stored, password))
        return stored

    def temporary_password(self) -> str:
        """A random temporary password (within the policy), prepared with its hash if asked for."""
        if self._prepared is not None and self._prepared.temporary:
            return self._prepared.temporary.pop()
        return secrets.token_urlsafe(12)  # 16 characters

    # --- before a request's transaction ------------------------------------------------------------

    def prepare(self, work: Work) -> Awaitable[Prepared] | None:
        """The scrypt work of ``work`` that is not remembered, running in the thread pool: await it
        before the transaction, then ``use`` it. None when there is nothing to compute."""
        checks = [(password, stored, self._pair(stored, password)) for password, stored in work.checks]
        checks = [check for check in checks if not self._remembers(check[2])]
        new = list(work.new)
        temporary = [secrets.token_urlsafe(12)] if work.temporary else []
        if not checks and not new and not temporary:
            return None
        return self._computed(checks, new + temporary, temporary)

    async def _computed(self, checks: list[tuple[str, str, bytes]], new: list[str], temporary: list[str]) -> Prepared:
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(WORKERS, thread_name_prefix="local-cognito-scrypt")
        loop = asyncio.get_running_loop()
        verdicts = [
            loop.run_in_executor(self._executor, scrypt_matches, password, stored) for password, stored, _ in checks
        ]
        hashes = [loop.run_in_executor(self._executor, hash_password, password) for password in new]
        # What fails here (a password scrypt cannot take) is left for the operation to fail on.
        results = await asyncio.gather(*verdicts, *hashes, return_exceptions=True)
        prepared = Prepared(temporary=temporary)
        for (_, _, pair), verdict in zip(checks, results):
            if isinstance(verdict, bool):
                prepared.verdicts[pair] = verdict
        for password, stored in zip(new, results[len(checks) :]):
            if isinstance(stored, str):
                prepared.hashes.setdefault(password, []).append(stored)
        return prepared

    def use(self, prepared: Prepared | None) -> None:
        """The prepared results of the request whose transaction begins now (None once it ends)."""
        self._prepared = prepared

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

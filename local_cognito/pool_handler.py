"""A request to the local pool is one transaction (``transaction.py``), and its answer waits for it.

``PoolHandler`` begins the transaction before the handler runs and ends it in ``finish``, before a
byte of the answer is sent. Before it begins, the request's scrypt work (``password_work``) is done
off the event loop and awaited (``passwords.py``), so the transaction itself never waits: an answer under 500 commits (a refusal too: a wrong code's count is
kept), an answer of 500 or more (the handler failed) rolls back. Cookies set meanwhile are held
until then. When the commit cannot write, the answer prepared is dropped, its cookies with it, and
the handler's ``write_storage_unavailable`` answers instead, with HTTP 503.

``ReadinessHandler`` is the local Cognito's own readiness: 200 while a save would succeed, 503 while
the data folder cannot be written. The server's ``/readyz`` asks it, since the process that runs
the local Cognito is the one that writes the folder (a server that joined it may run elsewhere).
"""

from __future__ import annotations

import json
from typing import Any

import tornado.web

from local_cognito.faults import StorageUnavailable
from local_cognito.passwords import Work
from local_cognito.service import LocalUserPool
from local_cognito.transaction import Transaction

# What a page or an OAuth endpoint says when its changes could not be stored.
UNSAVED = "The sign-in service cannot save changes right now, so nothing was changed. Try again later."


class PoolHandler(tornado.web.RequestHandler):
    """A handler whose request is one transaction of ``self.pool``."""

    pool: LocalUserPool
    _transaction: Transaction | None = None
    _held_cookies: list[tuple[str, str, tuple, dict]]

    async def prepare(self) -> None:
        self._held_cookies = []
        work = self.password_work()
        pending = self.pool.passwords.prepare(work) if work is not None else None
        self.pool.passwords.use(await pending if pending is not None else None)
        self._transaction = self.pool.begin()  # nothing awaits from here to ``finish``

    def password_work(self) -> Work | None:
        """The scrypt work this request needs before its transaction (``password_work.py``)."""
        return None

    def set_cookie(self, name: str, value: Any, *args: Any, **kwargs: Any) -> None:
        if self._transaction is not None:  # sent with the answer, once the changes are stored
            self._held_cookies.append((name, value, args, kwargs))
            return
        super().set_cookie(name, value, *args, **kwargs)

    def finish(self, chunk: Any = None) -> Any:
        transaction, self._transaction = self._transaction, None
        if transaction is not None:
            if self.get_status() >= 500:
                transaction.roll_back()
            else:
                try:
                    transaction.commit()
                except StorageUnavailable as failure:
                    self.clear()
                    self._held_cookies, chunk = [], None
                    self.set_status(failure.status)
                    self.write_storage_unavailable(failure)
            self.pool.passwords.use(None)
            for name, value, args, kwargs in self._held_cookies:
                super().set_cookie(name, value, *args, **kwargs)
        return super().finish(chunk)

    def write_storage_unavailable(self, failure: StorageUnavailable) -> None:
        """Write (not finish) this endpoint's answer to a commit that could not be written."""
        raise NotImplementedError


class ReadinessHandler(tornado.web.RequestHandler):
    def initialize(self, pool: LocalUserPool) -> None:
        self.pool = pool

    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        problem = self.pool.store.write_problem()
        if problem is None:
            self.finish(json.dumps({"status": "ready"}))
            return
        self.set_status(503)
        self.finish(
            json.dumps(
                {
                    "status": "unwritable",
                    "message": "The local Cognito cannot save to its data "
                    f"folder {self.pool.store.folder} ({problem.strerror or problem}).",
                }
            )
        )

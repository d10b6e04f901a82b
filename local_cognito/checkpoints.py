"""Moving the database's write-ahead log into the database file, on a thread of its own.

In WAL mode a commit appends the pages it changed to ``pool.sqlite3-wal``; a checkpoint copies them
back into the database file and syncs it. SQLite runs one itself, by default in the commit that takes
the log past 1,000 pages, so every few hundred sign-ins one of them paid for copying all those pages
(and the syncs) while the local Cognito's event loop waited. In a large pool the pages a sign-in
changes are scattered (a new refresh token goes into indexes by random keys), so each checkpoint
has more of them to copy: with 200,000 refresh tokens, it roughly doubled a commit's average time.

So a ``Checkpointer`` thread, with a connection of its own, runs a PASSIVE checkpoint every
``INTERVAL`` seconds: it copies what it can without waiting for, or holding up, the writer (SQLite
lets a checkpoint and a write run at once). The commits themselves only append to the log.
SQLite's own checkpoint stays on as a backstop at ``BACKSTOP_PAGES`` (about 40 MB of log), should
this thread ever fall behind. Nothing about durability changes: a commit is in the log when it
returns, whoever copies it later.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading

INTERVAL = 0.5  # seconds between checkpoints
BACKSTOP_PAGES = 10_000  # the writer's own checkpoint (``PRAGMA wal_autocheckpoint``), if this one falls behind


class Checkpointer:
    """Checkpoints the database at ``path`` until ``stop`` (called when its ``Database`` is closed
    or collected)."""

    def __init__(self, path: str) -> None:
        self._stopped = threading.Event()
        self._connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._thread = threading.Thread(target=self._run, name="local-cognito-checkpoints", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stopped.wait(INTERVAL):
                # A failure (a full disk, a folder moved away) leaves the log as it is: the commits
                # report their own failures, and the writer's backstop checkpoint retries.
                with contextlib.suppress(sqlite3.Error):
                    self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            self._connection.close()

    def stop(self, wait: bool = True) -> None:
        """Stop after the checkpoint under way, if any (``wait``: until then); the connection
        closes with the thread."""
        self._stopped.set()
        if wait and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)

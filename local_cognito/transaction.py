"""All or nothing: the one place where the local pool's changes are kept or undone, and where its
database's transactions begin (BEGIN IMMEDIATE), commit and roll back.

An operation reads the records it needs from the database (``tables.py``, ``user_table.py``),
changes them in memory, and asks for its changes to be kept with ``pool.save()``. Within a
transaction (``pool.begin()``; ``with pool.transaction():``) that only notes that there is something
to keep, and the emails the operation sends (``pool.send_email``) wait. ``commit`` then, in one
database transaction:

- writes each record that changed, and only those (a record read is compared with its row);
- counts the change (so a save writes, whatever it changed: a code request for an unknown user
  writes as much as one for a user), and at most once every ``PRUNE_SECONDS`` deletes a batch of
  expired refresh tokens and codes (``PRUNE_BATCH`` of each: a bounded cost);
- checks that the database is still the one at the data folder's path (a folder moved away keeps the
  open file writable, but the next start would not find what was written there);
- commits, which with ``synchronous=FULL`` returns once the change is on disk.

Only when that has succeeded are the emails "sent" (logged), and only then does the HTTP side answer
(``pool_handler.py``: one transaction per request). So nothing is answered, and no code is emailed,
for a change that is not stored. A query made after a change (the tokens of a family, a user by
email) writes the changes so far within the same database transaction first (``begin_writing``), so
the database answers it as memory would.

When the write fails (the data folder cannot be written), the transaction rolls back: the database
transaction (ROLLBACK), the records read (forgotten: the next transaction reads them again), what is
kept in memory only (sign-in challenges; the hosted UI's authorization codes, spent codes and
sessions: put back from copies taken when the transaction began), and the emails it was to send
(dropped). ``commit`` then raises ``StorageUnavailable``, which the endpoint answers with HTTP 503.
A handler that fails (an answer of 500) rolls its transaction back too.

Outside a transaction, as when a test calls an operation directly, each ``save()`` commits at once.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import sqlite3
import time
from typing import TYPE_CHECKING, Any, Iterator

from local_cognito.faults import StorageUnavailable

if TYPE_CHECKING:
    from local_cognito.database import Database
    from local_cognito.pool import UserPool

log = logging.getLogger("local_cognito")
mail_log = logging.getLogger("local_cognito.mail")

# The pool's records that are never saved (a restart forgets them): put back from copies.
MEMORY_ONLY = ("auth_sessions", "authorization_codes", "spent_codes", "hosted_sessions")
PRUNE_SECONDS = 60  # at most this often, a commit also deletes expired refresh tokens and codes
PRUNE_BATCH = 500  # of each, at most, in one commit


def begin_writing(db: Database) -> None:
    """Begin the database's write transaction, unless one is open."""
    if not db.in_transaction:
        db.execute("BEGIN IMMEDIATE")


def roll_back_writing(db: Database) -> None:
    if db.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")


@contextlib.contextmanager
def written(db: Database) -> Iterator[None]:
    """The block's writes to ``db`` in one transaction, committed at its end, or rolled back (and
    OSError raised) if they cannot be: for the database's own set-up (the schema, a new pool's ids,
    the records of a state file moved in)."""
    begin_writing(db)
    try:
        yield
        db.execute("COMMIT")
    except sqlite3.Error as error:
        roll_back_writing(db)
        raise db.os_error(error) from None
    except BaseException:
        roll_back_writing(db)
        raise


class Transaction:
    """One operation's (or one request's) changes to ``pool``, until ``commit`` or ``roll_back``."""

    def __init__(self, pool: UserPool) -> None:
        self.pool = pool
        self.changed = False  # the operation saved: there is something to write
        self.emails: list[tuple[str, tuple[Any, ...]]] = []  # (format, arguments), sent on commit
        # Each record copied: challenges and sessions are changed in place (failures, expiry).
        self._memory_only = {
            name: {key: copy.copy(record) for key, record in getattr(pool, name).items()} for name in MEMORY_ONLY
        }

    def commit(self) -> None:
        """Write what changed if the operation saved, then send its emails. If the write fails:
        roll back, and raise StorageUnavailable."""
        self._close()
        pool, db = self.pool, self.pool.db
        try:
            if pool.records.flush() or self.changed or db.in_transaction:
                begin_writing(db)
                db.count_change()
                if time.monotonic() >= pool.next_prune:
                    pool.next_prune = time.monotonic() + PRUNE_SECONDS
                    db.prune(pool.clock(), PRUNE_BATCH)
                pool.store.check_database_in_place()
                db.execute("COMMIT")
        except (OSError, sqlite3.Error) as failure:
            error = failure if isinstance(failure, OSError) else db.os_error(failure)
            self._undo()
            log.error(
                "The local Cognito cannot save to its data folder %s (%s): the operation's changes were rolled back.",
                pool.store.folder,
                error,
            )
            raise StorageUnavailable(pool.store.folder, error) from None
        pool.records.forget()
        for text, arguments in self.emails:
            mail_log.warning(text, *arguments)

    def roll_back(self) -> None:
        """Put memory back as it was when the transaction began; send no email."""
        self._close()
        self._undo()

    def _close(self) -> None:
        if self.pool.open_transaction is not self:
            raise RuntimeError("this transaction has already ended")
        self.pool.open_transaction = None

    def _undo(self) -> None:
        roll_back_writing(self.pool.db)
        self.pool.records.forget()
        for name, records in self._memory_only.items():
            setattr(self.pool, name, records)
        self.emails.clear()

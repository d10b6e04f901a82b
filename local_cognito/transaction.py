"""All or nothing: the one place where an operation's changes to the local pool are kept or undone.

An operation changes the pool in memory, and asks for its changes to be kept with ``pool.save()``.
Within a transaction (``pool.begin()``; ``with pool.transaction():``) that only notes that there is
something to keep, and the emails the operation sends (``pool.send_email``) wait. ``commit`` then
writes the state file once; only when the write has succeeded are the emails "sent" (logged), and
only then does the HTTP side answer (``pool_handler.py``: one transaction per request). So nothing
is answered, and no code is emailed, for a change that is not stored.

When the write fails (the data folder cannot be written), the transaction rolls back, and memory is
as it was when the transaction began:

- what the state file holds (users and moto's records of them, groups, pending codes, refresh
  tokens, TOTP secrets, temporary passwords) is loaded again from the text last written, which the
  store keeps (``StateFile.committed``). That is memory as it was: every change to those records is
  made by an operation that saves, so between transactions memory and that text agree. (A change
  made without a save would be lost at the next restart anyway.)
- what is kept in memory only (sign-in challenges; the hosted UI's authorization codes, spent codes
  and sessions) is put back from the copies taken when the transaction began;
- the emails it was to send are dropped.

and ``commit`` raises ``StorageUnavailable``, which the endpoint answers with HTTP 503. A handler
that fails (an answer of 500) rolls its transaction back too, whatever it had changed.

Outside a transaction, as when a test calls an operation directly, each ``save()`` commits at once.
If the state moves to a database, its BEGIN, COMMIT and ROLLBACK belong here and nowhere else.
"""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING, Any

from local_cognito.faults import StorageUnavailable
from local_cognito.state import load_records, state_of

if TYPE_CHECKING:
    from local_cognito.pool import UserPool

log = logging.getLogger("local_cognito")
mail_log = logging.getLogger("local_cognito.mail")

# The pool's records that are never saved (a restart forgets them): put back from copies.
MEMORY_ONLY = ("auth_sessions", "authorization_codes", "spent_codes", "hosted_sessions")


class Transaction:
    """One operation's (or one request's) changes to ``pool``, until ``commit`` or ``roll_back``."""

    def __init__(self, pool: UserPool) -> None:
        self.pool = pool
        self.changed = False  # the operation saved: there is something to write
        self.emails: list[tuple[str, tuple[Any, ...]]] = []  # (format, arguments), sent on commit
        # Each record copied: challenges and sessions are changed in place (failures, expiry).
        self._memory_only = {name: {key: copy.copy(record) for key, record in getattr(pool, name).items()}
                             for name in MEMORY_ONLY}

    def commit(self) -> None:
        """Write the state if the operation saved, then send its emails. If the write fails: roll
        back, and raise StorageUnavailable."""
        self._close()
        if self.changed:
            try:
                self.pool.write_state()
            except OSError as error:
                self._undo()
                log.error("The local Cognito cannot save to its data folder %s (%s): the operation's "
                          "changes were rolled back.", self.pool.store.folder, error)
                raise StorageUnavailable(self.pool.store.folder, error) from None
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
        load_records(self.pool, self.pool.store.committed_state())
        for name, records in self._memory_only.items():
            setattr(self.pool, name, records)
        self.emails.clear()


def write(pool: UserPool, now: float) -> None:
    """Write the pool's state file (OSError if it cannot), forgetting expired codes and refresh
    tokens first."""
    pool.codes = {k: v for k, v in pool.codes.items() if v["expires"] > now}
    pool.refresh_tokens = {k: v for k, v in pool.refresh_tokens.items() if v["expires"] > now}
    pool.store.save(state_of(pool))

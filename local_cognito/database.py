"""The local Cognito's database: ``pool.sqlite3`` in its data folder, SQLite in WAL mode.

It holds the pool's records, one row each, so a change writes only the rows it changes and a
lookup reads only the rows it needs, however large the pool (``tables.py`` and ``user_table.py``
read and write them):

- ``meta``: the schema's version, the pool id, the app client's id and secret, and ``changes``, the
  number of transactions that wrote;
- ``users`` (by ``sub``; the folded email and the creation time indexed, for sign-in and ListUsers),
  ``groups`` and ``memberships``;
- ``codes`` (pending confirmation and reset codes), ``refresh_tokens`` (by SHA-256; indexed by user,
  by family, the ``origin_jti`` of its sign-in, and by expiry), ``software_tokens`` (TOTP secrets and
  MFA settings) and ``temporary_passwords`` (when an admin-set password expires);
  ``webauthn_credentials`` (passkeys, by credential id; indexed by user) and ``devices`` (remembered
  devices, by device key; indexed by user), added to an older database when it is opened (``ADDED``).

A record's fields are a JSON text, the fields a lookup needs columns beside it. Every write happens in
a transaction that ``transaction.py`` begins, commits or rolls back (the schema's too). In WAL mode
with ``synchronous=NORMAL`` a commit has been written to the log when it returns, so what was
answered survives a kill -9; the log is synced to disk at each checkpoint (``checkpoints.py``), so
the machine losing power may lose the last commits, but never leaves a damaged database (SQLite's
documentation of PRAGMA synchronous). The file (and the WAL and shared-memory files SQLite makes beside it, with its mode)
is readable by its owner only.

SQLite's own failures become OSError here (``os_error``), naming what the data folder's probe finds
wrong when it finds something (a full disk, a file-size limit), as the rest of the local Cognito
expects of a data folder that cannot be written.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sqlite3
import threading
import time
import weakref
from typing import Any, Iterator

from local_cognito.checkpoints import BACKSTOP_PAGES, Checkpointer
from local_cognito.store import DataFolder
from local_cognito.transaction import written

log = logging.getLogger("local_cognito")

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE users (sub TEXT PRIMARY KEY, email_key TEXT NOT NULL, created REAL NOT NULL, record TEXT NOT NULL);
CREATE INDEX users_by_email ON users (email_key);
CREATE INDEX users_in_order ON users (created, sub);
CREATE TABLE groups (name TEXT PRIMARY KEY, created REAL NOT NULL, record TEXT NOT NULL);
CREATE TABLE memberships (sub TEXT NOT NULL, group_name TEXT NOT NULL, PRIMARY KEY (sub, group_name)) WITHOUT ROWID;
CREATE TABLE codes (key TEXT PRIMARY KEY, sub TEXT NOT NULL, expires REAL NOT NULL, record TEXT NOT NULL);
CREATE INDEX codes_by_sub ON codes (sub);
CREATE INDEX codes_by_expiry ON codes (expires);
CREATE TABLE refresh_tokens (key TEXT PRIMARY KEY, sub TEXT NOT NULL, family TEXT NOT NULL,
                             expires REAL NOT NULL, record TEXT NOT NULL);
CREATE INDEX refresh_tokens_by_sub ON refresh_tokens (sub);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires);
CREATE TABLE software_tokens (key TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE temporary_passwords (key TEXT PRIMARY KEY, record TEXT NOT NULL);
"""
# Tables added since schema 1: made in a database that lacks them, whenever it is opened.
ADDED = {
    "webauthn_credentials": """
CREATE TABLE webauthn_credentials (key TEXT PRIMARY KEY, sub TEXT NOT NULL, record TEXT NOT NULL);
CREATE INDEX webauthn_credentials_by_sub ON webauthn_credentials (sub);
""",
    "devices": """
CREATE TABLE devices (key TEXT PRIMARY KEY, sub TEXT NOT NULL, record TEXT NOT NULL);
CREATE INDEX devices_by_sub ON devices (sub);
""",
}
MMAP_BYTES = 1 << 30  # the most of the file SQLite reads through a memory map (address space, not memory)
# The records that expire, pruned a batch at a time (see ``prune``).
EXPIRING = ("refresh_tokens", "codes")


class DatabaseUnreadable(Exception):
    """The file is not a database this version can use (damaged, or not SQLite at all)."""


class Database:
    """The open database of a data folder; one connection, shared by the threads that use it (the
    local Cognito's, and tests reading it), one statement at a time."""

    def __init__(self, folder: DataFolder, path: str | None = None, *, durable: bool = True) -> None:
        self.folder = folder
        self.path = path or folder.path
        self._lock = threading.RLock()
        self._checkpointer: Checkpointer | None = None
        try:
            with contextlib.suppress(FileExistsError):  # made first, so SQLite's files take its mode
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            self.connection = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, cached_statements=256
            )
        except sqlite3.Error as error:
            raise self.os_error(error) from None
        try:
            self._set_up(durable)
        except sqlite3.OperationalError as error:  # I/O, a full disk, a lock...
            self.connection.close()
            raise self.os_error(error) from None
        except sqlite3.DatabaseError as error:  # not a database, or a damaged one
            self.connection.close()
            raise DatabaseUnreadable(str(error)) from None
        except BaseException:
            self.connection.close()
            raise

    def _set_up(self, durable: bool) -> None:
        execute = self.connection.execute
        if durable:
            if execute("PRAGMA journal_mode=WAL").fetchone()[0] != "wal":
                raise sqlite3.OperationalError("WAL mode is not available")
        else:  # a database being filled before it is put in place (migration.py)
            execute("PRAGMA journal_mode=DELETE")
        execute("PRAGMA synchronous=NORMAL")
        execute("PRAGMA secure_delete=FAST")  # deleted records are overwritten where that costs nothing
        execute("PRAGMA cache_size=-32768")  # 32 MiB: a large pool's indexes stay in memory
        # Pages read straight from the OS's cache of the file, not copied in by a read() each: in a
        # large pool a sign-in's new refresh token lands on index pages scattered over the file.
        execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        if not execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone():
            with written(self):
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        execute(statement)
                execute("INSERT INTO meta VALUES ('schema', ?), ('changes', 0)", (SCHEMA_VERSION,))
        version = self.meta("schema")
        if version != SCHEMA_VERSION:
            raise OSError(
                errno.EPROTO,
                f"{os.path.basename(self.path)} is a database of another version of "
                f"the local Cognito (schema {version}, not {SCHEMA_VERSION})",
            )
        for table, statements in ADDED.items():
            if not execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone():
                with written(self):
                    for statement in statements.split(";"):
                        if statement.strip():
                            execute(statement)
        if self.path == self.folder.path:
            found = os.stat(self.path)
            self.folder.database_identity = (found.st_dev, found.st_ino)
        if durable:  # checkpoints off the thread that commits (``checkpoints.py``)
            execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
            self._checkpointer = Checkpointer(self.path)
            weakref.finalize(self, self._checkpointer.stop, False)

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        with self._lock:
            self.connection.close()

    # --- statements ----------------------------------------------------------------------------

    def execute(self, statement: str, parameters: tuple | list = ()) -> sqlite3.Cursor:
        with self._lock:
            return self.connection.execute(statement, parameters)

    def executemany(self, statement: str, rows: Any) -> None:
        with self._lock:
            self.connection.executemany(statement, rows)

    def one(self, statement: str, parameters: tuple | list = ()) -> tuple | None:
        with self._lock:
            return self.connection.execute(statement, parameters).fetchone()

    def all(self, statement: str, parameters: tuple | list = ()) -> list[tuple]:
        with self._lock:
            return self.connection.execute(statement, parameters).fetchall()

    def rows(self, statement: str, parameters: tuple | list = (), batch: int = 500) -> Iterator[tuple]:
        """The rows of a query, fetched a batch at a time (a large table is never read whole)."""
        with self._lock:
            cursor = self.connection.execute(statement, parameters)
        while True:
            with self._lock:
                found = cursor.fetchmany(batch)
            if not found:
                return
            yield from found

    @property
    def in_transaction(self) -> bool:
        return self.connection.in_transaction

    # --- the pool's settings and counters ------------------------------------------------------

    def meta(self, name: str) -> Any:
        found = self.one("SELECT value FROM meta WHERE name = ?", (name,))
        return found[0] if found else None

    def set_meta(self, name: str, value: Any) -> None:
        self.execute(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value", (name, value)
        )

    def count_change(self) -> None:
        """One more transaction that wrote: every saved change writes, whatever it changed."""
        self.execute("UPDATE meta SET value = value + 1 WHERE name = 'changes'")

    def changes(self) -> int:
        """How many transactions have written, since the database was made."""
        return int(self.meta("changes"))

    def prune(self, now: float, batch: int) -> int:
        """Delete at most ``batch`` expired records of each kind that expires; how many went."""
        pruned = 0
        for table in EXPIRING:
            pruned += self.execute(
                f"DELETE FROM {table} WHERE rowid IN "  # noqa: S608 (names above)
                f"(SELECT rowid FROM {table} WHERE expires <= ? LIMIT ?)",
                (now, batch),
            ).rowcount
        return pruned

    # --- failures ------------------------------------------------------------------------------

    def os_error(self, error: sqlite3.Error) -> OSError:
        """SQLite's failure as the OSError the data folder's probe finds (which names the cause
        SQLite does not), or one with SQLite's own message."""
        problem = self.folder.write_problem()
        if problem is not None:
            return problem
        return OSError(errno.EIO, f"{os.path.basename(self.path)}: {error}")


def keep_aside(path: str, why: str) -> str:
    """Rename ``path`` (never delete it) out of the way; the name it now has."""
    kept = f"{path}.{why}-{int(time.time())}"
    os.replace(path, kept)
    return kept

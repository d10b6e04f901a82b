"""A data folder that cannot be written, for a while, whoever the tests run as.

``chmod`` does not stop root, and the tests may run as root. So the folder is moved aside and a
plain file put at its path: every file under that path (a readiness probe, ``running.json``) then
fails with ENOTDIR, for root as for anyone, with no mount and no special file system. Files opened
before (the lock on ``running.lock``, the database) stay open: the local Cognito finds its database
no longer at its path, and writes nothing. Leaving the block puts the folder back as it was.

The database the local Cognito keeps there can be read from the tests as another process would
(``database_rows``), or as bytes (``database_bytes``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from typing import Iterator


@contextlib.contextmanager
def unwritable(folder: str) -> Iterator[None]:
    aside = f"{folder}.aside"
    os.rename(folder, aside)
    try:
        with open(folder, "w", encoding="utf-8") as blocker:
            blocker.write("not a folder\n")
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(folder)
        os.rename(aside, folder)


def database_files(folder: str) -> list[str]:
    """The local Cognito's database in ``folder``: its file, and the WAL and shared-memory files
    SQLite keeps beside it while it is open."""
    return sorted(os.path.join(folder, name) for name in os.listdir(folder) if name.startswith("pool.sqlite3"))


def database_bytes(folder: str) -> bytes:
    """Every byte the database's files hold, for what must not be in them."""
    content = b""
    for path in database_files(folder):
        with open(path, "rb") as handle:
            content += handle.read()
    return content


def database_rows(folder: str, query: str, parameters: tuple = ()) -> list[tuple]:
    """The rows of ``query`` on the database in ``folder``, read as another process would."""
    connection = sqlite3.connect(f"file:{os.path.join(folder, 'pool.sqlite3')}?mode=ro", uri=True)
    try:
        return connection.execute(query, parameters).fetchall()
    finally:
        connection.close()

"""The photo records (owner, description, time, type, size): one interface, two stores.

- ``SqlitePhotoRecords``, the default: rows of one SQLite file under ``PHOTOS_DATA``, so they
  survive a restart, and several processes on one machine share them (WAL mode). SQLite is blocking
  I/O: it runs on a thread of its own, and the IOLoop only awaits.
- ``PostgresPhotoRecords`` (``server.photo_records_postgres``), with ``PHOTOS_DATABASE_URL``: rows of
  a PostgreSQL table shared by every server that uses the database, so servers on several machines
  list the same photos.

Either answers the same records in the same order (newest first; photos made in the same instant in
the order they were added), and a store that cannot be used answers ``StorageUnavailable``, whatever
the reason, never anything else. ``open_photo_records`` picks the one the configuration asks for.
"""

from __future__ import annotations

import abc
import asyncio
import concurrent.futures
import dataclasses
import logging
import os
import sqlite3
from typing import Any

from server.config import Config
from server.errors import ApiError

log = logging.getLogger("server.photos")

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS photos (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at REAL NOT NULL,
    content_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS photos_by_owner ON photos (owner, created_at DESC);
"""


@dataclasses.dataclass(frozen=True)
class PhotoRecord:
    id: str
    owner: str
    description: str
    created_at: float  # seconds since the epoch
    content_type: str
    width: int
    height: int
    size: int


class PhotoRecords(abc.ABC):
    """Where the photo records are kept. Every method raises ApiError("StorageUnavailable") when the
    store cannot be used."""

    async def start(self) -> None:  # noqa: B027 (optional: a store with nothing to ready keeps it)
        """Ready the store (its schema) before the server serves."""

    @abc.abstractmethod
    async def add(self, record: PhotoRecord) -> None: ...

    @abc.abstractmethod
    async def of_owner(self, owner: str) -> list[PhotoRecord]:
        """Newest first."""

    @abc.abstractmethod
    async def find(self, owner: str, photo_id: str) -> PhotoRecord | None: ...

    @abc.abstractmethod
    async def delete(self, owner: str, photo_id: str) -> None:
        """Remove the record, if there is one."""

    async def get(self, owner: str, photo_id: str) -> PhotoRecord:
        """The owner's photo; PhotoNotFound for an unknown id and for another owner's photo alike."""
        record = await self.find(owner, photo_id)
        if record is None:
            raise ApiError("PhotoNotFound")
        return record

    async def problem(self) -> str | None:
        """For /readyz: None while the store can be used, else the error code that says it cannot.
        A store on this machine's disk has nothing to ask: its failures are the machine's."""
        return None

    @abc.abstractmethod
    async def close(self) -> None: ...


class SqlitePhotoRecords(PhotoRecords):
    """The SQLite table of photos, used from one thread of its own."""

    def __init__(self, path: str):
        self._path = path
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="photo-records")
        self._db: sqlite3.Connection | None = None

    async def _run(self, work, *args) -> Any:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, work, *args)
        except (sqlite3.Error, OSError):
            log.exception("photo records at %s failed", self._path)
            raise ApiError("StorageUnavailable") from None

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            os.makedirs(os.path.dirname(self._path), mode=0o700, exist_ok=True)
            db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA busy_timeout = 5000")
            db.execute("PRAGMA journal_mode = WAL")
            db.executescript(SQLITE_SCHEMA)
            self._db = db
        return self._db

    async def add(self, record: PhotoRecord) -> None:
        def insert() -> None:
            self._connection().execute(
                "INSERT INTO photos VALUES (?, ?, ?, ?, ?, ?, ?, ?)", dataclasses.astuple(record)
            )

        await self._run(insert)

    async def of_owner(self, owner: str) -> list[PhotoRecord]:
        def select() -> list[PhotoRecord]:
            rows = self._connection().execute(
                "SELECT * FROM photos WHERE owner = ? ORDER BY created_at DESC, rowid DESC", (owner,)
            )
            return [PhotoRecord(*row) for row in rows]

        return await self._run(select)

    async def find(self, owner: str, photo_id: str) -> PhotoRecord | None:
        def select() -> tuple | None:
            return (
                self._connection()
                .execute("SELECT * FROM photos WHERE owner = ? AND id = ?", (owner, photo_id))
                .fetchone()
            )

        row = await self._run(select)
        return None if row is None else PhotoRecord(*row)

    async def delete(self, owner: str, photo_id: str) -> None:
        def remove() -> None:
            self._connection().execute("DELETE FROM photos WHERE owner = ? AND id = ?", (owner, photo_id))

        await self._run(remove)

    async def close(self) -> None:
        def disconnect() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        await asyncio.get_running_loop().run_in_executor(self._executor, disconnect)
        self._executor.shutdown(wait=True)


async def open_photo_records(config: Config) -> PhotoRecords:
    """The record store the configuration asks for, started."""
    if config.photos_database_url:
        from server.photo_records_postgres import PostgresPhotoRecords  # asyncpg: only when used

        records: PhotoRecords = PostgresPhotoRecords(config.photos_database_url, config.photos_database_connections)
    else:
        records = SqlitePhotoRecords(os.path.join(config.photos_dir, "photos.sqlite3"))
    await records.start()
    return records

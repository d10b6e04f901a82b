"""Photo records in PostgreSQL (``PHOTOS_DATABASE_URL``): one table that every server using the
database shares, so servers on several machines list, read and delete the same photos.

The schema is made, or brought up to date, at start-up by ``MIGRATIONS``, each applied once: the
table ``photos_schema`` lists the versions applied. Servers starting together take turns, through a
transaction-level advisory lock taken before anything else, so two never create the same table at
once; a server finding everything applied changes nothing. A database whose schema is newer than
this server knows (a newer server migrated it first) is used as it is, with a warning: migrations
only add.

Each process keeps a pool of at most ``PHOTOS_DATABASE_CONNECTIONS`` connections, opened when needed
and closed after ``IDLE_SECONDS`` unused. A connection that the database closed (a restart, a
failover) is replaced at its next use, so the server carries on once the database is back, with no
restart of its own. While it cannot be used (down, unreachable, slower than ``COMMAND_TIMEOUT``),
every call answers 503 ``StorageUnavailable``, ``/readyz`` says the same, and the log says so once
(then at most every ``WARNING_INTERVAL`` seconds, and once more when it answers again).

At start-up, a database that cannot be reached does not stop the server (sign-in works without it):
its schema is made at the first call that reaches it. One that refuses the URL itself (the user or
password, a database that does not exist, no right to create the tables, a certificate that does
not verify) stops start-up, with a message naming PHOTOS_DATABASE_URL but never its password.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import ssl
import time
import urllib.parse
from typing import Any, Awaitable, Callable

import asyncpg

from server.errors import ApiError
from server.photo_records import PhotoRecord, PhotoRecords
from server.settings import ConfigError

log = logging.getLogger("server.photos")

# Seconds to open a connection, unless the URL's connect_timeout (libpq's name) says otherwise.
DEFAULT_CONNECT_TIMEOUT = 5.0
# Seconds one statement may take; also the most a call waits for a free connection of the pool.
COMMAND_TIMEOUT = 5.0
IDLE_SECONDS = 300.0
WARNING_INTERVAL = 30.0
# The advisory lock that migrations take: one 64-bit number for this schema in the whole database
# ("photos" in ASCII, then 1).
MIGRATION_LOCK = 0x70686F746F730001

SCHEMA_TABLE = """
CREATE TABLE IF NOT EXISTS photos_schema (
    version integer PRIMARY KEY,
    description text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""

# (version, what it does, SQL), in order. Never edit one that has shipped: add the next.
MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "the photos table",
        """
CREATE TABLE photos (
    id text PRIMARY KEY,
    owner text NOT NULL,
    description text NOT NULL,
    created_at timestamptz NOT NULL,
    content_type text NOT NULL,
    width integer NOT NULL,
    height integer NOT NULL,
    size integer NOT NULL,
    -- The order photos were added in: ties of created_at are listed newest first too.
    added bigint GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX photos_by_owner ON photos (owner, created_at DESC, added DESC);
""",
    ),
)

COLUMNS = "id, owner, description, created_at, content_type, width, height, size"

# What says that the URL itself is wrong, rather than that the database is away for now.
REFUSED = (
    asyncpg.InvalidAuthorizationSpecificationError,
    asyncpg.InvalidCatalogNameError,
    asyncpg.InsufficientPrivilegeError,
    asyncpg.ClientConfigurationError,
    ssl.SSLCertVerificationError,
)
# A pooled connection found dead when used (the database restarted or failed over while it sat idle,
# and nothing told this process): a read is tried once more, on a new connection.
LOST = (asyncpg.PostgresConnectionError, asyncpg.AdminShutdownError, ConnectionResetError, BrokenPipeError)
# What a database that cannot be used raises: its own errors, a lost or refused connection, a timeout.
UNAVAILABLE = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
    asyncio.TimeoutError,
)


def connection_settings(url: str) -> tuple[str, float, str]:
    """The URL for asyncpg, its connect timeout, and where it points for messages (host, port and
    database, never the user or password). asyncpg would send an unknown parameter such as
    connect_timeout to the server as a setting, which the server refuses: it is taken out here."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    timeout = float(dict(query).get("connect_timeout") or DEFAULT_CONNECT_TIMEOUT)
    kept = urllib.parse.urlencode([(name, value) for name, value in query if name != "connect_timeout"])
    hosts = parts.netloc.rpartition("@")[2] or dict(query).get("host") or "localhost"
    where = f"{hosts}{parts.path or '/'}"
    return urllib.parse.urlunsplit(parts._replace(query=kept)), timeout, where


async def migrate(connection: asyncpg.Connection) -> tuple[list[int], int]:
    """Apply the migrations this database lacks, in one transaction under the advisory lock: the
    versions applied now, and the newest version the database has."""
    applied_now: list[int] = []
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await connection.execute(SCHEMA_TABLE)
        done = {row["version"] for row in await connection.fetch("SELECT version FROM photos_schema")}
        for version, description, sql in MIGRATIONS:
            if version in done:
                continue
            await connection.execute(sql)
            await connection.execute(
                "INSERT INTO photos_schema (version, description) VALUES ($1, $2)", version, description
            )
            applied_now.append(version)
            done.add(version)
    return applied_now, max(done)


def _record(row: asyncpg.Record) -> PhotoRecord:
    return PhotoRecord(
        id=row["id"],
        owner=row["owner"],
        description=row["description"],
        created_at=row["created_at"].timestamp(),
        content_type=row["content_type"],
        width=row["width"],
        height=row["height"],
        size=row["size"],
    )


class _Outage:
    """Says in the log that the database cannot be used: at the first failure, then at most every
    WARNING_INTERVAL seconds while it lasts, and once when a call succeeds again."""

    def __init__(self, where: str):
        self.where = where
        self.failures = 0
        self.last_warning = 0.0

    def failed(self, error: BaseException) -> None:
        self.failures += 1
        now = time.monotonic()
        if self.failures == 1 or now - self.last_warning >= WARNING_INTERVAL:
            self.last_warning = now
            log.error(
                "PostgreSQL at %s cannot be used (%s: %s): photos answer 503 StorageUnavailable (%d calls so far).",
                self.where,
                type(error).__name__,
                error,
                self.failures,
            )

    def recovered(self) -> None:
        if self.failures:
            log.info("PostgreSQL at %s answers again, after %d failed calls.", self.where, self.failures)
            self.failures = 0


class PostgresPhotoRecords(PhotoRecords):
    """The photos table of a PostgreSQL database, through a pool of asyncpg connections."""

    def __init__(self, url: str, max_connections: int):
        self._url, self._connect_timeout, self.where = connection_settings(url)
        self._max_connections = max_connections
        self._pool: asyncpg.Pool | None = None
        self._schema_ready = False
        self._schema_lock = asyncio.Lock()
        self._outage = _Outage(self.where)

    async def start(self) -> None:
        # No connection is opened here (min_size 0): the schema check below opens the first.
        self._pool = await asyncpg.create_pool(
            self._url,
            min_size=0,
            max_size=self._max_connections,
            max_inactive_connection_lifetime=IDLE_SECONDS,
            timeout=self._connect_timeout,
            command_timeout=COMMAND_TIMEOUT,
        )
        try:
            await self._ensure_schema()
        except REFUSED as error:
            await self.close()
            raise ConfigError(
                f"PHOTOS_DATABASE_URL: PostgreSQL at {self.where} refused it ({type(error).__name__}: {error})."
            ) from None
        except ValueError as error:  # a URL that asyncpg cannot read (an unknown sslmode, say)
            await self.close()
            raise ConfigError(f"PHOTOS_DATABASE_URL cannot be used: {error}.") from None
        except UNAVAILABLE as error:
            log.warning(
                "PostgreSQL at %s cannot be reached now (%s: %s): photos answer 503 "
                "StorageUnavailable, and /readyz too, until it can; its schema is checked then.",
                self.where,
                type(error).__name__,
                error,
            )
            self._outage.failures = 1
            self._outage.last_warning = time.monotonic()

    async def _ensure_schema(self) -> None:
        async with self._schema_lock:  # one migration at a time from this process
            if self._schema_ready:
                return
            assert self._pool is not None
            async with self._pool.acquire(timeout=self._connect_timeout + COMMAND_TIMEOUT) as connection:
                applied, newest = await migrate(connection)
            self._schema_ready = True
        if applied:
            log.info("PostgreSQL at %s: photo records schema brought to version %d.", self.where, applied[-1])
        known = MIGRATIONS[-1][0]
        if newest > known:
            log.warning(
                "PostgreSQL at %s: the photo records schema is at version %d, newer than this "
                "server's %d (a newer server migrated it); carrying on.",
                self.where,
                newest,
                known,
            )

    async def _call(self, work: Callable[[asyncpg.Connection], Awaitable[Any]], *, again: bool = True) -> Any:
        """``work`` on a pooled connection, the schema made first if it could not be at start-up;
        StorageUnavailable when the database cannot be used. With ``again`` (work that changes
        nothing, or does the same when done twice), a connection found dead is replaced once."""
        try:
            if not self._schema_ready:
                await self._ensure_schema()
            try:
                result = await self._on_a_connection(work)
            except LOST:
                if not again:
                    raise
                result = await self._on_a_connection(work)
        except UNAVAILABLE as error:
            self._outage.failed(error)
            raise ApiError("StorageUnavailable") from None
        self._outage.recovered()
        return result

    async def _on_a_connection(self, work: Callable[[asyncpg.Connection], Awaitable[Any]]) -> Any:
        assert self._pool is not None
        async with self._pool.acquire(timeout=self._connect_timeout + COMMAND_TIMEOUT) as connection:
            return await work(connection)

    async def add(self, record: PhotoRecord) -> None:
        created = datetime.datetime.fromtimestamp(record.created_at, datetime.UTC)
        # Not sent again: an insert that did reach the database before its connection died would
        # then fail as a duplicate.
        await self._call(
            lambda connection: connection.execute(
                f"INSERT INTO photos ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                record.id,
                record.owner,
                record.description,
                created,
                record.content_type,
                record.width,
                record.height,
                record.size,
            ),
            again=False,
        )

    async def of_owner(self, owner: str) -> list[PhotoRecord]:
        rows = await self._call(
            lambda connection: connection.fetch(
                f"SELECT {COLUMNS} FROM photos WHERE owner = $1 ORDER BY created_at DESC, added DESC", owner
            )
        )
        return [_record(row) for row in rows]

    async def find(self, owner: str, photo_id: str) -> PhotoRecord | None:
        row = await self._call(
            lambda connection: connection.fetchrow(
                f"SELECT {COLUMNS} FROM photos WHERE owner = $1 AND id = $2", owner, photo_id
            )
        )
        return None if row is None else _record(row)

    async def delete(self, owner: str, photo_id: str) -> None:
        await self._call(
            lambda connection: connection.execute("DELETE FROM photos WHERE owner = $1 AND id = $2", owner, photo_id)
        )

    async def problem(self) -> str | None:
        """A round trip on a pooled connection (the schema made first if it is not yet)."""
        try:
            await self._call(lambda connection: connection.fetchval("SELECT 1"))
        except ApiError as error:
            return error.code
        return None

    async def close(self) -> None:
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        try:
            await asyncio.wait_for(pool.close(), COMMAND_TIMEOUT)
        except (TimeoutError, *UNAVAILABLE):
            pool.terminate()  # a database that does not answer is not waited for

"""The pool's records as the operations use them: mappings read from the database row by row.

Each table of the database (``database.py``) is a ``Table``: a mapping by key (``pool.codes``,
``pool.refresh_tokens``, ``pool.software_tokens``, ``pool.temporary_passwords``, and the users and
groups of ``user_table.py``) that reads a record when it is first asked for and keeps it until the
transaction ends, so that the operation changes it in place, as it changed the dicts and moto objects
of old. Each record read remembers the row it came from; ``Records.flush`` writes back the records
whose row would now differ (and those set or deleted), and nothing else. ``forget`` drops them all,
once their transaction has committed or rolled back (``transaction.py``): the next one reads them
again, so a rolled-back change is gone from memory too.

A query that is not by key (all the tokens of a user or of a family, a user by email, every user in
order) first writes what has changed (``Records.write_pending``), within the open transaction, so the
database answers it as memory would; its rows are then matched to the records already read.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import MutableMapping
from typing import Any, Callable, Iterator

from local_cognito.database import Database
from local_cognito.faults import StorageUnavailable

ABSENT = object()  # a key with no record: never there, or deleted in this transaction
UNREAD = (object(),)  # the row of a key set without reading it first: written back whatever it was


def as_json(fields: Any) -> str:
    return json.dumps(fields, separators=(",", ":"))


@dataclasses.dataclass
class Entry:
    value: Any  # the record, or ABSENT
    row: tuple | None  # the row as the database holds it (None: no row; or UNREAD)


class Records:
    """All the tables of one pool, written and forgotten together. ``begin`` begins the database's
    write transaction unless one is open (``transaction.begin_writing``)."""

    def __init__(self, db: Database, begin: Callable[[], None]) -> None:
        self.db = db
        self.begin = begin
        self.tables: list[Table] = []

    def flush(self) -> bool:
        """Write every record whose row has changed; whether any did."""
        changes = [(table, key, entry, row) for table in self.tables for key, entry, row in table.changes()]
        if not changes:
            return False
        self.begin()
        for table, key, entry, row in changes:
            if row is None:
                table.delete_row(key)
            else:
                table.write_row(key, row, entry.row)
            entry.row = row
        return True

    def write_pending(self) -> None:
        """For a query: what has changed, written within the transaction (StorageUnavailable if it
        cannot be; the transaction then rolls back)."""
        try:
            self.flush()
        except sqlite3.Error as error:
            raise StorageUnavailable(self.db.folder.folder, self.db.os_error(error)) from None

    def forget(self) -> None:
        for table in self.tables:
            table.known.clear()


class Table(MutableMapping):
    """One table's records by key (see the module's description). A subclass says how a record is
    read (``decode``) and what row it makes (``encode``); ``name`` and ``columns`` are its table's."""

    name: str
    columns: tuple[str, ...] = ()  # besides ``key`` and ``record``

    def __init__(self, records: Records) -> None:
        self.records = records
        self.db = records.db
        self.known: dict[str, Entry] = {}
        records.tables.append(self)
        listed = ", ".join(self.columns + ("record",))
        self._select = f"SELECT {listed} FROM {self.name} WHERE key = ?"  # noqa: S608 (names are the class's)
        updates = ", ".join(f"{c} = excluded.{c}" for c in self.columns + ("record",))
        self._upsert = (
            f"INSERT INTO {self.name} (key, {listed}) VALUES ({', '.join('?' * (len(self.columns) + 2))}) "
            f"ON CONFLICT (key) DO UPDATE SET {updates}"
        )

    # --- rows ----------------------------------------------------------------------------------

    def decode(self, key: str, row: tuple) -> Any:
        raise NotImplementedError

    def encode(self, key: str, value: Any) -> tuple:
        raise NotImplementedError

    def read_row(self, key: str) -> tuple | None:
        return self.db.one(self._select, (key,))

    def write_row(self, key: str, row: tuple, before: tuple | None) -> None:
        self.db.execute(self._upsert, (key, *row))

    def delete_row(self, key: str) -> None:
        self.db.execute(f"DELETE FROM {self.name} WHERE key = ?", (key,))  # noqa: S608

    def changes(self) -> Iterator[tuple[str, Entry, tuple | None]]:
        for key, entry in self.known.items():
            row = None if entry.value is ABSENT else self.encode(key, entry.value)
            if row != entry.row:
                yield key, entry, row

    def _known(self, key: str, row: tuple) -> Any:
        """The record of a row found by a query: the one already read, or the row's."""
        entry = self.known.get(key)
        if entry is None:
            entry = self.known[key] = Entry(self.decode(key, row), row)
        return entry.value

    # --- the mapping ---------------------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        entry = self.known.get(key)
        if entry is None:
            row = self.read_row(key) if isinstance(key, str) else None
            entry = self.known[key] = Entry(ABSENT if row is None else self.decode(key, row), row)
        if entry.value is ABSENT:
            raise KeyError(key)
        return entry.value

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return self.get(key, ABSENT) is not ABSENT

    def __setitem__(self, key: str, value: Any) -> None:
        entry = self.known.get(key)
        if entry is None:  # a new record, most likely: written at the flush without a read now
            self.known[key] = Entry(value, UNREAD)
        else:
            entry.value = value

    def __delitem__(self, key: str) -> None:
        self[key]  # KeyError if there is none
        self.known[key].value = ABSENT

    def __iter__(self) -> Iterator[str]:
        return (key for key, _ in self.items())

    def __len__(self) -> int:
        self.records.write_pending()
        counted = self.db.one(f"SELECT count(*) FROM {self.name}")  # noqa: S608
        return counted[0] if counted else 0

    def items(self) -> Iterator[tuple[str, Any]]:  # type: ignore[override]
        """Every record, in the order they were first written."""
        self.records.write_pending()
        listed = ", ".join(self.columns + ("record",))
        for key, *row in self.db.rows(f"SELECT key, {listed} FROM {self.name} ORDER BY rowid"):  # noqa: S608
            yield key, self._known(key, tuple(row))

    def values(self) -> Iterator[Any]:  # type: ignore[override]
        return (value for _, value in self.items())

    def keys(self) -> Iterator[str]:  # type: ignore[override]
        return iter(self)

    # --- queries by column ---------------------------------------------------------------------

    def any_where(self, column: str, value: Any) -> bool:
        """Whether a record has ``value`` in ``column``."""
        self.records.write_pending()
        return self.db.one(f"SELECT 1 FROM {self.name} WHERE {column} = ? LIMIT 1", (value,)) is not None  # noqa: S608

    def delete_where(self, column: str, value: Any) -> int:
        """Delete every record with ``value`` in ``column``; how many there were."""
        self.records.write_pending()
        self.records.begin()
        deleted = self.db.execute(f"DELETE FROM {self.name} WHERE {column} = ?", (value,)).rowcount  # noqa: S608
        index = self.columns.index(column)
        for entry in self.known.values():
            if entry.row not in (None, UNREAD) and entry.row[index] == value:
                entry.value, entry.row = ABSENT, None
        return deleted


class JsonRecords(Table):
    """Records that are JSON values, with the columns ``derive`` takes from key and value."""

    def __init__(
        self,
        records: Records,
        name: str,
        columns: tuple[str, ...] = (),
        derive: Callable[[str, Any], tuple] = lambda key, value: (),
        load: Callable[[Any], Any] = lambda fields: fields,
        dump: Callable[[Any], Any] = lambda value: value,
    ) -> None:
        self.name, self.columns = name, columns
        self._derive, self._load, self._dump = derive, load, dump
        super().__init__(records)

    def decode(self, key: str, row: tuple) -> Any:
        return self._load(json.loads(row[-1]))

    def encode(self, key: str, value: Any) -> tuple:
        return (*self._derive(key, value), as_json(self._dump(value)))

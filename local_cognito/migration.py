"""Opening a data folder's database, and moving a folder from before it (``state.json``) into one.

``open_database(folder)``:

- with ``pool.sqlite3``: opens it. A ``state.json`` beside it is what a move stopped just before its
  end left behind: it is renamed as the backup now, as the move would have.
- with ``state.json`` only: moves it. Every record of it is written into a new database under a
  name of its own (``pool.sqlite3.moving``), in one transaction, synced; only then does that file
  take the database's name, and only then is ``state.json`` renamed ``state.json.migrated-<time>``:
  kept as a backup, never deleted. A move that stops anywhere starts again, or finishes, at the
  next start. Moved: the pool's and app client's ids and the client's secret, every user (status,
  attributes, dates, scrypt password hash, TOTP secrets and MFA settings, when an admin-set password
  expires), the groups and their members, pending codes (with their wrong guesses), and every
  refresh token with its family, expiry and rotation record. The signing key and the secrets are
  files of the folder, which stay as they are.
- with neither: makes a new, empty database.

A state file that cannot be read is set aside (``state.json.unreadable-<time>``) and a new pool
starts, as it always has; so does a database file that is not a database (``pool.sqlite3.unreadable-
<time>``, with its WAL).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os

from local_cognito.database import Database, DatabaseUnreadable, keep_aside
from local_cognito.state import StateFileUnreadable, read_state_file
from local_cognito.store import DataFolder
from local_cognito.tables import as_json
from local_cognito.totp import SoftwareToken
from local_cognito.transaction import written
from local_cognito.user_table import user_row

log = logging.getLogger("local_cognito")

SQLITE_SIDE_FILES = ("-wal", "-shm")


def open_database(folder: DataFolder) -> Database:
    """The folder's database, moved from its state file first if it has one (see above)."""
    if not os.path.exists(folder.path) and os.path.exists(folder.state_path):
        _move_state_file(folder)
    elif os.path.exists(folder.state_path):
        kept = keep_aside(folder.state_path, "migrated")
        log.warning("%s was already moved into %s; the file is kept as %s.", folder.state_path, folder.path, kept)
    try:
        return Database(folder)
    except DatabaseUnreadable as why:
        kept = keep_aside(folder.path, "unreadable")
        for suffix in SQLITE_SIDE_FILES:
            if os.path.exists(folder.path + suffix):
                os.replace(folder.path + suffix, kept + suffix)
        log.error(
            "The local Cognito could not read %s (%s); it was kept as %s and a new pool starts.", folder.path, why, kept
        )
        return Database(folder)


def _move_state_file(folder: DataFolder) -> None:
    try:
        state = read_state_file(folder.state_path)
    except StateFileUnreadable:
        kept = keep_aside(folder.state_path, "unreadable")
        log.error(
            "The local Cognito could not read %s; it was kept as %s and a new pool starts.", folder.state_path, kept
        )
        return
    moving = folder.path + ".moving"
    for leftover in (moving, *(moving + suffix for suffix in SQLITE_SIDE_FILES)):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(leftover)  # a move that stopped half-way: it starts again
    database = Database(folder, moving, durable=False)
    try:
        with written(database):
            write_state(database, state)
    finally:
        database.close()
    os.replace(moving, folder.path)
    kept = keep_aside(folder.state_path, "migrated")
    _sync_folder(folder.folder)
    log.warning(
        "The local Cognito moved %s into its database %s (%d users, %d groups, %d refresh tokens); "
        "the old file is kept as %s.",
        folder.state_path,
        folder.path,
        len(state.get("users", [])),
        len(state.get("groups", [])),
        len(state.get("refresh_tokens", {})),
        kept,
    )


def write_state(database: Database, state: dict) -> None:
    """Every record of a state file, as rows of ``database`` (within a transaction)."""
    database.set_meta("pool_id", state["pool"]["id"])
    database.set_meta("client_id", state["client"]["id"])
    database.set_meta("client_secret", state["client"]["secret"])
    members: dict[str, list[str]] = {}
    for saved in state.get("groups", []):
        fields = {
            "description": saved.get("description") or "",
            "role_arn": saved.get("role_arn"),
            "precedence": saved.get("precedence"),
            "created": saved["created"],
            "modified": saved["modified"],
        }
        database.execute("INSERT INTO groups VALUES (?, ?, ?)", (saved["name"], saved["created"], as_json(fields)))
        for sub in saved.get("members", []):
            members.setdefault(sub, []).append(saved["name"])
    for saved in state.get("users", []):
        sub = saved["sub"]
        fields = {
            "status": saved["status"],
            "enabled": saved.get("enabled", True),
            "attributes": {k: v for k, v in saved["attributes"].items() if k != "sub"},
            "password_hash": saved.get("password_hash"),
            "created": saved["created"],
            "modified": saved["modified"],
        }
        groups = tuple(sorted(members.get(sub, [])))
        database.execute("INSERT INTO users VALUES (?, ?, ?, ?)", (sub, *user_row(fields, groups)[:3]))
        database.executemany("INSERT INTO memberships VALUES (?, ?)", [(sub, name) for name in groups])
        if saved.get("software_token"):
            token = dataclasses.asdict(SoftwareToken.from_saved(saved["software_token"]))
            database.execute("INSERT INTO software_tokens VALUES (?, ?)", (sub, as_json(token)))
        if saved.get("temporary_password_expires") is not None:
            database.execute(
                "INSERT INTO temporary_passwords VALUES (?, ?)", (sub, as_json(saved["temporary_password_expires"]))
            )
    database.executemany(
        "INSERT INTO codes VALUES (?, ?, ?, ?)",
        [
            (key, key.partition(":")[2], record["expires"], as_json(record))
            for key, record in state.get("codes", {}).items()
        ],
    )
    database.executemany(
        "INSERT INTO refresh_tokens VALUES (?, ?, ?, ?, ?)",
        [
            (digest, record["sub"], record["origin_jti"], record["expires"], as_json(record))
            for digest, record in state.get("refresh_tokens", {}).items()
        ],
    )


def _sync_folder(path: str) -> None:
    """The renames made durable: the folder's own entry synced."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

"""The local Cognito's data folder: where its database, signing key and secrets are.

The folder (``LOCAL_COGNITO_DATA``, default ``.local-cognito/``) holds ``pool.sqlite3`` (the pool's
database: see ``database.py``), ``signing-key.pem``, and random secrets (``secret(name)``: the
server's cookie secret, the key that signs the hosted UI's cookie and forms). All are readable by
their owner only. A folder from before the database holds ``state.json`` instead, which the first
start moves into the database (``migration.py``).

``write_problem`` is the readiness check: can a file be made, written and synced in the folder now,
and is the database still the one at its path?
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import hashlib
import os
import secrets
import tempfile

DATABASE = "pool.sqlite3"
STATE_FILE = "state.json"  # where the pool was kept before the database


def as_timestamp(moment: datetime.datetime) -> float:
    """Seconds since the epoch; moto's dates are naive UTC, the pool's own are aware."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def from_timestamp(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC)


def token_digest(token: str) -> str:
    """How a refresh token is kept: never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


class DataFolder:
    def __init__(self, folder: str):
        self.folder = folder
        os.makedirs(folder, mode=0o700, exist_ok=True)
        self.path = os.path.join(folder, DATABASE)
        self.state_path = os.path.join(folder, STATE_FILE)
        self.key_path = os.path.join(folder, "signing-key.pem")
        self.database_identity: tuple[int, int] | None = None  # (device, inode) of the open database

    def secret(self, name: str) -> str:
        """The random secret kept in the file ``name``, made on first use."""
        path = os.path.join(self.folder, name)
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read().strip()
        except FileNotFoundError:
            secret = secrets.token_urlsafe(48)
            write_new_file(path, secret.encode())
            return secret

    def check_database_in_place(self) -> None:
        """OSError unless the file at the database's path is the one open: a folder moved away or
        replaced keeps the open file writable, but a change written there would not be found by the
        next start."""
        found = os.stat(self.path)
        if (found.st_dev, found.st_ino) != self.database_identity:
            raise FileNotFoundError(errno.ENOENT, "the database open is no longer at its path", self.path)

    def write_problem(self) -> OSError | None:
        """Why a save would fail now, or None: a file is made, written, synced and removed in the
        folder, and the database must still be the one at its path. Cheap enough for a readiness
        probe."""
        try:
            if self.database_identity is not None:
                self.check_database_in_place()
            descriptor, probe = tempfile.mkstemp(dir=self.folder, prefix=".probe-")
            try:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(b"probe")
                    handle.flush()
                    os.fsync(handle.fileno())
            finally:
                os.unlink(probe)
        except OSError as problem:
            return problem
        return None


def write_new_file(path: str, content: bytes) -> None:
    """A new file readable by its owner only; FileExistsError if there is one. A write that fails
    leaves no file behind (an empty secret or key would be read at the next start)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise


class DataFolderUnusable(Exception):
    """The data folder cannot be made, read or written, so the local Cognito cannot start; the
    message names the folder and the reason."""

    def __init__(self, folder: str, error: OSError):
        super().__init__(
            f"the local Cognito cannot use its data folder {os.path.abspath(folder)} "
            f"(LOCAL_COGNITO_DATA): {error.strerror or error}"
        )
        self.folder = folder
        self.error = error

"""The local Cognito's data folder: its state file, written whole and atomically after each change.

The folder (``LOCAL_COGNITO_DATA``, default ``.local-cognito/``) holds ``state.json`` (the pool, the
app client, users with scrypt password hashes, their TOTP secrets and MFA settings, groups and their
members, pending codes, and refresh tokens by their SHA-256), ``signing-key.pem``, and random
secrets (``secret(name)``: the server's cookie secret, the key that signs the hosted UI's cookie and
forms). All are readable by their owner only. Keys added since the first version are optional, so older state files
still load; a state file this version cannot read is set aside, never overwritten.

``committed`` is the text the state file holds, as last read or written: what a transaction that
cannot be written rolls back to (``transaction.py``). ``write_problem`` is the readiness check: can a
file be made, written and synced in the folder now, as a save does?
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import errno
import hashlib
import hmac
import json
import logging
import os
import secrets
import tempfile
import time

log = logging.getLogger("local_cognito")

STATE_VERSION = 1
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1, "dklen": 32}


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def password_matches(password: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), **_SCRYPT)
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def as_timestamp(moment: datetime.datetime) -> float:
    """Seconds since the epoch; moto's dates are naive UTC, the pool's own are aware."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def from_timestamp(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)


def token_digest(token: str) -> str:
    """How a refresh token is kept: never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


class StateFile:
    def __init__(self, folder: str):
        self.folder = folder
        os.makedirs(folder, mode=0o700, exist_ok=True)
        self.path = os.path.join(folder, "state.json")
        self.key_path = os.path.join(folder, "signing-key.pem")
        self.committed: str | None = None  # the state file's text, as last read or written

    def committed_state(self) -> dict | None:
        """What the state file holds (None before the first save of a new pool), as a new dict."""
        return None if self.committed is None else json.loads(self.committed)

    def load(self) -> dict | None:
        try:
            with open(self.path, encoding="utf-8") as handle:
                text = handle.read()
            state = json.loads(text)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            state = None
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            kept = f"{self.path}.unreadable-{int(time.time())}"
            os.replace(self.path, kept)
            log.error("The local Cognito could not read %s; it was kept as %s and a new pool starts.",
                      self.path, kept)
            return None
        self.committed = text
        return state

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

    def save(self, state: dict) -> None:
        """Replace the state file with ``state``, whole: a failed save (OSError) leaves it as it was."""
        text = json.dumps(dict(state, version=STATE_VERSION), indent=1, sort_keys=True)
        descriptor, temporary = tempfile.mkstemp(dir=self.folder, prefix=".state-", suffix=".json")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        self.committed = text

    def write_problem(self) -> OSError | None:
        """Why a save would fail now, or None: a file is made, written, synced and removed in the
        folder, as a save does, and the state file's place must not be taken by a folder. Cheap
        enough for a readiness probe."""
        try:
            if os.path.isdir(self.path):
                raise IsADirectoryError(errno.EISDIR, "the state file's place is taken by a folder", self.path)
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
        super().__init__(f"the local Cognito cannot use its data folder {os.path.abspath(folder)} "
                         f"(LOCAL_COGNITO_DATA): {error.strerror or error}")
        self.folder = folder
        self.error = error

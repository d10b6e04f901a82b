"""One local Cognito per data folder: the first server to start over a folder runs it, the others join.

Two local Cognitos over one folder would each hold the pool in memory and overwrite each other's
saves. So the one that runs (a server in local mode, or ``python -m local_cognito``) holds an
exclusive lock on ``running.lock`` in the folder for as long as it runs (the operating system drops
the lock if the process dies) and writes ``running.json``, with what a server needs to use it (its
app client's callback URLs too), once it listens. A server that cannot take the lock reads that file
and uses the running local Cognito instead of starting its own: several server processes behind a
load balancer then share one pool, as they would share a real one.

A folder where these files cannot be made or read stops the start (``DataFolderUnusable``, see
``start_local_cognito``); one that can no longer be written when the local Cognito stops only leaves a
stale ``running.json``, which the next start removes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import time
from typing import TextIO

log = logging.getLogger("local_cognito")

LOCK_FILE = "running.lock"
DETAILS_FILE = "running.json"


class FolderClaim:
    """The lock that makes this process the one running the folder's local Cognito."""

    def __init__(self, folder: str):
        self.folder = folder
        self._handle: TextIO | None = None

    def acquire(self) -> bool:
        """Take the folder, or answer False when a live process holds it."""
        os.makedirs(self.folder, mode=0o700, exist_ok=True)
        handle = open(os.path.join(self.folder, LOCK_FILE), "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._handle = handle
        # A details file left by a process that died is stale: joiners wait for this one's instead.
        try:
            os.remove(os.path.join(self.folder, DETAILS_FILE))
        except FileNotFoundError:
            pass
        return True

    def publish(self, details: dict) -> None:
        """Write what joining servers need (secrets included: the folder is 0700, the file 0600)."""
        path = os.path.join(self.folder, DETAILS_FILE)
        temporary = f"{path}.{os.getpid()}.tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump({**details, "pid": os.getpid()}, handle)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(temporary)
            raise

    def release(self) -> None:
        if self._handle is None:
            return
        try:
            os.remove(os.path.join(self.folder, DETAILS_FILE))
        except FileNotFoundError:
            pass
        except OSError as error:
            # The folder cannot be written now. The lock goes all the same: the next process to
            # take it removes the stale file before it publishes its own.
            log.warning(
                "Could not remove %s from the local Cognito's data folder %s (%s).",
                DETAILS_FILE,
                self.folder,
                error.strerror or error,
            )
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()
        self._handle = None


class FolderBusy(Exception):
    """Another process holds the folder but never says where its local Cognito listens."""


def running_details(claim: FolderClaim, timeout: float = 20.0) -> dict | None:
    """What the process holding the folder published; it may still be starting, so wait for it.
    None when that process let the folder go meanwhile (it failed to start) and ``claim`` now has it."""
    path = os.path.join(claim.folder, DETAILS_FILE)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(path, encoding="utf-8") as handle:
                return json.load(handle)
        except (FileNotFoundError, ValueError):
            if claim.acquire():
                return None
            if time.monotonic() > deadline:
                raise FolderBusy(
                    f"another process holds the local Cognito folder {claim.folder} but has not said where it listens"
                ) from None
            time.sleep(0.05)


class JoinedLocalCognito:
    """The local Cognito of another process over the same folder: used, never stopped, from here."""

    joined = True

    def __init__(self, details: dict):
        self.endpoint_url = details["endpoint_url"]
        self.owner_pid = details.get("pid")
        # Where its hosted UI sends people back to after a sign-in (None: not published).
        callback_urls = details.get("callback_urls")
        self.callback_urls = None if callback_urls is None else tuple(callback_urls)

    def stop(self) -> None:
        pass

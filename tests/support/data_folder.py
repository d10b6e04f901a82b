"""A data folder that cannot be written, for a while, whoever the tests run as.

``chmod`` does not stop root, and the tests may run as root. So the folder is moved aside and a
plain file put at its path: every file under that path (the state file, its temporary file, a
readiness probe, ``running.json``) then fails with ENOTDIR, for root as for anyone, with no mount and
no special file system. Files opened before (the lock on ``running.lock``) stay open. Leaving the
block puts the folder back as it was.
"""

from __future__ import annotations

import contextlib
import os
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

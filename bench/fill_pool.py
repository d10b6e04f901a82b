"""Fill a local Cognito's data folder with users and live refresh tokens, fast, for the large-pool benchmark.

    python bench/fill_pool.py DATA_FOLDER --users 100000 --tokens 200000

The folder must hold a pool already (a local Cognito has started on it once). The rows are written
straight through the local Cognito's storage (``local_cognito.database``, and ``user_table.user_row``
for the shape of a user's row), in one transaction, as the pool's own operations would leave them:
confirmed users with an email and an scrypt password hash, and refresh tokens of the app client, each
of its own sign-in (family), spread over the users, expiring in 30 days. 100,000 sign-ups through
the API would take the benchmark longer than all its measuring, for the same rows.

Every user made here shares one scrypt hash (made once, of a password nobody signs in with): a real
hash of the kind every user has, where making 100,000 would cost 100,000 times scrypt's 50 ms.
Prints one line of JSON: how many users and tokens the pool then holds, and the seconds it took.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
import uuid
from pathlib import Path

if __name__ == "__main__":  # imports come from the project (bench/..)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from local_cognito.database import Database
from local_cognito.passwords import hash_password
from local_cognito.store import DataFolder, token_digest
from local_cognito.tables import as_json
from local_cognito.transaction import written
from local_cognito.user_table import user_row

REFRESH_SECONDS = 30 * 24 * 3600
BATCH = 10_000


def fill(folder: str, users: int, tokens: int) -> dict:
    started = time.monotonic()
    db = Database(DataFolder(folder))
    client_id = db.meta("client_id")
    if client_id is None:
        raise SystemExit(f"{folder} holds no pool yet: start a local Cognito on it once first")
    shared_hash = hash_password(secrets.token_urlsafe(16))
    now = time.time()
    subs = [str(uuid.uuid4()) for _ in range(users)]
    with written(db):
        for first in range(0, users, BATCH):
            rows = []
            for number, sub in enumerate(subs[first : first + BATCH], start=first):
                fields = {
                    "status": "CONFIRMED",
                    "enabled": True,
                    "attributes": {"email": f"filler-{number}@example.com", "email_verified": "true"},
                    "password_hash": shared_hash,
                    "created": now - users + number,
                    "modified": now - users + number,
                }
                email_key, created, record, _ = user_row(fields, ())
                rows.append((sub, email_key, created, record))
            db.executemany("INSERT INTO users (sub, email_key, created, record) VALUES (?, ?, ?, ?)", rows)
        for first in range(0, tokens, BATCH):
            rows = []
            for number in range(first, min(tokens, first + BATCH)):
                sub = subs[number % users] if users else secrets.token_hex(8)
                family = str(uuid.uuid4())
                auth_time = int(now) - number % 3600
                record = {
                    "client_id": client_id,
                    "sub": sub,
                    "origin_jti": family,
                    "auth_time": auth_time,
                    "expires": auth_time + REFRESH_SECONDS,
                }
                rows.append((token_digest(secrets.token_urlsafe(96)), sub, family, record["expires"], as_json(record)))
            db.executemany(
                "INSERT INTO refresh_tokens (key, sub, family, expires, record) VALUES (?, ?, ?, ?, ?)", rows
            )
        db.count_change()
    counts = {
        "users": db.one("SELECT count(*) FROM users")[0],
        "refresh_tokens": db.one("SELECT count(*) FROM refresh_tokens WHERE expires > ?", (now,))[0],
        "seconds": round(time.monotonic() - started, 2),
    }
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the next start finds one file, as a pool at rest is
    db.close()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/fill_pool.py", description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="the local Cognito's data folder (LOCAL_COGNITO_DATA)")
    parser.add_argument("--users", type=int, required=True, help="users to add")
    parser.add_argument("--tokens", type=int, required=True, help="live refresh tokens to add")
    options = parser.parse_args(argv)
    print(json.dumps(fill(options.folder, options.users, options.tokens)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The pool's records in the shape ``state.json`` gave them, both ways.

Before its database, the local Cognito kept everything in one ``state.json``. ``read_state_file``
reads one (the upgrade moves it into the database: ``migration.py``); ``state_of(pool)`` gives the
same shape from the database: the pool and app client ids, the users (with their password hashes,
TOTP secrets and MFA settings, and when an admin-set password expires), the groups and their members,
pending codes and refresh tokens (by their SHA-256). The tests compare pools with it, and check an
upgrade with it. Keys added after the first version of the file are read with ``.get()``, so older
state files still load.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from typing import TYPE_CHECKING

from local_cognito.pool_settings import POOL_NAME
from local_cognito.user_table import group_fields, user_fields

if TYPE_CHECKING:
    from local_cognito.pool import UserPool

log = logging.getLogger("local_cognito")

STATE_VERSION = 1  # the only version state.json ever had


class StateFileUnreadable(Exception):
    pass


def read_state_file(path: str) -> dict:
    """The state in ``path``; StateFileUnreadable if it is not one (half written, another version),
    OSError if it cannot be read."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    try:
        state = json.loads(text)
    except ValueError:
        state = None
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION or "pool" not in state:
        raise StateFileUnreadable(os.path.basename(path))
    return state


def state_of(pool: UserPool) -> dict:
    """Everything the pool keeps, as ``state.json`` held it (without its ``version``)."""
    members: dict[str, list[str]] = {}
    users = []
    for user in pool.users.values():
        saved = {"sub": user.id, **user_fields(user)}
        token = pool.software_tokens.get(user.id)
        if token is not None:
            saved["software_token"] = dataclasses.asdict(token)
        if user.id in pool.temporary_passwords:
            saved["temporary_password_expires"] = pool.temporary_passwords[user.id]
        users.append(saved)
        for group in user.groups:
            members.setdefault(group.group_name, []).append(user.id)
    return {
        "pool": {"id": pool.pool_id, "name": POOL_NAME},
        "client": {"id": pool.client_id, "secret": pool.client_secret},
        "users": users,
        "groups": [
            {"name": group.group_name, **group_fields(group), "members": sorted(members.get(group.group_name, []))}
            for group in pool.groups.values()
        ],
        "codes": dict(pool.codes.items()),
        "refresh_tokens": dict(pool.refresh_tokens.items()),
    }

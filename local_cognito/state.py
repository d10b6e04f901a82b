"""The local pool's records as the state file holds them, both ways.

``state_of(pool)`` is what a save writes (``StateFile.save``): the pool and app client ids, the users
(with their password hashes, TOTP secrets and MFA settings, and when an admin-set password expires),
the groups and their members, pending codes and refresh tokens (by their SHA-256). ``load_records``
puts the records of such a state into the pool, in place of every one it holds: at start-up, and
when a transaction is rolled back (``transaction.py``). Keys added after the first version are read
with ``.get()``, so older state files still load.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from moto.cognitoidp.models import CognitoIdpGroup, CognitoIdpUser, UserStatus

from local_cognito.pool_settings import POOL_NAME
from local_cognito.store import as_timestamp, from_timestamp
from local_cognito.totp import SoftwareToken

if TYPE_CHECKING:
    from local_cognito.pool import UserPool


def state_of(pool: UserPool) -> dict:
    return {
        "pool": {"id": pool.pool_id, "name": POOL_NAME},
        "client": {"id": pool.client_id, "secret": pool.client_secret},
        "users": [_saved_user(pool, user) for user in pool.users.values()],
        "groups": [{
            "name": group.group_name,
            "description": group.description,
            "role_arn": group.role_arn,
            "precedence": group.precedence,
            "created": as_timestamp(group.creation_date),
            "modified": as_timestamp(group.last_modified_date),
            "members": sorted(user.id for user in group.users),
        } for group in pool.groups.values()],
        "codes": pool.codes,
        "refresh_tokens": pool.refresh_tokens,
    }


def _saved_user(pool: UserPool, user: CognitoIdpUser) -> dict:
    saved = {
        "sub": user.id,
        "status": user.status.name if isinstance(user.status, UserStatus) else str(user.status),
        "enabled": user.enabled,
        "attributes": {k: v for k, v in user.attribute_lookup.items() if k != "sub"},
        "password_hash": user.password,
        "created": as_timestamp(user.create_date),
        "modified": as_timestamp(user.last_modified_date),
    }
    token = pool.software_tokens.get(user.id)
    if token is not None:
        saved["software_token"] = dataclasses.asdict(token)
    if user.id in pool.temporary_passwords:
        saved["temporary_password_expires"] = pool.temporary_passwords[user.id]
    return saved


def load_records(pool: UserPool, state: dict | None) -> None:
    """The users, groups, codes, refresh tokens, TOTP secrets and temporary passwords of ``state``
    (none for None: a new pool never saved), replacing those the pool holds. moto's records of the
    users and groups are made anew."""
    state = state or {}
    pool.users.clear()
    pool.groups.clear()
    pool.software_tokens = {}
    pool.temporary_passwords = {}
    for saved in state.get("users", []):
        user = CognitoIdpUser(pool.pool_id, saved["sub"], saved.get("password_hash"),
                              UserStatus[saved["status"]],
                              [{"Name": k, "Value": v} for k, v in saved["attributes"].items()])
        user.id = saved["sub"]
        user.update_attributes([{"Name": "sub", "Value": user.id}])
        user.enabled = saved.get("enabled", True)
        user.create_date = from_timestamp(saved["created"])
        user.last_modified_date = from_timestamp(saved["modified"])
        pool.users[user.username] = user
        if saved.get("software_token"):
            pool.software_tokens[user.id] = SoftwareToken.from_saved(saved["software_token"])
        if saved.get("temporary_password_expires") is not None:
            pool.temporary_passwords[user.id] = saved["temporary_password_expires"]
    for saved in state.get("groups", []):
        group = CognitoIdpGroup(pool.pool_id, saved["name"], saved.get("description", ""),
                                saved.get("role_arn"), saved.get("precedence"))
        group.creation_date = from_timestamp(saved["created"])
        group.last_modified_date = from_timestamp(saved["modified"])
        pool.groups[group.group_name] = group
        for sub in saved.get("members", []):
            if sub in pool.users:
                pool.link(pool.users[sub], group)
    pool.codes = dict(state.get("codes", {}))
    pool.refresh_tokens = dict(state.get("refresh_tokens", {}))

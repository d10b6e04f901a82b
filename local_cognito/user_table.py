"""The pool's users and groups: rows of the database, as moto's user and group objects.

moto's ``CognitoIdpUser`` and ``CognitoIdpGroup`` remain what the operations change and what the
answers are made from (attributes, status, dates, the user's ``groups``), but the database is where
they are kept: ``pool.users`` (moto's ``pool.users``, by ``sub``) makes the object of a user when it
is first asked for in a transaction, from its row and its memberships, and ``pool.groups`` (by
name) a group's. So no start reads every user, and a sign-in reads one user's rows, found by sub or
by email through an index (``find_by_email``); ListUsers reads users in its order (``in_order``) and
makes objects only of those it answers. Membership is the user's side: ``user.groups``, kept in the
``memberships`` table (moto's ``group.users`` is left empty).
"""

from __future__ import annotations

import enum
import json
import uuid
from typing import Any, Callable, Iterator

from moto.cognitoidp.models import CognitoIdpGroup, CognitoIdpUser, UserStatus

from local_cognito.store import as_timestamp, from_timestamp
from local_cognito.tables import ABSENT, UNREAD, Records, Table, as_json
from local_cognito.user_extras import mfa_choices, pending_attributes, restore_extras, srp_verifier
from server.user_names import fold_case


# A user's row, with the groups they are a member of (a JSON array, in no order).
USER_ROW = (
    "sub, email_key, created, record, "
    "(SELECT json_group_array(group_name) FROM memberships WHERE memberships.sub = users.sub)"
)


class FederatedStatus(enum.Enum):
    """The status of a user made by a sign-in through an identity provider (moto's UserStatus has
    no such member): Cognito's ``EXTERNAL_PROVIDER``."""

    EXTERNAL_PROVIDER = "EXTERNAL_PROVIDER"


EXTERNAL_PROVIDER = FederatedStatus.EXTERNAL_PROVIDER


def federated_sub(pool_id: str, username: str) -> str:
    """The sub of the federated user named ``username`` (``LoginWithAmazon_...``): a UUID that
    only that name gives, so the user is found by name without another index."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cognito-idp:{pool_id}:{username}"))


def _status(name: str) -> UserStatus | FederatedStatus:
    return UserStatus[name] if name in UserStatus.__members__ else FederatedStatus[name]


def _user_row(found: tuple) -> tuple[str, tuple]:
    sub, email_key, created, record, groups = found
    return sub, (email_key, created, record, tuple(sorted(json.loads(groups))))


def user_fields(user: CognitoIdpUser) -> dict:
    """A user's record, as ``state.json`` kept it (without the sub, which is the key), and, when they
    have any, the attribute values waiting for verification (``pending``: ``attribute_updates.py``),
    their SMS and email MFA choices (``mfa``: ``mfa_methods.py``) and their SRP verifier (``srp``:
    ``srp.py``). A federated user's record also keeps the user name Cognito gave them
    (``LoginWithAmazon_...``); every other user's is their sub."""
    extras = {
        name: dict(value)
        for name, value in (("pending", pending_attributes(user)), ("mfa", mfa_choices(user)))
        if value
    }
    fields = {
        "status": user.status.name if isinstance(user.status, enum.Enum) else str(user.status),
        "enabled": user.enabled,
        "attributes": {k: v for k, v in user.attribute_lookup.items() if k != "sub"},
        "password_hash": user.password,
        "created": as_timestamp(user.create_date),
        "modified": as_timestamp(user.last_modified_date),
        **extras,
    }
    if user.username != user.id:
        fields["username"] = user.username
    verifier = srp_verifier(user)
    if verifier is not None:
        fields["srp"] = verifier
    return fields


def user_row(fields: dict, groups: tuple[str, ...]) -> tuple:
    """(email key, created, record, groups): a user's row, and the groups it is a member of. A
    federated user's email is no sign-in name (their user name is the provider's), so it has no key."""
    external = fields["status"] == EXTERNAL_PROVIDER.name
    email_key = "" if external else fold_case(fields["attributes"].get("email", ""))
    return (email_key, fields["created"], as_json(fields), groups)


def group_fields(group: CognitoIdpGroup) -> dict:
    return {
        "description": group.description,
        "role_arn": group.role_arn,
        "precedence": group.precedence,
        "created": as_timestamp(group.creation_date),
        "modified": as_timestamp(group.last_modified_date),
    }


class UserTable(Table):
    """The users by ``sub`` (``pool.users``), made from their rows as they are asked for."""

    name = "users"
    columns = ("email_key", "created")

    def __init__(self, records: Records, pool_id: Callable[[], str], groups: GroupTable) -> None:
        super().__init__(records)
        self.pool_id = pool_id
        self.groups = groups

    def read_row(self, key: str) -> tuple | None:
        found = self.db.one(f"SELECT {USER_ROW} FROM users WHERE sub = ?", (key,))
        return None if found is None else _user_row(found)[1]

    def decode(self, key: str, row: tuple) -> CognitoIdpUser:
        saved = json.loads(row[2])
        user = CognitoIdpUser(
            self.pool_id(),
            saved.get("username", key),
            saved.get("password_hash"),
            _status(saved["status"]),
            [{"Name": k, "Value": v} for k, v in saved["attributes"].items()],
        )
        user.id = key
        user.update_attributes([{"Name": "sub", "Value": key}])
        user.enabled = saved.get("enabled", True)
        user.create_date = from_timestamp(saved["created"])
        user.last_modified_date = from_timestamp(saved["modified"])
        # Fields of ours beside moto's: the SRP verifier, attribute values waiting for their code, SMS and email MFA.
        restore_extras(
            user, verifier=saved.get("srp"), pending=dict(saved.get("pending", {})), choices=dict(saved.get("mfa", {}))
        )
        user.groups = {group for group in map(self.groups.get, row[3]) if group is not None}
        return user

    def encode(self, key: str, user: CognitoIdpUser) -> tuple:
        return user_row(user_fields(user), tuple(sorted(group.group_name for group in user.groups)))

    def write_row(self, key: str, row: tuple, before: tuple | None) -> None:
        self.db.execute(
            "INSERT INTO users (sub, email_key, created, record) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (sub) DO UPDATE SET email_key = excluded.email_key, "
            "created = excluded.created, record = excluded.record",
            (key, *row[:3]),
        )
        if before is None or before is UNREAD or before[3] != row[3]:
            self.db.execute("DELETE FROM memberships WHERE sub = ?", (key,))
            self.db.executemany("INSERT INTO memberships VALUES (?, ?)", [(key, name) for name in row[3]])

    def delete_row(self, key: str) -> None:
        self.db.execute("DELETE FROM users WHERE sub = ?", (key,))
        self.db.execute("DELETE FROM memberships WHERE sub = ?", (key,))

    def __len__(self) -> int:
        self.records.write_pending()
        counted = self.db.one("SELECT count(*) FROM users")
        return counted[0] if counted else 0

    def items(self) -> Iterator[tuple[str, CognitoIdpUser]]:  # type: ignore[override]
        """Every user, in the order they were made."""
        for _, user in self.in_order():
            yield user.id, user

    # --- queries ---------------------------------------------------------------------------------

    def find_by_email(self, email: str) -> CognitoIdpUser | None:
        """The user whose email is ``email`` when folded as the pool folds emails (``fold_case``)."""
        if not email:
            return None
        self.records.write_pending()
        found = self.db.one(
            f"SELECT {USER_ROW} FROM users WHERE email_key = ? ORDER BY rowid LIMIT 1", (fold_case(email),)
        )
        if found is None:
            return None
        sub, row = _user_row(found)
        user = self._known(sub, row)
        return None if user is ABSENT else user

    def in_order(
        self, after: tuple | None = None, keep: Callable[[str, dict], bool] = lambda sub, fields: True
    ) -> Iterator[tuple[tuple, CognitoIdpUser]]:
        """((created, sub), user) for every user after ``after`` in that order whose record passes
        ``keep`` (given the sub and the record's fields): the objects made only for those."""
        self.records.write_pending()
        query = "SELECT sub, email_key, created, record FROM users"
        if after is not None:
            query += " WHERE (created, sub) > (?, ?)"
        for sub, _email_key, created, record in self.db.rows(query + " ORDER BY created, sub", after or ()):
            entry = self.known.get(sub)
            if entry is None:
                if not keep(sub, json.loads(record)):
                    continue
                user = self._known(sub, self.read_row(sub))
            elif entry.value is ABSENT or not keep(sub, user_fields(entry.value)):
                continue
            else:
                user = entry.value
            yield (created, sub), user


class GroupTable(Table):
    """The groups by name (``pool.groups``)."""

    name = "groups"
    columns = ("created",)

    def __init__(self, records: Records, pool_id: Callable[[], str]) -> None:
        super().__init__(records)
        self.pool_id = pool_id

    def read_row(self, key: str) -> tuple | None:
        return self.db.one("SELECT created, record FROM groups WHERE name = ?", (key,))

    def decode(self, key: str, row: tuple) -> CognitoIdpGroup:
        saved = json.loads(row[1])
        group = CognitoIdpGroup(
            self.pool_id(), key, saved.get("description", ""), saved.get("role_arn"), saved.get("precedence")
        )
        group.creation_date = from_timestamp(saved["created"])
        group.last_modified_date = from_timestamp(saved["modified"])
        return group

    def encode(self, key: str, group: CognitoIdpGroup) -> tuple:
        fields = group_fields(group)
        return (fields["created"], as_json(fields))

    def write_row(self, key: str, row: tuple, before: Any) -> None:
        self.db.execute(
            "INSERT INTO groups (name, created, record) VALUES (?, ?, ?) ON CONFLICT (name) "
            "DO UPDATE SET created = excluded.created, record = excluded.record",
            (key, *row),
        )

    def delete_row(self, key: str) -> None:
        self.db.execute("DELETE FROM groups WHERE name = ?", (key,))
        self.db.execute("DELETE FROM memberships WHERE group_name = ?", (key,))

    def items(self) -> Iterator[tuple[str, CognitoIdpGroup]]:  # type: ignore[override]
        self.records.write_pending()
        for name, created, record in self.db.rows("SELECT name, created, record FROM groups ORDER BY rowid"):
            yield name, self._known(name, (created, record))

    def __len__(self) -> int:
        self.records.write_pending()
        counted = self.db.one("SELECT count(*) FROM groups")
        return counted[0] if counted else 0

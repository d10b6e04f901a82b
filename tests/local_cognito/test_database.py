"""The local Cognito's database (local_cognito/database.py, tables.py, transaction.py): SQLite in WAL
mode; a change writes the rows it changes and nothing else, a call that changes nothing writes
nothing, and expired refresh tokens and codes are pruned a bounded batch at a time."""

from __future__ import annotations

from local_cognito import transaction
from local_cognito.pool_settings import REFRESH_TOKEN_SECONDS
from local_cognito.service import LocalUserPool
from server.cognito import secret_hash
from tests.support import CODE, PASSWORD
from tests.support.data_folder import database_rows
from tests.support.local_pool import Clock, password_auth, signed_in


def test_the_database_is_in_wal_mode(pool):
    assert database_rows(pool.store.folder, "PRAGMA journal_mode") == [("wal",)]


def test_a_call_that_changes_nothing_writes_nothing(idp, admin, pool):
    user = signed_in(idp)
    row = lambda: database_rows(pool.store.folder, "SELECT * FROM users WHERE sub = ?", (user["sub"],))  # noqa: E731
    before, changes = row(), pool.db.changes()
    idp.get_user(AccessToken=user["AccessToken"])
    admin.admin_get_user(UserPoolId=pool.pool_id, Username=user["email"])
    admin.list_users(UserPoolId=pool.pool_id, Filter=f'email = "{user["email"]}"')
    assert pool.db.changes() == changes
    # A sign-in writes its refresh token, once, and leaves the user's row as it was.
    tokens = database_rows(pool.store.folder, "SELECT count(*) FROM refresh_tokens WHERE sub = ?", (user["sub"],))
    password_auth(idp, user["email"])
    assert pool.db.changes() == changes + 1 and row() == before
    assert (
        database_rows(pool.store.folder, "SELECT count(*) FROM refresh_tokens WHERE sub = ?", (user["sub"],))[0][0]
        == tokens[0][0] + 1
    )


def sign_in(pool: LocalUserPool, email: str) -> None:
    pool.sign_in.initiate_auth(
        {
            "ClientId": pool.client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {
                "USERNAME": email,
                "PASSWORD": PASSWORD,
                "SECRET_HASH": secret_hash(email, pool.client_id, pool.client_secret),
            },
        }
    )


def test_expired_records_are_pruned_a_batch_at_a_time(tmp_path, monkeypatch):
    clock = Clock()
    pool = LocalUserPool(str(tmp_path), pinned_code=CODE, clock=clock)
    for email in ("kept@example.com", "waiting@example.com"):
        params = {
            "ClientId": pool.client_id,
            "Username": email,
            "SecretHash": secret_hash(email, pool.client_id, pool.client_secret),
        }
        pool.accounts.sign_up(dict(params, Password=PASSWORD))
    pool.accounts.confirm_sign_up(
        {
            "ClientId": pool.client_id,
            "Username": "kept@example.com",
            "ConfirmationCode": CODE,
            "SecretHash": secret_hash("kept@example.com", pool.client_id, pool.client_secret),
        }
    )
    for _ in range(4):
        sign_in(pool, "kept@example.com")
    count = lambda table: database_rows(str(tmp_path), f"SELECT count(*) FROM {table}")[0][0]  # noqa: E731
    assert (count("refresh_tokens"), count("codes")) == (4, 1)

    clock.advance(REFRESH_TOKEN_SECONDS + 1)  # every token and code has expired
    monkeypatch.setattr(transaction, "PRUNE_BATCH", 3)
    pool.next_prune = 0  # as when PRUNE_SECONDS have passed since the last commit that pruned
    sign_in(pool, "kept@example.com")  # a live token, and a commit that prunes
    assert (count("refresh_tokens"), count("codes")) == (2, 0)  # 5 less 3; the one code
    sign_in(pool, "kept@example.com")
    assert count("refresh_tokens") == 3  # not again within PRUNE_SECONDS
    pool.next_prune = 0
    pool.save()
    assert count("refresh_tokens") == 2  # the two live ones
    assert {expires > clock() for (expires,) in database_rows(str(tmp_path), "SELECT expires FROM refresh_tokens")} == {
        True
    }

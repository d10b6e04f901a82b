"""SECRET_HASH (server/cognito.py), as Cognito computes it."""

from __future__ import annotations

from server.cognito import secret_hash


def test_secret_hash_matches_the_reference_vector():
    assert (
        secret_hash("alice@example.com", "abc123clientid", "topsecret")
        == "bXxy/dOfH+mr4mAW3CYDmFMsz8MbBWeIUA5prPOth48="
    )


def test_secret_hash_depends_on_the_username():
    assert secret_hash("a@example.com", "c", "s") != secret_hash("b@example.com", "c", "s")

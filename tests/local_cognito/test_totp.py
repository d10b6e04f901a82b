"""TOTP codes (local_cognito/totp.py): fresh secrets, and a code good one step either side of now,
once."""

from __future__ import annotations

import base64

from local_cognito.totp import STEP_SECONDS, accepted_step, new_secret
from tests.support.local_pool import code_at


def test_secrets_are_32_base32_characters_of_fresh_randomness():
    secrets_made = {new_secret() for _ in range(50)}
    assert len(secrets_made) == 50
    for secret in secrets_made:
        assert len(secret) == 32 and len(base64.b32decode(secret)) == 20


def test_a_code_is_good_one_step_either_side_and_once():
    secret, now = new_secret(), 1_700_000_000.0
    step = int(now // STEP_SECONDS)
    for offset in (-1, 0, 1):
        assert accepted_step(secret, code_at(secret, now + offset * STEP_SECONDS), now, None) == step + offset
    for offset in (-2, 2):
        assert accepted_step(secret, code_at(secret, now + offset * STEP_SECONDS), now, None) is None
    assert accepted_step(secret, code_at(secret, now), now, last_step=step) is None  # used
    assert accepted_step(secret, code_at(secret, now - STEP_SECONDS), now, last_step=step) is None  # older
    assert accepted_step(secret, " " + code_at(secret, now), now, None) is None

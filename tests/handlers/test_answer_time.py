"""How long an answer takes does not tell whether an account exists: tornado_server.py in local mode,
timed over real HTTP, known and unknown emails interleaved, for resendCode, forgotPassword,
confirmAccount and confirmForgotPassword.

The local Cognito writes its state file for a known user's code (about a millisecond here, more on a
slow disk): unpadded, a known email is slower in nearly every sample. With UNIFORM_ANSWER_SECONDS
every answer ends at the same time after it began. The comparison is between two sets of samples
taken in the same run, one after the other, so a busy machine slows both alike: their medians are
within a few percent of each other, and each set's samples fall on both sides of the other's median."""

from __future__ import annotations

import statistics
import time
import uuid

import pytest

from tests.support import PASSWORD, Client, free_port, local_server
from tests.support.processes import LOCAL_SERVER_CODE

FLOOR = 0.05  # UNIFORM_ANSWER_SECONDS: well above the local Cognito's few milliseconds
SAMPLES = 40
PASS = {"pass": PASSWORD}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = local_server(
        str(tmp_path_factory.mktemp("timed")),
        free_port(),
        UNIFORM_ANSWER_SECONDS=str(FLOOR),
        RATE_LIMIT_PER_ADDRESS="off",
        RATE_LIMIT_PER_USER="off",
    )
    yield running.url
    running.stop()


def new_email(tag: str) -> str:
    return f"timed-{tag}-{uuid.uuid4().hex[:10]}@example.com"


def timed(client: Client, method: str, **fields) -> tuple[float, int]:
    started = time.perf_counter()
    reply = client.call(method, **fields)
    return time.perf_counter() - started, reply.status


def compare(client: Client, method: str, known: str, fields: dict) -> None:
    """SAMPLES answers for ``known`` and as many for unknown emails, taken in turn (which goes first
    alternates too)."""
    known_times, unknown_times, statuses = [], [], set()
    for sample in range(SAMPLES):
        pair = [(known, known_times), (new_email("nobody"), unknown_times)]
        for email, times in pair if sample % 2 else reversed(pair):
            seconds, status = timed(client, method, user=email, **fields)
            times.append(seconds)
            statuses.add(status)
    known_median, unknown_median = statistics.median(known_times), statistics.median(unknown_times)
    ratio = known_median / unknown_median
    below = sum(seconds < unknown_median for seconds in known_times) / SAMPLES
    summary = (
        f"{method}: known {known_median * 1000:.2f} ms, unknown {unknown_median * 1000:.2f} ms, "
        f"{below:.0%} of known below the unknown median"
    )
    assert 1 / 1.15 < ratio < 1.15, summary
    assert 0.2 <= below <= 0.8, summary
    assert min(known_times + unknown_times) >= FLOOR, summary  # never sooner than the floor
    assert len(statuses) == 1, statuses  # one answer for both, as test_who_has_an_account.py shows


def test_a_code_request_takes_as_long_for_an_account_as_for_none(server):
    client = Client(server)
    waiting, confirmed = new_email("waiting"), new_email("confirmed")
    for email in (waiting, confirmed):
        assert client.call("createAccount", user=email, **PASS).status == 200
    assert client.call("confirmAccount", user=confirmed, conf_code=LOCAL_SERVER_CODE, **PASS).status == 200
    compare(client, "resendCode", waiting, {})
    compare(client, "forgotPassword", confirmed, {})


def test_a_code_check_takes_as_long_for_an_account_as_for_none(server):
    client = Client(server)
    waiting, resetting = new_email("waiting"), new_email("resetting")
    for email in (waiting, resetting):
        assert client.call("createAccount", user=email, **PASS).status == 200
    assert client.call("confirmAccount", user=resetting, conf_code=LOCAL_SERVER_CODE, **PASS).status == 200
    assert client.call("forgotPassword", user=resetting).status == 200
    compare(client, "confirmAccount", waiting, {"conf_code": "000000", **PASS})
    compare(client, "confirmForgotPassword", resetting, {"conf_code": "000000", "new_pass": "A_new_password_1"})

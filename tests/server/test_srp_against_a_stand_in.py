"""The server's SRP client (server/srp.py, server/sign_in_flows.py) against a stand-in Cognito that checks
each proof with pycognito's functions (tests/support/srp_stand_in.py), over real HTTP.

The local Cognito shares server/srp.py with the server, so it cannot vouch for it alone; the stand-in
shares nothing with it. What would break a sign-in with real Cognito fails here: a hash or padding
convention, SECRET_HASH on the wrong name, the TIMESTAMP's format.
"""

from __future__ import annotations

import datetime

import pytest

from server.config import load_config
from server import srp
from tests.support import PASSWORD, STAND_IN_POOL, Client, serve_app
from tests.support.srp_stand_in import SrpStandIn

EMAIL = "sam@example.com"


@pytest.fixture
def stand_in():
    cognito = SrpStandIn(
        STAND_IN_POOL["COGNITO_USER_POOL_ID"],
        STAND_IN_POOL["COGNITO_USER_CLIENT_ID"],
        STAND_IN_POOL["COGNITO_CLIENT_SECRET"],
        EMAIL,
        PASSWORD,
    )
    server = serve_app(
        load_config(
            {**STAND_IN_POOL, "COGNITO_ENDPOINT_URL": cognito.url, "SIGN_IN_FLOW": "srp", "COGNITO_MAX_ATTEMPTS": "1"}
        )
    )
    yield cognito, server.url
    server.stop()
    cognito.stop()


@pytest.mark.parametrize("repeat", range(4))  # A, B and S differ each time: each padding case comes up
def test_the_stand_in_accepts_the_servers_proof(stand_in, repeat):
    cognito, url = stand_in
    reply = Client(url).call("signIn", user=EMAIL, **{"pass": PASSWORD})
    assert reply.status == 200, (reply.body, cognito.refusals)
    assert reply.json["access_token"] and cognito.refusals == []
    assert [operation for operation, _ in cognito.received] == ["InitiateAuth", "RespondToAuthChallenge"]
    responses = cognito.received[1][1]["ChallengeResponses"]
    assert set(responses) == {
        "USERNAME",
        "PASSWORD_CLAIM_SECRET_BLOCK",
        "PASSWORD_CLAIM_SIGNATURE",
        "TIMESTAMP",
        "SECRET_HASH",
    }


def test_a_wrong_password_makes_a_proof_the_stand_in_refuses(stand_in):
    cognito, url = stand_in
    reply = Client(url).call("signIn", user=EMAIL, **{"pass": "not-" + PASSWORD})
    assert (reply.status, reply.json["error"]) == (401, "NotAuthorized")
    assert cognito.refusals == ["signature"]


def test_a_day_of_the_month_below_ten_is_written_unpadded(stand_in, monkeypatch):
    """On the 2nd of a month the TIMESTAMP says "Dec 2", as Cognito requires; the stand-in reads it back."""
    cognito, url = stand_in
    second = datetime.datetime.now(datetime.UTC).replace(day=2)
    written = srp.cognito_timestamp(second)
    assert f" {second:%b} 2 " in written
    real = srp.cognito_timestamp
    monkeypatch.setattr(srp, "cognito_timestamp", lambda moment=None: real(moment or second))
    reply = Client(url).call("signIn", user=EMAIL, **{"pass": PASSWORD})
    sent = cognito.received[1][1]["ChallengeResponses"]["TIMESTAMP"]
    assert sent == written or sent.split()[2] == "2"
    # The stand-in also checks the time: the 2nd is today only on the 2nd.
    assert reply.status == 200 or cognito.refusals == [f"TIMESTAMP time: {sent!r}"]

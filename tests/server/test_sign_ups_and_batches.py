"""createAccount is limited per address like every method that names a user or sends an email, and a
JSON-RPC batch holds at most MAX_BATCH calls, each counted by the limits, over real HTTP: in local
mode for the tutorial's 409, against a stand-in Cognito to count what reaches Cognito."""

from __future__ import annotations

import json
import uuid

import pytest

from local_cognito import start_local_cognito
from server.config import load_config
from server.dispatch import MAX_BATCH
from tests.support import PASSWORD, STAND_IN_POOL, Client, StandInCognito, local_config, serve_app

PASS = {"pass": PASSWORD}


def new_email() -> str:
    return f"batch-{uuid.uuid4().hex[:10]}@example.com"


def post(client: Client, payload) -> tuple[int, object]:
    reply = client.request("POST", "/", json.dumps(payload).encode(), {"Content-Type": "application/json"})
    return reply.status, (reply.json if reply.body else None)


def sign_up(email: str, request_id: int | None = None) -> dict:
    call = {"jsonrpc": "2.0", "method": "createAccount", "params": {"user": email, **PASS}}
    return call if request_id is None else {**call, "id": request_id}


@pytest.fixture
def stand_in():
    cognito = StandInCognito()
    cognito.answer("SignUp", body={"UserConfirmed": False, "UserSub": "a-sub"})
    yield cognito
    cognito.stop()


@pytest.fixture
def serve(stand_in):
    servers = []

    def start(**env: str) -> Client:
        server = serve_app(load_config({**STAND_IN_POOL, "COGNITO_ENDPOINT_URL": stand_in.url, **env}))
        servers.append(server)
        return Client(server.url)

    yield start
    for server in servers:
        server.stop()


def sign_ups(stand_in: StandInCognito) -> int:
    return sum(operation == "SignUp" for operation, _ in stand_in.received)


def test_the_tutorials_409_is_limited_per_address(tmp_path):
    """Sixty createAccount calls for an existing email from one address were all answered 409: now
    the address's limit ends them, as it ends guesses at every other method."""
    local, config = start_local_cognito(
        load_config(local_config(str(tmp_path), RATE_LIMIT_PER_ADDRESS="5/60", RATE_LIMIT_PER_USER="off"))
    )
    server = serve_app(config, config.port)
    try:
        client, email = Client(config.base_url), new_email()
        statuses = [client.call("createAccount", user=email, **PASS).status for _ in range(8)]
    finally:
        server.stop()
        local.stop()
    assert statuses == [200, 409, 409, 409, 409, 429, 429, 429], statuses


def test_new_emails_are_limited_per_address_too(serve, stand_in):
    client = serve(RATE_LIMIT_PER_ADDRESS="3/60", RATE_LIMIT_PER_USER="off")
    statuses = [client.call("createAccount", user=new_email(), **PASS).status for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429] and sign_ups(stand_in) == 3


def test_one_email_is_limited_wherever_its_sign_ups_come_from(serve, stand_in):
    client = serve(RATE_LIMIT_PER_ADDRESS="off", RATE_LIMIT_PER_USER="2/60")
    email = new_email()
    assert [client.call("createAccount", user=email, **PASS).status for _ in range(3)] == [200, 200, 429]
    assert client.call("createAccount", user=email.upper(), **PASS).status == 429  # one user name, any case


def test_a_batch_of_notifications_makes_no_more_sign_ups_than_the_limit(serve, stand_in):
    """One 11 KB body of 100 createAccount notifications made 100 accounts and sent 100 emails.
    Every call of a batch is counted, notifications too, and a batch holds at most MAX_BATCH."""
    client = serve(RATE_LIMIT_PER_ADDRESS="5/60", RATE_LIMIT_PER_USER="off")
    status, body = post(client, [sign_up(new_email()) for _ in range(MAX_BATCH)])
    assert (status, body) == (204, None)
    assert sign_ups(stand_in) == 5


def test_a_batch_of_calls_answers_each_and_the_limit_refuses_the_rest(serve, stand_in):
    client = serve(RATE_LIMIT_PER_ADDRESS="5/60", RATE_LIMIT_PER_USER="off")
    status, body = post(client, [sign_up(new_email(), n) for n in range(MAX_BATCH)])
    assert status == 200 and [answer["id"] for answer in body] == list(range(MAX_BATCH))
    assert all("result" in answer for answer in body[:5])
    assert all(answer["error"]["data"]["error"] == "RateLimited" for answer in body[5:])
    assert sign_ups(stand_in) == 5


def test_a_batch_over_the_cap_is_refused_whole(serve, stand_in):
    client = serve(RATE_LIMIT_PER_ADDRESS="off", RATE_LIMIT_PER_USER="off")
    status, body = post(client, [sign_up(new_email(), n) for n in range(MAX_BATCH + 1)])
    assert status == 200 and body["id"] is None
    assert body["error"]["code"] == -32600 and body["error"]["message"] == "Invalid Request"
    data = body["error"]["data"]
    assert data["error"] == "InvalidRequest" and data["status"] == 400
    assert f"at most {MAX_BATCH} calls" in data["message"] and f"holds {MAX_BATCH + 1}" in data["message"]
    assert sign_ups(stand_in) == 0  # nothing of it ran
    status, body = post(client, [sign_up(new_email(), n) for n in range(MAX_BATCH)])
    assert status == 200 and len(body) == MAX_BATCH and all("result" in answer for answer in body)

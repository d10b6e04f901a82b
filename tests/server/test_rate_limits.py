"""Rate limits on the guessable methods (server/rate_limits.py), over real HTTP: per client address
and per user name, through trusted proxies only, the limit sliding, both envelopes, one limit for
two server processes through Redis, calls let through when Redis is gone or silent, and the
in-process counters' bound."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import socket
import time
import uuid

import pytest
import redis

from server.config import load_config
from server.errors import CATALOGUE, ApiError
from server.rate_limits import LocalCounters, RateLimits, as_limit
from tests.support import PASSWORD, STAND_IN_POOL, Client, ServerProcess, StandInCognito, free_port, serve_app

# The fields each limited method needs besides "user" (wrong ones: only the counting matters).
LIMITED = {
    "signIn": {"pass": "Not_the_password_1"},
    "createAccount": {"pass": "Not_the_password_1"},
    "confirmAccount": {"pass": "Not_the_password_1", "conf_code": "000000"},
    "forgotPassword": {},
    "confirmForgotPassword": {"conf_code": "000000", "new_pass": "A_new_password_1"},
    "resendCode": {},
    "signInWithCode": {},
    "passkeySignInStart": {},
}
NOT_ENFORCED = "Rate limits are not enforced"


# A user pool of the stand-in Cognito: it answers at once, so timings are the limiter's.
def attempt(
    client: Client, method: str = "signIn", user: str = "sam@example.com", forwarded_for: str | None = None, **fields
):
    body = json.dumps({"env": method, "user": user, **LIMITED.get(method, {}), **fields}).encode()
    headers = {"Content-Type": "application/json"}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    return client.request("POST", "/", body, headers)


def assert_answered(reply) -> None:
    """Not refused by the limits, and no server failure."""
    assert reply.status != 429 and reply.status < 500, reply.body


def assert_rate_limited(reply, longest: int) -> int:
    """A 429 RateLimited with the tutorial's JSON body and a Retry-After of 1..longest seconds."""
    assert reply.status == 429, reply.body
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.json == {"message": CATALOGUE["RateLimited"].message, "error": "RateLimited"}
    retry_after = reply.headers["Retry-After"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= longest, retry_after
    return int(retry_after)


def new_user() -> str:
    return f"guess-{uuid.uuid4().hex[:10]}@example.com"


@pytest.fixture
def stand_in():
    cognito = StandInCognito()
    for operation in ("InitiateAuth", "ConfirmSignUp", "ConfirmForgotPassword", "GetUser"):
        cognito.fail(operation, "NotAuthorizedException")
    yield cognito
    cognito.stop()


@pytest.fixture
def serve(stand_in):
    """Starts servers on the stand-in Cognito with the given environment (limits, proxies, Redis),
    read as the server reads it; each answers through the Client returned. Stopped afterwards."""
    servers = []

    def start(**env: str) -> Client:
        server = serve_app(load_config({**STAND_IN_POOL, "COGNITO_ENDPOINT_URL": stand_in.url, **env}))
        servers.append(server)
        return Client(server.url)

    yield start
    for server in servers:
        server.stop()


# --- per client address -------------------------------------------------------------------------


def test_the_fourth_sign_in_from_one_address_is_refused_whatever_the_user_name(serve):
    client = serve(RATE_LIMIT_PER_ADDRESS="3/60", RATE_LIMIT_PER_USER="off")
    for _ in range(3):
        reply = attempt(client, user=new_user())
        assert reply.status == 401 and reply.json["error"] == "NotAuthorized", reply.body
        assert "Retry-After" not in reply.headers
    # 3 per 60 s: the next call's turn comes 60/3 s after the first, not a whole minute later.
    assert_rate_limited(attempt(client, user=new_user()), longest=20)
    assert_rate_limited(attempt(client, user=new_user()), longest=20)


def test_each_guessable_method_is_limited_and_counted_on_its_own(serve):
    client = serve(RATE_LIMIT_PER_ADDRESS="2/60", RATE_LIMIT_PER_USER="off")
    # One method's calls used up do not touch the next one's.
    for method in LIMITED:
        for _ in range(2):
            assert_answered(attempt(client, method, user=new_user()))
        assert_rate_limited(attempt(client, method, user=new_user()), longest=30)


def test_other_methods_are_neither_limited_nor_counted(serve):
    client = serve(RATE_LIMIT_PER_ADDRESS="1/60", RATE_LIMIT_PER_USER="1/60")
    for _ in range(4):
        reply = client.call("signOut")
        assert reply.status == 200, reply.body
        assert client.call("refresh").json["error"] == "NoSession"
        assert client.call("getUser", access_token="not.a.token").status == 401
    # None of that was counted: the one sign-in this address and this user have is still there.
    assert_answered(attempt(client, user="sam@example.com"))
    assert_rate_limited(attempt(client, user="sam@example.com"), longest=60)


def test_a_refused_call_costs_nothing(serve):
    client = serve(RATE_LIMIT_PER_ADDRESS="3/60", RATE_LIMIT_PER_USER="1/60")
    assert_answered(attempt(client, user="amy@example.com"))
    for _ in range(3):  # refused for the user: the address is not charged for them
        assert_rate_limited(attempt(client, user="amy@example.com"), longest=60)
    assert_answered(attempt(client, user="bob@example.com"))
    assert_answered(attempt(client, user="cat@example.com"))
    assert_rate_limited(attempt(client, user="dan@example.com"), longest=20)  # the address's 3 are used


# --- which address: X-Forwarded-For only from a trusted proxy -----------------------------------


def test_a_forged_x_forwarded_for_does_not_change_the_address(serve):
    direct = serve(RATE_LIMIT_PER_ADDRESS="2/60", RATE_LIMIT_PER_USER="off")
    for n in (1, 2):
        assert_answered(attempt(direct, user=new_user(), forwarded_for=f"203.0.113.{n}"))
    # Without TRUSTED_PROXIES every call is 127.0.0.1's, whatever it claims.
    assert_rate_limited(attempt(direct, user=new_user(), forwarded_for="203.0.113.3"), longest=30)

    behind_proxy = serve(RATE_LIMIT_PER_ADDRESS="2/60", RATE_LIMIT_PER_USER="off", TRUSTED_PROXIES="127.0.0.1")
    # The proxy appends the address it saw; what the client wrote before it proves nothing.
    for n in (1, 2):
        assert_answered(attempt(behind_proxy, user=new_user(), forwarded_for=f"10.9.9.{n}, 198.51.100.7"))
    assert_rate_limited(attempt(behind_proxy, user=new_user(), forwarded_for="10.9.9.3, 198.51.100.7"), longest=30)
    # Another client of the proxy has its own count.
    assert_answered(attempt(behind_proxy, user=new_user(), forwarded_for="198.51.100.8"))


def test_ipv6_clients_are_counted_per_64(serve):
    client = serve(RATE_LIMIT_PER_ADDRESS="2/60", RATE_LIMIT_PER_USER="off", TRUSTED_PROXIES="127.0.0.1")
    assert_answered(attempt(client, user=new_user(), forwarded_for="2001:db8:1:1::1"))
    assert_answered(attempt(client, user=new_user(), forwarded_for="2001:db8:1:1::2"))
    # Another address of the same /64 is the same customer.
    assert_rate_limited(attempt(client, user=new_user(), forwarded_for="2001:db8:1:1:ffff:ffff:ffff:3"), longest=30)
    assert_answered(attempt(client, user=new_user(), forwarded_for="2001:db8:1:2::1"))


# --- per user name ------------------------------------------------------------------------------


def test_a_third_sign_in_for_one_user_is_refused_from_any_address_and_spelling(config, signed_in):
    _, email, _ = signed_in
    limited = dataclasses.replace(
        config,
        rate_limit_per_user=(2, 60.0),
        rate_limit_per_address=(100, 60.0),
        trusted_proxies=load_config({"TRUSTED_PROXIES": "127.0.0.1"}).trusted_proxies,
    )
    server = serve_app(limited)
    try:
        client = Client(server.url)
        reply = attempt(client, user=email, forwarded_for="198.51.100.1", **{"pass": PASSWORD})
        assert reply.status == 200 and reply.json["access_token"], reply.body
        assert_answered(attempt(client, user=f"  {email.upper()} ", forwarded_for="198.51.100.2"))
        # The right password, from a third address, with the name spelled a third way: refused.
        for spelling in (email, email.title(), f"\t{email.swapcase()}  "):
            reply = attempt(client, user=spelling, forwarded_for="198.51.100.3", **{"pass": PASSWORD})
            assert_rate_limited(reply, longest=30)
        # Another user, from the same address, is not held up.
        assert_answered(attempt(client, user=new_user(), forwarded_for="198.51.100.3"))
        # Nor this user's other methods: each is counted on its own.
        assert_answered(attempt(client, "forgotPassword", user=email, forwarded_for="198.51.100.3"))
    finally:
        server.stop()


# --- the limit slides ---------------------------------------------------------------------------


def test_calls_come_back_one_by_one_as_the_limit_slides(serve):
    client = serve(RATE_LIMIT_PER_ADDRESS="off", RATE_LIMIT_PER_USER="2/2")
    assert_answered(attempt(client))
    assert_answered(attempt(client))
    assert assert_rate_limited(attempt(client), longest=1) == 1
    # A second is one call's share of 2 per 2 seconds: exactly one more is allowed, no window
    # starts afresh with 2.
    time.sleep(1.1)
    assert_answered(attempt(client))
    retry_after = assert_rate_limited(attempt(client), longest=1)
    time.sleep(retry_after)
    assert_answered(attempt(client))


# --- JSON-RPC 2.0 -------------------------------------------------------------------------------


def test_json_rpc_gets_an_application_error_and_the_retry_after_header(serve):
    client = serve(RATE_LIMIT_PER_ADDRESS="off", RATE_LIMIT_PER_USER="1/60")

    def rpc(request_id, user="sam@example.com"):
        return {
            "jsonrpc": "2.0",
            "method": "signIn",
            "params": {"user": user, "pass": "Not_the_password_1"},
            "id": request_id,
        }

    first = client.post(rpc(1))
    assert first.status == 200 and first.json["error"]["data"]["error"] == "NotAuthorized"
    assert "Retry-After" not in first.headers
    reply = client.post(rpc(2))
    assert reply.status == 200
    error = reply.json["error"]
    assert reply.json["id"] == 2 and error["code"] == -32000
    assert error["message"] == CATALOGUE["RateLimited"].message
    data = error["data"]
    assert data["error"] == "RateLimited" and data["status"] == 429
    assert isinstance(data["retry_after"], int) and 1 <= data["retry_after"] <= 60
    assert reply.headers["Retry-After"] == str(data["retry_after"])

    # A batch packs no more guesses into one request: each call in it is counted.
    batch = client.post([rpc(3, "kim@example.com"), rpc(4, "kim@example.com"), rpc(5, "KIM@example.com")])
    assert batch.status == 200
    codes = [answer["error"]["data"]["error"] for answer in batch.json]
    assert codes == ["NotAuthorized", "RateLimited", "RateLimited"]
    assert 1 <= int(batch.headers["Retry-After"]) <= 60


# --- the in-process counters --------------------------------------------------------------------


def test_the_in_process_counters_stay_bounded_under_many_distinct_keys(caplog):
    counters = LocalCounters(max_keys=1000)
    limits = RateLimits(as_limit((30, 60.0)), as_limit((1, 60.0)), counters)

    async def sign_in_attempts(count: int):
        for n in range(count):  # a new address and a new user name every time
            await limits.check("signIn", f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}", {"user": f"user-{n}@x"})
            assert len(counters) <= 1000

    with caplog.at_level(logging.WARNING, logger="server.rate_limits"):
        asyncio.run(sign_in_attempts(5000))
    assert len(counters) == 1000
    # At the cap the least recently charged are forgotten: the newest are still counted.
    with pytest.raises(ApiError) as refused:
        asyncio.run(limits.check("signIn", "192.0.2.1", {"user": "user-4999@x"}))
    assert refused.value.code == "RateLimited"
    assert len([r for r in caplog.records if r.name == "server.rate_limits"]) == 1  # said once, not 4000 times


def test_expired_counters_are_dropped_as_calls_go_on():
    counters = LocalCounters()
    second = 1_000_000
    per_second = as_limit((2, 1.0))
    for n in range(1000):
        assert counters.take_now(0, [f"signIn:user:{n}"], [per_second]) == 0
    assert len(counters) == 1000
    # A second later every one of them is spent: the calls that follow clear them away.
    for n in range(300):
        counters.take_now(2 * second + n * second, ["signIn:address:192.0.2.1"], [per_second])
    assert len(counters) == 1


def test_calls_fit_exactly_the_limit_and_the_wait_is_one_calls_share():
    counters = LocalCounters()
    seven_a_minute = as_limit((7, 60.0))
    assert [counters.take_now(0, ["k"], [seven_a_minute]) for _ in range(7)] == [0] * 7
    wait = counters.take_now(0, ["k"], [seven_a_minute])
    assert 60 / 7 - 0.001 < wait / 1_000_000 <= 60 / 7
    assert counters.take_now(9_000_000, ["k"], [seven_a_minute]) == 0


# --- Redis ----------------------------------------------------------------------------------------


def test_two_server_processes_enforce_one_limit_through_redis_and_let_calls_through_without_it(
    redis_server, stand_in, tmp_path
):
    env = {
        **STAND_IN_POOL,
        "COGNITO_ENDPOINT_URL": stand_in.url,
        "REDIS_URL": redis_server.url,
        "RATE_LIMIT_PER_ADDRESS": "5/60",
        "RATE_LIMIT_PER_USER": "3/60",
    }
    # Both start at once, each with its own photos folder and its output in a file of its own.
    processes = [
        ServerProcess(
            free_port(),
            dict(env, HOST="127.0.0.1", PHOTOS_DATA=str(tmp_path / f"photos-{name}")),
            log_path=str(tmp_path / f"server-{name}.log"),
            wait=False,
            host="127.0.0.1",
        )
        for name in ("A", "B")
    ]
    try:
        for process in processes:
            process.wait_until_serving()
        a, b = (Client(process.url) for process in processes)

        # One user's calls, taken in turn by the two processes, are counted together...
        for client in (a, b, a):
            assert_answered(attempt(client, user="sam@example.com"))
        assert_rate_limited(attempt(b, user="sam@example.com"), longest=20)
        assert_rate_limited(attempt(a, user="SAM@example.com"), longest=20)
        # ... and so are one address's: 3 charged so far (refused calls cost nothing), 2 to go.
        assert_answered(attempt(a, user=new_user()))
        assert_answered(attempt(b, user=new_user()))
        assert_rate_limited(attempt(a, user=new_user()), longest=12)
        assert_rate_limited(attempt(b, user=new_user()), longest=12)

        # Redis gone: the calls it would refuse are answered, at once, and nothing fails.
        redis_server.stop()
        for client in (a, b, a, b):
            started = time.monotonic()
            reply = attempt(client, user="sam@example.com")
            assert reply.status == 401 and reply.json["error"] == "NotAuthorized", reply.body
            assert time.monotonic() - started < 1.5

        # Redis back, empty (no counts, no script): the limits hold again, from zero.
        redis_server.start()
        for client in (b, a, b):
            assert_answered(attempt(client, user="sam@example.com"))
        assert_rate_limited(attempt(a, user="sam@example.com"), longest=20)
        assert len(redis.Redis(port=redis_server.port).keys("cognito-backend:rate-limit:signIn:*")) == 2
    finally:
        outputs = [process.stop(check=False) for process in processes]
    for process, output in zip(processes, outputs):
        assert process.process.returncode == 0, output
        assert "Traceback" not in output, output
        # Two calls each while Redis was gone, one warning: at most one every 30 s.
        assert output.count(NOT_ENFORCED) == 1, output
        assert "answers again" in output, output


@contextlib.contextmanager
def silent_redis():
    """A port that takes connections and never answers: Redis hung, or a black-holed network."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


@contextlib.contextmanager
def closed_redis():
    """A port nobody listens on: Redis down."""
    yield f"redis://127.0.0.1:{free_port()}/0"


@pytest.mark.parametrize("unusable_redis", [closed_redis, silent_redis], ids=["down", "silent"])
def test_calls_are_let_through_when_redis_cannot_be_used(serve, caplog, unusable_redis):
    with unusable_redis() as url, caplog.at_level(logging.WARNING, logger="server.rate_limits"):
        client = serve(RATE_LIMIT_PER_ADDRESS="1/60", RATE_LIMIT_PER_USER="1/60", REDIS_URL=url)
        for method in ("signIn", "signIn", "signIn", "forgotPassword"):
            started = time.monotonic()
            assert_answered(attempt(client, method))
            # Within Redis's half second, and then some for the request itself.
            assert time.monotonic() - started < 1.5
    warnings = [record.getMessage() for record in caplog.records if record.name == "server.rate_limits"]
    assert len(warnings) == 1 and NOT_ENFORCED in warnings[0], warnings
    assert "127.0.0.1" in warnings[0]

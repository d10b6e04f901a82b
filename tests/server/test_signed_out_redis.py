"""Signed-out sessions shared through Redis (server/revocations.py), with two server processes over
one local Cognito and one real redis-server: a sign-out made through one process stops the session's
reads on the other; with Redis gone, each process still refuses the sessions signed out through
itself, nothing fails, and one warning says what is not shared."""

from __future__ import annotations

import time
import uuid

import redis

from server.revocations import KEY_PREFIX
from tests.support import CODE, PASSWORD, Client, Photos, free_port, local_server, picture

NOT_SHARED = "Signed-out sessions are not shared"


def signed_in(server_url: str) -> tuple[Client, str, str]:
    """A new account signed in through ``server_url``: its client, its access token, and the id of a
    photo it uploaded."""
    client = Client(server_url)
    email = f"shared-{uuid.uuid4().hex[:10]}@example.com"
    assert client.call("createAccount", user=email, **{"pass": PASSWORD}).status == 200
    reply = client.call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD})
    assert reply.status == 200, reply.body
    token = reply.json["access_token"]
    uploaded = Photos(Client(server_url), token).upload(picture())
    assert uploaded.status == 201, uploaded.body
    return client, token, uploaded.json["photo"]["id"]


def reads(server_url: str, token: str, photo_id: str) -> int:
    """The status of reading the photo's bytes with ``token``, answered within the time Redis gets and
    a margin. A read is checked against the pool's keys and the signed-out sessions only (the list and
    every change ask Cognito itself), so it shows what the process knows of sign-outs."""
    started = time.monotonic()
    status = Photos(Client(server_url), token).get(photo_id, "image").status
    assert time.monotonic() - started < 1.5
    return status


def test_a_sign_out_on_one_process_stops_reads_on_the_other(redis_server, tmp_path):
    data_dir = str(tmp_path / "local-cognito")
    shared = {"LOCAL_COGNITO_PORT": str(free_port()), "LOCAL_COGNITO_CODE": CODE, "REDIS_URL": redis_server.url}
    servers = {}
    try:
        for name in ("A", "B"):  # A starts the local Cognito, B joins it
            servers[name] = local_server(
                data_dir,
                free_port(),
                log_path=str(tmp_path / f"server-{name}.log"),
                PHOTOS_DATA=str(tmp_path / "photos"),
                **shared,
            )
        a, b = servers["A"].url, servers["B"].url

        client, token, photo = signed_in(a)
        assert reads(b, token, photo) == 200
        assert client.call("signOut").json["revoked"] is True
        assert (reads(b, token, photo), reads(a, token, photo)) == (401, 401)
        # Kept in Redis until the session's tokens have expired: their lifetime and the clock allowance twice.
        [key] = redis.Redis(port=redis_server.port).keys(KEY_PREFIX + "*")
        assert 3600 < redis.Redis(port=redis_server.port).ttl(key) <= 3600 + 120

        # Redis gone: a sign-out through A still stops A's reads, B cannot know of it, nothing fails.
        redis_server.stop()
        client, token, photo = signed_in(a)
        assert client.call("signOut").json["revoked"] is True
        assert (reads(a, token, photo), reads(b, token, photo)) == (401, 200)

        # Redis back (empty): sign-outs are shared again.
        redis_server.start()
        client, token, photo = signed_in(a)
        assert client.call("signOut").json["revoked"] is True
        assert reads(b, token, photo) == 401
    finally:
        outputs = {name: servers[name].stop(check=False) for name in reversed(list(servers))}
    for name, output in outputs.items():
        assert servers[name].process.returncode == 0, output
        assert "Traceback" not in output and PASSWORD not in output, output
        assert output.count(NOT_SHARED) == 1, output  # one warning, however many calls failed
        assert "answers again: sessions signed out" in output, output

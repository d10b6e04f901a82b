"""Photos on more than one machine: two servers behind nginx (deploy/nginx.conf, as
tests/test_nginx.py runs it) keep the photo records in one real PostgreSQL and the bytes in one S3
bucket (moto's server), each with a photos folder of its own, as on two machines.

An upload through one server is listed and read by both; a deletion through the other removes the
photo everywhere (its record, both of its objects); a restart of both servers loses nothing; and
PostgreSQL stopped makes both answer 503 StorageUnavailable, /readyz too, until it is started again,
when both answer 200 with no restart of their own. Uploads go through nginx; to choose which server
answers, a test also calls each server on its own port.
"""

from __future__ import annotations

import os
import uuid

import boto3
import jwt
import pytest
from moto.server import ThreadedMotoServer

from tests.support import CODE, PASSWORD, Client, Photos, form, picture
from tests.support.nginx import Browser, Stack, request_id, start_stack
from tests.support.postgres_server import postgres_server

CLIENT_ADDRESS = "127.0.0.8"


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL of this module's own: its tests stop it."""
    yield from postgres_server()


@pytest.fixture(scope="module")
def bucket():
    """moto's S3 over HTTP and a bucket in it: (the S3 client, the bucket's name, the endpoint)."""
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{moto.get_host_and_port()[1]}"
    name = "shared-photos-" + uuid.uuid4().hex[:8]
    s3 = boto3.client(
        "s3", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test"
    )
    s3.create_bucket(Bucket=name)
    yield s3, name, endpoint
    moto.stop()


@pytest.fixture(scope="module")
def database_url(postgres) -> str:
    """A database owned by a user of its own, which is not a superuser (as production.md makes it)."""
    return postgres.new_database_of_its_own()


@pytest.fixture(scope="module")
def database(database_url) -> str:
    return database_url.rpartition("/")[2]


@pytest.fixture(scope="module")
def stack(request, tmp_path_factory, database_url, bucket) -> Stack:
    s3, name, endpoint = bucket
    return start_stack(
        str(tmp_path_factory.mktemp("shared-photos")),
        request.addfinalizer,
        PHOTOS_DATABASE_URL=database_url + "?connect_timeout=2",
        PHOTOS_BUCKET=name,
        AWS_ENDPOINT_URL_S3=endpoint,
    )


@pytest.fixture(scope="module")
def person(stack) -> tuple[Browser, str]:
    """Someone signed in through nginx: (their browser, their access token)."""
    browser = Browser(stack, CLIENT_ADDRESS)
    email = f"shared-{uuid.uuid4().hex[:10]}@example.com"
    assert browser.post({"env": "createAccount", "user": email, "pass": PASSWORD}).status == 200
    reply = browser.post({"env": "confirmAccount", "user": email, "pass": PASSWORD, "conf_code": CODE})
    assert reply.status == 200, reply.body
    return browser, reply.json["access_token"]


def upload_through_nginx(person, description: str) -> tuple[dict, str]:
    """The photo uploaded, and the name of the server that stored it."""
    browser, token = person
    data = picture("PNG", (320, 240))
    body, headers = form(data, description)
    reply = browser.request("POST", "/photos", body, {**headers, "Authorization": f"Bearer {token}"})
    assert reply.status == 201, reply.body
    return reply.json["photo"], browser.stack.served_by(request_id(reply))


def on(stack: Stack, name: str, token: str) -> Photos:
    """The photos API of server ``name``, called on its own port."""
    return Photos(Client(f"http://127.0.0.1:{stack.server_port(name)}"), token)


def bucket_keys(bucket, prefix: str) -> set[str]:
    s3, name, _ = bucket
    return {item["Key"] for item in s3.list_objects_v2(Bucket=name, Prefix=prefix).get("Contents", [])}


def files_under(folder: str) -> list[str]:
    return [os.path.join(root, name) for root, _, names in os.walk(folder) for name in names]


def test_an_upload_through_one_server_is_listed_by_both_and_a_delete_through_the_other_removes_it_everywhere(
    stack, person, postgres, database, bucket
):
    _, token = person
    owner = jwt.decode(token, options={"verify_signature": False})["sub"]
    photo, stored_by = upload_through_nginx(person, "seen from both")
    other = "B" if stored_by == "A" else "A"

    image = on(stack, stored_by, token).get(photo["id"], "image")
    assert image.status == 200
    for name in stack.NAMES:
        server = on(stack, name, token)
        assert photo in server.list().json["photos"], name
        read = server.get(photo["id"], "image")
        assert (read.status, read.body, read.headers["Content-Type"]) == (200, image.body, "image/png")
        assert server.get(photo["id"], "thumbnail").headers["Content-Type"] == "image/jpeg"
    prefix = f"{owner}/{photo['id']}/"
    assert bucket_keys(bucket, prefix) == {prefix + "image", prefix + "thumbnail"}
    assert postgres.psql(database, f"SELECT owner, description FROM photos WHERE id = '{photo['id']}'") == [
        [owner, "seen from both"]
    ]

    deleted = on(stack, other, token).delete(photo["id"])
    assert deleted.status == 200 and deleted.json == {}, deleted.body
    for name in stack.NAMES:
        server = on(stack, name, token)
        assert photo["id"] not in [p["id"] for p in server.list().json["photos"]], name
        assert server.get(photo["id"], "image").status == 404
        assert server.delete(photo["id"]).json["error"] == "PhotoNotFound"
    assert bucket_keys(bucket, prefix) == set()
    assert postgres.psql(database, f"SELECT count(*) FROM photos WHERE id = '{photo['id']}'") == [["0"]]
    # Nothing was kept on either machine's disk.
    assert (
        files_under(os.path.join(stack.folder, "photos-A")) == files_under(os.path.join(stack.folder, "photos-B")) == []
    )


def test_a_restart_of_both_servers_loses_nothing(stack, person):
    _, token = person
    kept = [upload_through_nginx(person, f"kept {n}")[0] for n in range(2)]
    before = on(stack, "A", token).list().json["photos"]
    assert before[:2] == kept[::-1]
    images = {photo["id"]: on(stack, "A", token).get(photo["id"], "image").body for photo in kept}

    stack.restart_servers()

    for name in stack.NAMES:
        server = on(stack, name, token)
        assert server.list().json["photos"] == before, name
        for photo in kept:
            assert server.get(photo["id"], "image").body == images[photo["id"]]
    browser, _ = person
    listed = browser.request("GET", "/photos", headers={"Authorization": f"Bearer {token}"})
    assert listed.status == 200 and listed.json["photos"] == before


def test_postgresql_stopped_is_503_and_not_ready_on_both_servers_and_200_once_it_is_back(
    stack, person, postgres, bucket
):
    _, token = person
    photo, _ = upload_through_nginx(person, "through the outage")
    pids = {name: server.process.pid for name, server in stack.servers.items()}

    postgres.stop()
    try:
        for name in stack.NAMES:
            server = on(stack, name, token)
            for reply in (server.list(), server.get(photo["id"], "image"), server.upload(picture(), "refused")):
                assert (reply.status, reply.json["error"]) == (503, "StorageUnavailable"), (name, reply.body)
            ready = server.client.request("GET", "/readyz")
            assert (ready.status, ready.json["error"]) == (503, "StorageUnavailable"), name
        browser, _ = person
        through_nginx = browser.request("GET", "/photos", headers={"Authorization": f"Bearer {token}"})
        assert (through_nginx.status, through_nginx.json["error"]) == (503, "StorageUnavailable")
    finally:
        postgres.start()

    for name in stack.NAMES:
        server = on(stack, name, token)
        assert server.client.request("GET", "/readyz").status == 200, name
        listed = server.list()
        assert listed.status == 200 and photo in listed.json["photos"], name
        assert server.get(photo["id"], "image").status == 200
    # The upload refused during the outage left no bytes in the bucket.
    owner = jwt.decode(token, options={"verify_signature": False})["sub"]
    listed_ids = {p["id"] for p in on(stack, "A", token).list().json["photos"]}
    assert {key.split("/")[1] for key in bucket_keys(bucket, owner + "/")} == listed_ids
    # The same processes: they carried on, with no restart.
    assert {name: server.process.pid for name, server in stack.servers.items()} == pids
    assert all(server.process.poll() is None for server in stack.servers.values())
    assert "answers again" in stack.servers["A"].output() + stack.servers["B"].output()
    assert postgres.password not in stack.servers["A"].output() + stack.servers["B"].output()

"""Photo records in a real PostgreSQL (server/photo_records_postgres.py): the schema made once, also
by servers starting together, under the advisory lock; a newer schema; the pool's size; a URL the
database refuses; and a database down, unreachable or silent, over real HTTP: 503
StorageUnavailable, /readyz too, and 200 again once it is back, with no restart."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import socket
import time

import asyncpg
import pytest

from server.config import ConfigError
from server.photo_records import PhotoRecord
from server.photo_records_postgres import MIGRATION_LOCK, MIGRATIONS, PostgresPhotoRecords
from tests.support import PASSWORD, Client, Photos, new_account, picture, run_server, serve_app
from tests.support.nginx import tls_certificate
from tests.support.postgres_server import PostgresServer


def start_and_close(url: str) -> None:
    async def run() -> None:
        records = PostgresPhotoRecords(url, 2)
        await records.start()
        await records.close()

    asyncio.run(run())


def schema_versions(postgres, database: str) -> list[str]:
    return [row[0] for row in postgres.psql(database, "SELECT version FROM photos_schema ORDER BY version")]


def a_record(owner: str = "owner-1", created_at: float | None = None) -> PhotoRecord:
    """A record as the photo store makes one (its time to the microsecond)."""
    return PhotoRecord(
        id=os.urandom(9).hex(),
        owner=owner,
        description="d",
        created_at=created_at or round(time.time(), 6),
        content_type="image/png",
        width=3,
        height=2,
        size=100,
    )


def test_the_schema_is_made_at_start_up_and_a_second_start_changes_nothing(postgres):
    database = postgres.new_database()
    start_and_close(postgres.url(database))
    assert schema_versions(postgres, database) == [str(version) for version, _, _ in MIGRATIONS]
    applied_at = postgres.psql(database, "SELECT applied_at FROM photos_schema")
    columns = postgres.psql(
        database,
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'photos' ORDER BY ordinal_position",
    )
    assert [name for name, _ in columns] == [
        "id",
        "owner",
        "description",
        "created_at",
        "content_type",
        "width",
        "height",
        "size",
        "added",
    ]
    assert dict(columns)["created_at"] == "timestamp with time zone"

    async def again() -> list[PhotoRecord]:
        records = PostgresPhotoRecords(postgres.url(database), 2)
        await records.start()
        try:
            now = round(time.time(), 6)
            # Two photos of the same instant are listed in the order they were added, newest first.
            first, second = a_record(created_at=now), a_record(created_at=now)
            await records.add(first)
            await records.add(second)
            listed = await records.of_owner("owner-1")
            assert listed == [second, first]
            assert await records.get("owner-1", first.id) == first
            assert await records.find("owner-2", first.id) is None  # another owner's is not found
            await records.delete("owner-1", first.id)
            return await records.of_owner("owner-1")
        finally:
            await records.close()

    assert [record.description for record in asyncio.run(again())] == ["d"]
    assert postgres.psql(database, "SELECT applied_at FROM photos_schema") == applied_at


def test_servers_starting_together_make_the_schema_once(postgres):
    database = postgres.new_database()

    async def six_at_once() -> None:
        stores = [PostgresPhotoRecords(postgres.url(database), 2) for _ in range(6)]
        await asyncio.gather(*(store.start() for store in stores))
        await asyncio.gather(*(store.add(a_record()) for store in stores))
        assert len(await stores[0].of_owner("owner-1")) == 6
        await asyncio.gather(*(store.close() for store in stores))

    asyncio.run(six_at_once())
    assert schema_versions(postgres, database) == ["1"]


def test_a_migration_waits_for_the_advisory_lock(postgres):
    database = postgres.new_database()

    async def while_another_server_migrates() -> None:
        other = await asyncpg.connect(postgres.url(database))
        await other.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        records = PostgresPhotoRecords(postgres.url(database), 2)
        starting = asyncio.ensure_future(records.start())
        await asyncio.sleep(1.0)
        assert not starting.done()
        assert await other.fetchval("SELECT to_regclass('photos_schema')") is None  # nothing made meanwhile
        await other.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
        await asyncio.wait_for(starting, 10)
        assert await other.fetchval("SELECT count(*) FROM photos_schema") == 1
        await other.close()
        await records.close()

    asyncio.run(while_another_server_migrates())


def test_a_schema_newer_than_the_server_is_used_with_a_warning(postgres, caplog):
    database = postgres.new_database()
    start_and_close(postgres.url(database))
    postgres.psql(database, "INSERT INTO photos_schema (version, description) VALUES (2, 'from a newer server')")

    async def use() -> list[PhotoRecord]:
        records = PostgresPhotoRecords(postgres.url(database), 2)
        await records.start()
        await records.add(a_record())
        listed = await records.of_owner("owner-1")
        await records.close()
        return listed

    with caplog.at_level(logging.WARNING, logger="server.photos"):
        assert len(asyncio.run(use())) == 1
    assert "schema is at version 2, newer than this server's 1" in caplog.text


def test_each_process_opens_at_most_its_pool_of_connections(postgres):
    database = postgres.new_database()

    async def burst() -> None:
        records = PostgresPhotoRecords(postgres.url(database), 3)
        await records.start()
        lists = await asyncio.gather(*(records.of_owner("owner-1") for _ in range(40)))
        assert lists == [[]] * 40
        opened = postgres.psql(database, f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{database}'")
        await records.close()
        assert 1 <= int(opened[0][0]) <= 3 + 1, opened  # psql's own connection is the one more

    asyncio.run(burst())


def test_a_database_that_refuses_the_url_stops_start_up_without_telling_the_password(postgres, tmp_path):
    database = postgres.new_database()
    visitor, visitor_password = postgres.new_user()  # may log in, but not create tables in this database
    for url, refusal in (
        (postgres.url(database, password="not-the-password"), "InvalidPasswordError"),
        (postgres.url("no_such_database"), "InvalidCatalogNameError"),
        (
            postgres.url(database, user=visitor, password=visitor_password),
            "InsufficientPrivilegeError: permission denied for schema public",
        ),
    ):
        with pytest.raises(ConfigError, match=f"PHOTOS_DATABASE_URL: PostgreSQL at 127.0.0.1.*{refusal}") as caught:
            start_and_close(url)
        assert "not-the-password" not in str(caught.value) and postgres.password not in str(caught.value)
    # The server itself says so and stops, with no traceback.
    result = run_server(
        "--port",
        "0",
        timeout=60,
        LOCAL_COGNITO_DATA=str(tmp_path / "cognito"),
        LOCAL_COGNITO_PORT="0",
        PHOTOS_DATA=str(tmp_path / "photos"),
        PHOTOS_DATABASE_URL=postgres.url(database, password="not-the-password"),
    )
    assert result.returncode == 2, result.stderr
    assert "Cannot start: PHOTOS_DATABASE_URL: PostgreSQL at 127.0.0.1" in result.stderr
    assert "InvalidPasswordError" in result.stderr
    assert "not-the-password" not in result.stderr + result.stdout and "Traceback" not in result.stderr


def test_tls_with_sslmode_verify_full_checks_the_database_certificate(tmp_path):
    own = PostgresServer()
    try:
        cert_path, key_path = tls_certificate(str(tmp_path))  # for 127.0.0.1, its own CA
        own.serve_tls(cert_path, key_path)
        own.start()
        verified = own.url(query=f"sslmode=verify-full&sslrootcert={cert_path}")

        async def over_tls() -> bool:
            records = PostgresPhotoRecords(verified, 1)
            await records.start()
            try:
                await records.add(a_record())
                return await records._call(
                    lambda connection: connection.fetchval("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                )
            finally:
                await records.close()

        assert asyncio.run(over_tls()) is True
        # A certificate signed by another CA than the one named: start-up stops.
        other_ca = tmp_path / "other"
        other_ca.mkdir()
        wrong_root = tls_certificate(str(other_ca))[0]
        with pytest.raises(ConfigError, match=r"PHOTOS_DATABASE_URL: .*SSLCertVerificationError"):
            start_and_close(own.url(query=f"sslmode=verify-full&sslrootcert={wrong_root}"))
        assert own.psql("postgres", "SELECT count(*) FROM photos") == [["1"]]
    finally:
        own.remove()


# --- Over HTTP: a database down, unreachable, silent ----------------------------------------------


def signed_in_photos(base_url: str) -> Photos:
    client, email = new_account(base_url, "records")
    reply = client.call("signIn", user=email, **{"pass": PASSWORD})
    assert reply.status == 200, reply.body
    return Photos(client, reply.json["access_token"])


@contextlib.contextmanager
def server_on(config, url: str, tmp_path):
    server = serve_app(dataclasses.replace(config, photos_database_url=url, photos_dir=str(tmp_path / "photos")))
    try:
        yield server.url
    finally:
        server.stop()


def assert_unavailable(reply) -> None:
    assert (reply.status, reply.json["error"]) == (503, "StorageUnavailable"), reply.body


def test_a_database_that_goes_down_is_503_and_not_ready_until_it_is_back(config, tmp_path, caplog):
    own = PostgresServer()  # not started: the server starts before its database
    caplog.set_level(logging.INFO, logger="server.photos")
    try:
        with server_on(config, own.url(query="connect_timeout=2"), tmp_path) as base_url:
            photos, client = signed_in_photos(base_url), Client(base_url)
            assert_unavailable(photos.list())
            assert_unavailable(photos.upload(picture()))
            assert not any(files for _, _, files in os.walk(tmp_path / "photos"))  # no bytes without a record
            ready = client.request("GET", "/readyz")
            assert (ready.status, ready.json["error"]) == (503, "StorageUnavailable")

            own.start()  # the schema is made at the first call that reaches it
            assert client.request("GET", "/readyz").status == 200
            uploaded = photos.upload(picture(), "kept")
            assert uploaded.status == 201, uploaded.body
            assert own.psql("postgres", "SELECT description FROM photos") == [["kept"]]

            own.stop()
            assert_unavailable(photos.list())
            assert client.request("GET", "/readyz").json["error"] == "StorageUnavailable"
            own.start()
            assert photos.list().json["photos"] == [uploaded.json["photo"]]
            assert client.request("GET", "/readyz").status == 200
    finally:
        own.remove()
    logged = caplog.text
    assert "cannot be reached now" in logged and "cannot be used (ConnectionRefusedError" in logged
    assert logged.count("answers again") == 2
    assert own.password not in logged


@pytest.mark.parametrize("how", ["refusing connections", "never answering"])
def test_an_unreachable_database_is_503_within_the_connect_timeout(config, tmp_path, how):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        if how == "never answering":
            silent.listen(1)  # connections are taken by the kernel, never answered
        else:
            silent.close()
        started_at = time.monotonic()
        with server_on(
            config, f"postgresql://photos:secret@127.0.0.1:{port}/photos?connect_timeout=1", tmp_path
        ) as base_url:
            assert time.monotonic() - started_at < 8  # start-up did not wait for a database
            photos = signed_in_photos(base_url)
            for call in (
                photos.list,
                lambda: photos.upload(picture()),
                lambda: photos.get("NoSuchPhotoId123", "image"),
                lambda: photos.delete("NoSuchPhotoId123"),
            ):
                began = time.monotonic()
                assert_unavailable(call())
                assert time.monotonic() - began < 8  # the connect timeout (1 s) and the Cognito call, not more
            ready = Client(base_url).request("GET", "/readyz")
            assert (ready.status, ready.json["error"]) == (503, "StorageUnavailable")

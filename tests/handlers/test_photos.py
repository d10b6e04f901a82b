"""The photos API over real HTTP, against the local Cognito: uploads and their checks, owners,
tokens, deletion of the stored bytes, a restart, the hosted-UI session, and S3 (moto's server).

The tests of what is stored (``site``) run twice: with the records in SQLite, and in PostgreSQL
(a real server, ``tests.support.postgres_server``), whose answers must be the same."""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import io
import json
import os
import sqlite3
import struct
import time
import uuid
from typing import Callable

import boto3
import jwt
import pytest
from moto.server import ThreadedMotoServer
from PIL import Image

from local_cognito.tokens import TokenSigner
from server.config import Config
from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD, CODE, PASSWORD, Client, Photos, form, picture, serve_app
from tests.support.hosted_ui import signed_in_browser

FIVE_MIB = 5 * 1024 * 1024


def new_person(base_url: str) -> tuple[Photos, str]:
    client = Client(base_url)
    email = f"photos-{uuid.uuid4().hex[:12]}@example.com"
    assert client.call("createAccount", user=email, **{"pass": PASSWORD}).status == 200
    reply = client.call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD})
    assert reply.status == 200, reply.body
    return Photos(client, reply.json["access_token"]), email


def stored_records(config, owner: str) -> int:
    """How many rows the photos' SQLite file holds for ``owner``."""
    with contextlib.closing(sqlite3.connect(os.path.join(config.photos_dir, "photos.sqlite3"))) as db:
        return db.execute("SELECT count(*) FROM photos WHERE owner = ?", (owner,)).fetchone()[0]


@dataclasses.dataclass(frozen=True)
class Site:
    """A server of the photos API, its configuration, and how many records it holds for an owner
    (read from the store itself, not through the server)."""

    base_url: str
    config: Config
    records_of: Callable[[str], int]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request, base_url, config, tmp_path_factory):
    if request.param == "sqlite":  # the session's server
        yield Site(base_url, config, lambda owner: stored_records(config, owner))
        return
    postgres = request.getfixturevalue("postgres")
    database = postgres.new_database()
    database_config = dataclasses.replace(
        config, photos_database_url=postgres.url(database), photos_dir=str(tmp_path_factory.mktemp("photos-postgresql"))
    )
    server = serve_app(database_config)
    yield Site(server.url, database_config, lambda owner: postgres.photo_rows(database, owner))
    server.stop()


@pytest.fixture
def person(site) -> Photos:
    return new_person(site.base_url)[0]


def sub_of(token: str) -> str:
    return jwt.decode(token, options={"verify_signature": False})["sub"]


def assert_error(reply, status: int, code: str) -> None:
    assert (reply.status, reply.json["error"]) == (status, code), reply.body
    assert reply.headers["Content-Type"].startswith("application/json")


def test_upload_list_and_read_back(person):
    first = picture("PNG", (640, 480))
    uploaded = person.upload(first, "Sunset <b>over</b> the bay")
    assert uploaded.status == 201, uploaded.body
    photo = uploaded.json["photo"]
    assert photo["description"] == "Sunset <b>over</b> the bay"  # plain text, kept as typed
    assert (photo["content_type"], photo["width"], photo["height"], photo["size"]) == (
        "image/png",
        640,
        480,
        len(first),
    )
    assert photo["image_url"] == f"/photos/{photo['id']}/image"
    assert photo["thumbnail_url"] == f"/photos/{photo['id']}/thumbnail"
    assert abs(time.mktime(time.strptime(photo["created_at"], "%Y-%m-%dT%H:%M:%SZ")) - time.mktime(time.gmtime())) < 60
    second = person.upload(picture(), "Second").json["photo"]

    listed = person.list()
    assert listed.status == 200
    assert [p["id"] for p in listed.json["photos"]] == [second["id"], photo["id"]]  # newest first
    assert listed.json["photos"][1] == photo

    image = person.get(photo["id"], "image")
    assert image.status == 200 and image.body == first
    assert image.headers["Content-Type"] == "image/png"
    assert image.headers["Cache-Control"] == "private, no-store"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    thumbnail = person.get(photo["id"], "thumbnail")
    assert thumbnail.headers["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(thumbnail.body)) as small:
        assert (small.format, small.size) == ("JPEG", (300, 300))


def test_the_thumbnail_is_turned_by_the_exif_orientation(person):
    # Orientation 6: the camera was turned; shown upright, the left (red) half is on top.
    photo = person.upload(picture("JPEG", (400, 200), orientation=6)).json["photo"]
    assert (photo["width"], photo["height"]) == (200, 400)
    with Image.open(io.BytesIO(person.get(photo["id"], "thumbnail").body)) as small:
        top, bottom = small.convert("RGB").getpixel((150, 20)), small.convert("RGB").getpixel((150, 280))
    assert top[0] > 200 and top[2] < 60, top  # red
    assert bottom[2] > 200 and bottom[0] < 60, bottom  # blue
    # Without the tag, the same picture stays on its side: red left, blue right.
    plain = person.upload(picture("JPEG", (400, 200))).json["photo"]
    with Image.open(io.BytesIO(person.get(plain["id"], "thumbnail").body)) as small:
        assert small.convert("RGB").getpixel((20, 150))[0] > 200
        assert small.convert("RGB").getpixel((280, 150))[2] > 200


@pytest.mark.parametrize(
    "name, data",
    [
        ("text named .jpg", b"I am not a picture, whatever my name says.\n" * 20),
        ("truncated JPEG", picture("JPEG", (800, 600))[:1500]),
        ("PNG signature then garbage", b"\x89PNG\r\n\x1a\n" + os.urandom(4000)),
        ("an SVG", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("a BMP (not a type this site takes)", picture("BMP")),
        ("empty", b""),
    ],
)
def test_only_real_pictures_are_taken(person, name, data):
    assert_error(person.upload(data, "x"), 400, "NotAnImage")
    assert person.list().json["photos"] == []  # nothing was stored


def test_size_limit_is_five_mebibytes(person):
    jpeg = picture()
    # Exactly 5 MiB (a JPEG with data after its end marker, which decoders ignore) is taken.
    at_limit = jpeg + b"\0" * (FIVE_MIB - len(jpeg))
    assert person.upload(at_limit).status == 201
    # One byte more is refused, whether the body is just over or far over the limit.
    assert_error(person.upload(at_limit + b"\0"), 413, "PhotoTooLarge")
    assert_error(person.upload(os.urandom(FIVE_MIB + 200_000)), 413, "PhotoTooLarge")
    assert len(person.list().json["photos"]) == 1


def test_descriptions_are_plain_text_of_at_most_500_characters(person):
    assert person.upload(picture(), "é" * 500).json["photo"]["description"] == "é" * 500
    assert person.upload(picture(), "line one\r\n\tline two").json["photo"]["description"] == ("line one\n\tline two")
    for bad in ("x" * 501, "NUL\0", "escape\x1b[31m", b"\xff\xfe not UTF-8"):
        reply = person.upload(picture(), bad)
        assert_error(reply, 400, "InvalidField")
        assert reply.json["field"] == "description"
    assert person.upload(picture(), None).json["photo"]["description"] == ""
    assert len(person.list().json["photos"]) == 3


def test_the_form_must_carry_one_photo_as_multipart(person):
    assert_error(person.upload(None, "no file"), 400, "MissingField")
    reply = person.client.request("POST", "/photos", picture(), person.headers({"Content-Type": "image/jpeg"}))
    assert_error(reply, 400, "InvalidRequest")
    reply = person.client.request(
        "POST", "/photos", b"--x\r\nbroken", person.headers({"Content-Type": "multipart/form-data; boundary=x"})
    )
    assert_error(reply, 400, "InvalidRequest")


def test_another_persons_photo_is_404_not_403(site, person):
    photo = person.upload(picture(), "mine").json["photo"]
    stranger = new_person(site.base_url)[0]
    for reply in (
        stranger.get(photo["id"], "image"),
        stranger.get(photo["id"], "thumbnail"),
        stranger.delete(photo["id"]),
    ):
        assert_error(reply, 404, "PhotoNotFound")
    assert_error(stranger.get("NoSuchPhotoId123", "image"), 404, "PhotoNotFound")
    assert stranger.list().json["photos"] == []
    assert person.get(photo["id"], "image").status == 200  # still there for its owner


def test_no_token_is_401_and_bad_tokens_are_refused(site, person, local_pool, tmp_path):
    photo = person.upload(picture()).json["photo"]
    anonymous = Client(site.base_url)
    for method, path in (
        ("GET", "/photos"),
        ("POST", "/photos"),
        ("GET", f"/photos/{photo['id']}/image"),
        ("DELETE", f"/photos/{photo['id']}"),
    ):
        assert_error(anonymous.request(method, path, b"" if method == "POST" else None), 401, "MissingToken")

    pool = local_pool[0].pool
    claims = jwt.decode(person.token, options={"verify_signature": False})
    other_key = TokenSigner(str(tmp_path / "other.pem"))
    now = int(time.time())
    refused = {
        "forged with our key id": (
            jwt.encode(claims, other_key._key, algorithm="RS256", headers={"kid": pool.signer.kid}),
            "InvalidToken",
        ),
        "unsigned": (jwt.encode(claims, None, algorithm="none"), "InvalidToken"),
        "another client": (pool.signer.sign({**claims, "client_id": "another"}), "InvalidToken"),
        "expired": (pool.signer.sign({**claims, "iat": now - 7200, "exp": now - 3600}), "TokenExpired"),
        "an id token": (
            person.client.call("signIn", user=claims["username"], **{"pass": PASSWORD}).json.get("id_token", "x.y.z"),
            "InvalidToken",
        ),
    }
    for name, (token, code) in refused.items():
        reply = Photos(anonymous, token).get(photo["id"], "image")
        assert (reply.status, reply.json["error"]) == (401, code), name
    reply = anonymous.request("GET", "/photos", headers={"Authorization": f"Basic {person.token}"})
    assert_error(reply, 401, "InvalidToken")


def test_deleting_removes_the_record_and_the_stored_bytes(site, person):
    photo = person.upload(picture(), "to delete").json["photo"]
    folder = os.path.join(site.config.photos_dir, "objects", sub_of(person.token), photo["id"])
    assert sorted(os.listdir(folder)) == ["image", "thumbnail"]
    assert site.records_of(sub_of(person.token)) == 1
    reply = person.delete(photo["id"])
    assert reply.status == 200 and reply.json == {}
    assert not os.path.exists(folder)
    assert site.records_of(sub_of(person.token)) == 0
    assert person.list().json["photos"] == []
    assert_error(person.get(photo["id"], "image"), 404, "PhotoNotFound")
    assert_error(person.delete(photo["id"]), 404, "PhotoNotFound")


def test_records_and_bytes_survive_a_restart(site, person):
    photo = person.upload(picture(), "kept").json["photo"]
    # A second server over the same data folder (and database), with stores opened afresh.
    restarted = serve_app(site.config)
    try:
        again = Photos(Client(f"http://127.0.0.1:{restarted.port}"), person.token)
        assert again.list().json["photos"] == [photo]
        assert again.get(photo["id"], "image").body == person.get(photo["id"], "image").body
    finally:
        restarted.stop()


def test_deleting_the_account_deletes_its_photos(site, person):
    photo = person.upload(picture()).json["photo"]
    owner_folder = os.path.join(site.config.photos_dir, "objects", sub_of(person.token))
    assert os.listdir(owner_folder) == [photo["id"]]
    assert person.client.call("deleteAcct", access_token=person.token).status == 200
    assert not os.path.exists(os.path.join(owner_folder, photo["id"]))
    assert site.records_of(sub_of(person.token)) == 0


def test_the_hosted_ui_session_cookie_also_works_but_only_from_this_site(base_url):
    photos, email = new_person(base_url)
    photo = photos.upload(picture(), "via token").json["photo"]
    browser = signed_in_browser(base_url, email)
    listed = browser.request("GET", "/photos", headers={"Sec-Fetch-Site": "same-origin"})
    assert [p["id"] for p in listed.json["photos"]] == [photo["id"]]
    image = browser.request("GET", photo["thumbnail_url"], headers={"Sec-Fetch-Site": "same-origin"})
    assert image.status == 200 and image.headers["Content-Type"] == "image/jpeg"
    # Another site's page (an <img> or a form pointing here) cannot use the session.
    assert_error(
        browser.request("GET", photo["image_url"], headers={"Sec-Fetch-Site": "cross-site"}), 403, "UntrustedOrigin"
    )
    body, headers = form(picture(), "planted")
    assert_error(
        browser.request("POST", "/photos", body, {**headers, "Origin": "http://evil.localhost"}), 403, "UntrustedOrigin"
    )
    assert len(photos.list().json["photos"]) == 1


@pytest.fixture(scope="module")
def s3(config):
    """moto's S3 over HTTP, a bucket in it, and a server keeping photo bytes there."""
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{moto.get_host_and_port()[1]}"
    bucket = "photos-" + uuid.uuid4().hex[:8]
    s3_client = boto3.client(
        "s3", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test"
    )
    s3_client.create_bucket(Bucket=bucket)
    s3_config = dataclasses.replace(
        config, photos_bucket=bucket, s3_endpoint_url=endpoint, photos_dir=config.photos_dir + "-s3"
    )
    server = serve_app(s3_config)
    yield f"http://127.0.0.1:{server.port}", s3_client, bucket, s3_config
    server.stop()
    moto.stop()


def bucket_keys(s3_client, bucket) -> set[str]:
    return {item["Key"] for item in s3_client.list_objects_v2(Bucket=bucket).get("Contents", [])}


def test_with_photos_bucket_the_bytes_go_to_s3(s3):
    base, s3_client, bucket, s3_config = s3
    photos, _ = new_person(base)
    data = picture("PNG")
    photo = photos.upload(data, "in the bucket").json["photo"]
    prefix = f"{sub_of(photos.token)}/{photo['id']}/"
    assert bucket_keys(s3_client, bucket) >= {prefix + "image", prefix + "thumbnail"}
    stored = s3_client.get_object(Bucket=bucket, Key=prefix + "image")
    assert stored["Body"].read() == data and stored["ContentType"] == "image/png"
    assert photos.get(photo["id"], "image").body == data
    assert not os.path.exists(os.path.join(s3_config.photos_dir, "objects"))  # nothing on disk
    assert photos.delete(photo["id"]).status == 200
    assert not {k for k in bucket_keys(s3_client, bucket) if k.startswith(prefix)}


def test_when_the_bucket_fails_nothing_is_half_stored(s3):
    base, s3_client, bucket, _ = s3
    photos, _ = new_person(base)
    kept = photos.upload(picture(), "before").json["photo"]
    s3_client.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:PutObject",
                        "Resource": f"arn:aws:s3:::{bucket}/*",
                    }
                ],
            }
        ),
    )
    try:
        reply = photos.upload(picture(), "refused")
    finally:
        s3_client.delete_bucket_policy(Bucket=bucket)
    assert_error(reply, 503, "StorageUnavailable")
    assert "request_id" in reply.json
    assert [p["id"] for p in photos.list().json["photos"]] == [kept["id"]]
    assert photos.get(kept["id"], "image").status == 200


def exif_with_a_badly_typed_tag(orientation: int) -> bytes:
    """EXIF with the orientation and an ImageDescription stored as a number, as some cameras write
    it: Pillow's own exif_transpose fails to write such EXIF back."""
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 2)
    tiff += struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0)
    tiff += struct.pack("<HHII", 0x010E, 5, 1, 38)  # RATIONAL where ASCII belongs
    tiff += struct.pack("<I", 0) + struct.pack("<II", 1, 3)
    return b"Exif\x00\x00" + tiff


def saved(image: Image.Image, kind: str, **options) -> bytes:
    output = io.BytesIO()
    image.save(output, kind, **options)
    return output.getvalue()


def test_odd_exif_animations_and_transparency_are_handled(person):
    red_left = Image.open(io.BytesIO(picture("JPEG", (400, 200))))
    odd = person.upload(saved(red_left, "JPEG", exif=exif_with_a_badly_typed_tag(6)))
    assert odd.status == 201, odd.body
    assert (odd.json["photo"]["width"], odd.json["photo"]["height"]) == (200, 400)  # still turned upright
    with Image.open(io.BytesIO(person.get(odd.json["photo"]["id"], "thumbnail").body)) as small:
        assert small.convert("RGB").getpixel((150, 20))[0] > 200  # red on top

    frames = [Image.new("P", (50, 50), colour) for colour in (1, 2, 3)]
    animated = saved(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    reply = person.upload(animated)
    assert reply.status == 201 and reply.json["photo"]["content_type"] == "image/gif"
    assert person.get(reply.json["photo"]["id"], "image").body == animated

    clear = person.upload(saved(Image.new("RGBA", (64, 64), (0, 0, 0, 0)), "PNG")).json["photo"]
    with Image.open(io.BytesIO(person.get(clear["id"], "thumbnail").body)) as small:
        assert min(small.convert("RGB").getpixel((150, 150))) > 245  # white, not black


def test_a_picture_with_too_many_pixels_is_refused_before_it_is_decoded(person):
    huge = saved(Image.new("L", (8000, 5001)), "PNG")  # 40,008,000 pixels in a small file
    assert len(huge) < 200_000
    reply = person.upload(huge)
    assert_error(reply, 400, "NotAnImage")
    assert "pixels" in reply.json["message"]
    assert person.upload(saved(Image.new("L", (8000, 5000)), "PNG")).status == 201  # exactly the limit


def test_no_token_is_401_even_from_another_site(base_url):
    anonymous = Client(base_url)
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        assert_error(anonymous.request("GET", "/photos", headers=headers), 401, "MissingToken")


def test_uploads_need_a_live_account_and_deleted_accounts_lose_their_photos(site, person):
    photo = person.upload(picture()).json["photo"]
    owner = sub_of(person.token)
    assert site.records_of(owner) == 1
    assert person.client.call("deleteAcct", access_token=person.token).status == 200
    assert site.records_of(owner) == 0
    assert not os.path.exists(os.path.join(site.config.photos_dir, "objects", owner))
    # The token has not expired, but its session ended with the account: it reads nothing more...
    assert_error(person.get(photo["id"], "image"), 401, "InvalidToken")
    # ... and Cognito no longer knows it: nothing more is stored with it, and the list says so (a
    # page learns it there).
    assert_error(person.upload(picture(), "after deletion"), 401, "InvalidToken")
    assert_error(person.list(), 401, "InvalidToken")

    signed_out, _ = new_person(site.base_url)
    signed_out.upload(picture())
    assert signed_out.list().status == 200
    assert signed_out.client.call("signOut", **{"global": True}).status == 200
    assert_error(signed_out.upload(picture()), 401, "InvalidToken")
    assert_error(signed_out.list(), 401, "InvalidToken")


def test_an_admin_deleting_a_user_deletes_their_photos(site):
    photos, email = new_person(site.base_url)
    photos.upload(picture())
    owner = sub_of(photos.token)
    assert site.records_of(owner) == 1
    admin = Client(site.base_url)
    admin_token = admin.call("signIn", user=ADMIN_EMAIL, **{"pass": ADMIN_PASSWORD}).json["access_token"]
    assert admin.call("adminDeleteUser", user=email, access_token=admin_token).status == 200
    assert not os.path.exists(os.path.join(site.config.photos_dir, "objects", owner))
    assert site.records_of(owner) == 0


def test_form_details(person):
    body, headers = form(picture(), "Upper-case type")
    reply = person.client.request(
        "POST",
        "/photos",
        body,
        person.headers({"Content-Type": headers["Content-Type"].replace("multipart/form-data", "Multipart/Form-Data")}),
    )
    assert reply.status == 201 and reply.json["photo"]["description"] == "Upper-case type"
    # A description sent as a file is refused, not dropped.
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\n\r\n'.encode()
        + picture()
        + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="description"; '
        f'filename="d.txt"\r\n\r\ntext\r\n--{boundary}--\r\n'.encode()
    )
    reply = person.client.request(
        "POST", "/photos", body, person.headers({"Content-Type": f"multipart/form-data; boundary={boundary}"})
    )
    assert_error(reply, 400, "InvalidField")
    reply = person.client.request("PUT", "/photos", b"", person.headers())
    assert_error(reply, 405, "MethodNotAllowed")
    assert reply.headers["Allow"] == "GET, POST, OPTIONS" and "GET, POST" in reply.json["message"]


def test_a_refused_upload_is_answered_after_its_body_and_a_huge_one_at_once(base_url):
    body, headers = form(os.urandom(2 * 1024 * 1024))
    # No token: the 2 MiB body is read and dropped, then the 401 arrives (no reset connection).
    reply = Client(base_url).request("POST", "/photos", body, headers)
    assert_error(reply, 401, "MissingToken")
    # Announced far over the limit: answered before any of it is sent.
    connection = http.client.HTTPConnection(base_url.split("//")[1], timeout=10)
    connection.putrequest("POST", "/photos")
    connection.putheader("Content-Length", str(200 * 1024 * 1024))
    connection.putheader("Content-Type", headers["Content-Type"])
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413 and json.loads(response.read())["error"] == "PhotoTooLarge"
    connection.close()


def test_an_unusable_photos_folder_is_503_not_500(config, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the photos folder should be")
    server = serve_app(dataclasses.replace(config, photos_dir=str(blocker / "photos")))
    try:
        photos, _ = new_person(f"http://127.0.0.1:{server.port}")
        reply = photos.upload(picture())
        assert_error(reply, 503, "StorageUnavailable")
        assert "request_id" in reply.json and "not-a-folder" not in reply.body.decode()
        assert_error(photos.list(), 503, "StorageUnavailable")
    finally:
        server.stop()

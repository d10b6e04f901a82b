"""The photos API over real HTTP, against the local Cognito: uploads and their checks, owners,
tokens, deletion of the stored bytes, a restart, the hosted-UI session, and S3 (moto's server)."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import time
import uuid

import boto3
import jwt
import pytest
from moto.server import ThreadedMotoServer
from PIL import Image

from server.local_cognito.tokens import TokenSigner
from tests.support import CODE, PASSWORD, Client, Photos, form, picture, serve_app
from tests.test_hosted_ui import signed_in_browser

FIVE_MIB = 5 * 1024 * 1024


def new_person(base_url: str) -> tuple[Photos, str]:
    client = Client(base_url)
    email = f"photos-{uuid.uuid4().hex[:12]}@example.com"
    assert client.call("createAccount", user=email, **{"pass": PASSWORD}).status == 200
    reply = client.call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD})
    assert reply.status == 200, reply.body
    return Photos(client, reply.json["access_token"]), email


@pytest.fixture
def person(base_url) -> Photos:
    return new_person(base_url)[0]


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
        "image/png", 640, 480, len(first))
    assert photo["image_url"] == f"/photos/{photo['id']}/image"
    assert photo["thumbnail_url"] == f"/photos/{photo['id']}/thumbnail"
    assert abs(time.mktime(time.strptime(photo["created_at"], "%Y-%m-%dT%H:%M:%SZ")) - time.mktime(
        time.gmtime())) < 60
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


@pytest.mark.parametrize("name, data", [
    ("text named .jpg", b"I am not a picture, whatever my name says.\n" * 20),
    ("truncated JPEG", picture("JPEG", (800, 600))[:1500]),
    ("PNG signature then garbage", b"\x89PNG\r\n\x1a\n" + os.urandom(4000)),
    ("an SVG", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("a BMP (not a type this site takes)", picture("BMP")),
    ("empty", b""),
])
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
    assert person.upload(picture(), "line one\r\n\tline two").json["photo"]["description"] == (
        "line one\n\tline two")
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
    reply = person.client.request("POST", "/photos", b"--x\r\nbroken", person.headers(
        {"Content-Type": "multipart/form-data; boundary=x"}))
    assert_error(reply, 400, "InvalidRequest")


def test_another_persons_photo_is_404_not_403(base_url, person):
    photo = person.upload(picture(), "mine").json["photo"]
    stranger = new_person(base_url)[0]
    for reply in (stranger.get(photo["id"], "image"), stranger.get(photo["id"], "thumbnail"),
                  stranger.delete(photo["id"])):
        assert_error(reply, 404, "PhotoNotFound")
    assert_error(stranger.get("NoSuchPhotoId123", "image"), 404, "PhotoNotFound")
    assert stranger.list().json["photos"] == []
    assert person.get(photo["id"], "image").status == 200  # still there for its owner


def test_no_token_is_401_and_bad_tokens_are_refused(base_url, person, local_pool, config, tmp_path):
    photo = person.upload(picture()).json["photo"]
    anonymous = Client(base_url)
    for method, path in (("GET", "/photos"), ("POST", "/photos"), ("GET", f"/photos/{photo['id']}/image"),
                         ("DELETE", f"/photos/{photo['id']}")):
        assert_error(anonymous.request(method, path, b"" if method == "POST" else None), 401, "MissingToken")

    pool = local_pool[0].pool
    claims = jwt.decode(person.token, options={"verify_signature": False})
    other_key = TokenSigner(str(tmp_path / "other.pem"))
    now = int(time.time())
    refused = {
        "forged with our key id": (jwt.encode(claims, other_key._key, algorithm="RS256",
                                              headers={"kid": pool.signer.kid}), "InvalidToken"),
        "unsigned": (jwt.encode(claims, None, algorithm="none"), "InvalidToken"),
        "another client": (pool.signer.sign({**claims, "client_id": "another"}), "InvalidToken"),
        "expired": (pool.signer.sign({**claims, "iat": now - 7200, "exp": now - 3600}), "TokenExpired"),
        "an id token": (person.client.call("signIn", user=claims["username"], **{"pass": PASSWORD}).json.get(
            "id_token", "x.y.z"), "InvalidToken"),
    }
    for name, (token, code) in refused.items():
        reply = Photos(anonymous, token).get(photo["id"], "image")
        assert (reply.status, reply.json["error"]) == (401, code), name
    reply = anonymous.request("GET", "/photos", headers={"Authorization": f"Basic {person.token}"})
    assert_error(reply, 401, "InvalidToken")


def test_deleting_removes_the_record_and_the_stored_bytes(person, config):
    photo = person.upload(picture(), "to delete").json["photo"]
    folder = os.path.join(config.photos_dir, "objects", sub_of(person.token), photo["id"])
    assert sorted(os.listdir(folder)) == ["image", "thumbnail"]
    reply = person.delete(photo["id"])
    assert reply.status == 200 and reply.json == {}
    assert not os.path.exists(folder)
    assert person.list().json["photos"] == []
    assert_error(person.get(photo["id"], "image"), 404, "PhotoNotFound")
    assert_error(person.delete(photo["id"]), 404, "PhotoNotFound")


def test_records_and_bytes_survive_a_restart(base_url, config, person):
    photo = person.upload(picture(), "kept").json["photo"]
    # A second server over the same data folder, with stores opened afresh.
    restarted = serve_app(config)
    try:
        again = Photos(Client(f"http://127.0.0.1:{restarted.port}"), person.token)
        assert again.list().json["photos"] == [photo]
        assert again.get(photo["id"], "image").body == person.get(photo["id"], "image").body
    finally:
        restarted.stop()


def test_deleting_the_account_deletes_its_photos(person, config):
    photo = person.upload(picture()).json["photo"]
    owner_folder = os.path.join(config.photos_dir, "objects", sub_of(person.token))
    assert os.listdir(owner_folder) == [photo["id"]]
    assert person.client.call("deleteAcct", access_token=person.token).status == 200
    assert not os.path.exists(os.path.join(owner_folder, photo["id"]))


def test_the_hosted_ui_session_cookie_also_works_but_only_from_this_site(base_url):
    photos, email = new_person(base_url)
    photo = photos.upload(picture(), "via token").json["photo"]
    browser = signed_in_browser(base_url, email)
    listed = browser.request("GET", "/photos", headers={"Sec-Fetch-Site": "same-origin"})
    assert [p["id"] for p in listed.json["photos"]] == [photo["id"]]
    image = browser.request("GET", photo["thumbnail_url"], headers={"Sec-Fetch-Site": "same-origin"})
    assert image.status == 200 and image.headers["Content-Type"] == "image/jpeg"
    # Another site's page (an <img> or a form pointing here) cannot use the session.
    assert_error(browser.request("GET", photo["image_url"], headers={"Sec-Fetch-Site": "cross-site"}),
                 403, "UntrustedOrigin")
    body, headers = form(picture(), "planted")
    assert_error(browser.request("POST", "/photos", body, {**headers, "Origin": "http://evil.localhost"}),
                 403, "UntrustedOrigin")
    assert len(photos.list().json["photos"]) == 1


@pytest.fixture(scope="module")
def s3(config):
    """moto's S3 over HTTP, a bucket in it, and a server keeping photo bytes there."""
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    endpoint = "http://127.0.0.1:%d" % moto.get_host_and_port()[1]
    bucket = "photos-" + uuid.uuid4().hex[:8]
    s3_client = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint,
                             aws_access_key_id="test", aws_secret_access_key="test")
    s3_client.create_bucket(Bucket=bucket)
    s3_config = dataclasses.replace(config, photos_bucket=bucket, s3_endpoint_url=endpoint,
                                    photos_dir=config.photos_dir + "-s3")
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
    s3_client.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    try:
        reply = photos.upload(picture(), "refused")
    finally:
        s3_client.delete_bucket_policy(Bucket=bucket)
    assert_error(reply, 503, "StorageUnavailable")
    assert "request_id" in reply.json
    assert [p["id"] for p in photos.list().json["photos"]] == [kept["id"]]
    assert photos.get(kept["id"], "image").status == 200

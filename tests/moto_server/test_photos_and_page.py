"""Photos with an access token moto issued, and the page signing in with an authenticator code in
headless Chromium, against moto's server."""

from __future__ import annotations

import json

import jwt
from playwright.sync_api import expect

from tests.support import PASSWORD, Photos, picture
from tests.support.against_moto import assert_clean_error, signed_up, totp_code, with_authenticator
from tests.support.chromium import chromium_page, expect_signed_in, sign_in


def test_photos_with_a_moto_issued_token(server):
    client, _, tokens = signed_up(server)
    photos = Photos(client, tokens["access_token"])
    reply = photos.upload(picture(), "taken against moto")
    assert reply.status == 201, reply.body
    photo = reply.json["photo"]
    listed = photos.list()
    assert listed.status == 200 and [p["id"] for p in listed.json["photos"]] == [photo["id"]]
    assert photos.get(photo["id"], "thumbnail").headers["Content-Type"] == "image/jpeg"
    assert photos.delete(photo["id"]).status == 200
    assert photos.list().json["photos"] == []
    forged = jwt.encode({"sub": "x", "token_use": "access"}, "k" * 32, algorithm="HS256")
    assert_clean_error(Photos(client, forged).list(), 401, "InvalidToken")


def test_the_page_signs_in_with_an_authenticator_code_against_moto(server):
    """The page sends the email the person typed with the authenticator code, so its MFA sign-in
    works where the challenge does not name the user (test_moto_gap_challenges_lack_user_id_for_srp)."""
    email, secret = with_authenticator(server)
    with chromium_page() as page:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server + "/")
        sign_in(page, email, PASSWORD)
        expect(page.locator("#mfa-form")).to_be_visible()
        page.fill("#mfa-code", totp_code(secret))
        with page.expect_request(
            lambda request: (
                request.method == "POST"
                and request.url == server + "/"
                and '"respondToChallenge"' in (request.post_data or "")
            )
        ) as sent:
            page.press("#mfa-code", "Enter")
        assert json.loads(sent.value.post_data)["user"] == email
        expect_signed_in(page, email)
        assert errors == []

"""The tutorial's Thunder Client walkthrough with its exact bodies, in two halves around a restart
of the server: what a newcomer does first (create, confirm, change the password, sign in, refresh,
upload a photo), and what must still work after the restart (the session, the photos, sign-out,
account deletion). Played against ``python tornado_server.py`` and against the container image."""

from __future__ import annotations

import dataclasses

from tests.support.http import Client, Photos
from tests.support.pictures import picture

EMAIL = "shieldmousetower734@gmail.com"

# The bodies exactly as the tutorial prints them (tabs, spaces and all). CONFIRM's code is the one
# local-mode server processes pin (LOCAL_SERVER_CODE).
CREATE = b"""{
	"env":"createAccount",
	"user":"shieldmousetower734@gmail.com",
	"pass":"I_love_apples" 
}"""  # noqa: W291 (the tutorial's own trailing space)
CONFIRM = b"""{
	"env":"confirmAccount",
	"user":"shieldmousetower734@gmail.com",
    "pass":"I_love_apples",
	"conf_code":"110260" 
}"""  # noqa: W291 (the tutorial's own trailing space)
CHANGE = """{
	"env":"changePass",
    "old_pass":"I_love_apples",
    "new_pass":"I_love_apples_again",
    "access_token":"%s"
}"""
SIGN_IN = b"""{
	"env":"signIn",
	"user":"shieldmousetower734@gmail.com",
    "pass":"I_love_apples_again"
}"""
DELETE = """{
	"env":"deleteAcct",
    "access_token":"%s"
}"""


@dataclasses.dataclass
class BeforeTheRestart:
    """What the first half leaves: the last access token, the photos API as the person, and the photo."""

    access_token: str
    photos: Photos
    photo: dict


def walk_through_before_a_restart(client: Client) -> BeforeTheRestart:
    # Thunder Client sends these as JSON; Postman's "raw text" sends text/plain.
    reply = client.post(CREATE, content_type="text/plain")
    assert reply.status == 200 and reply.json["message"] == "OK", reply.body

    reply = client.post(CONFIRM)
    assert reply.status == 200, reply.body
    access_token = reply.json["access_token"]
    assert reply.json["token_type"] == "Bearer" and reply.json["expires_in"] > 0
    assert "refresh" not in reply.body.decode().lower()  # the refresh token is only in the cookie
    assert "__Host-refresh" in client.cookies

    reply = client.post((CHANGE % access_token).encode(), content_type=None)
    assert reply.status == 200 and reply.json["message"] == "OK"
    assert reply.json["other_sessions_ended"] is True and reply.json["access_token"] != access_token

    reply = client.post(SIGN_IN)
    assert reply.status == 200
    assert reply.json["access_token"] != access_token

    reply = client.call("refresh")
    assert reply.status == 200 and reply.json["access_token"]
    access_token = reply.json["access_token"]

    photos = Photos(client, access_token)
    photo = photos.upload(picture(), "before the restart").json["photo"]
    return BeforeTheRestart(access_token, photos, photo)


def walk_through_after_a_restart(client: Client, before: BeforeTheRestart) -> None:
    """A restart keeps the user, the password and the session (cookie and refresh token), and the
    photos; then sign-out revokes the session and deleting the account ends it all."""
    reply = client.call("refresh")
    assert reply.status == 200, reply.body
    assert client.call("getUser", access_token=reply.json["access_token"]).json["attributes"]["email"] == EMAIL
    # ... and the photos, records and bytes.
    photos = before.photos
    photos.token = reply.json["access_token"]
    assert photos.list().json["photos"] == [before.photo]
    assert photos.get(before.photo["id"], "image").body == picture()

    kept_cookies = dict(client.cookies)
    reply = client.call("signOut")
    assert reply.status == 200 and "__Host-refresh" not in client.cookies
    # The revoked refresh token no longer works, even for a client that kept the old cookie.
    client.cookies = kept_cookies
    reply = client.call("refresh")
    assert reply.status == 401 and reply.json["error"] == "SessionExpired"

    reply = client.post(SIGN_IN)
    assert reply.status == 200
    reply = client.post((DELETE % reply.json["access_token"]).encode())
    assert reply.status == 200 and "__Host-refresh" not in client.cookies
    assert client.post(SIGN_IN).status == 401

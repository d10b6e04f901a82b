"""The photos API: each signed-in person's own photos.

- ``GET /photos``: the caller's photos, newest first.
- ``POST /photos``: a multipart form with ``photo`` (a JPEG, PNG, GIF or WebP picture of at most
  5 MiB, checked by decoding it) and ``description`` (plain text, at most 500 characters). A
  300×300 thumbnail is made, turned upright by the EXIF orientation.
- ``GET /photos/{id}/image``, ``GET /photos/{id}/thumbnail``: the bytes.
- ``DELETE /photos/{id}``: the record and both stored objects.

Who is calling: ``Authorization: Bearer <access token>``, verified here against the pool's keys
(signature, issuer, client, expiry) and refused when its session was signed out through this server
(``server.revocations``), or the hosted-UI session cookie from this site's own pages. Uploads and
deletions also ask Cognito (GetUser), so a token of a session signed out anywhere, or of a deleted
or disabled account, changes nothing.
Another person's photo is answered exactly as a photo that does not exist (404), so ids cannot be
probed.
"""

from __future__ import annotations

import datetime
import logging
import unicodedata
from typing import Any

import tornado.httputil
import tornado.web

from server.answers import Answer
from server.call import Call
from server.endpoint import BoundedBodyHandler, guarded
from server.errors import ApiError
from server.images import MAX_PIXELS, checked_photo
from server.photo_store import PhotoRecord
from server.route_description import COGNITO_TROUBLE, Operation, json_answer, ref

log = logging.getLogger("handlers.photos")

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_DESCRIPTION_CHARACTERS = 500
# Room in a request for the form's boundaries, part headers and the description.
FORM_OVERHEAD_BYTES = 64 * 1024
# Who is calling the photos API: a Bearer token, or the browser session of this site's pages.
CALLER_CHECK = ("MissingToken", "InvalidToken", "TokenExpired", "UntrustedOrigin")


async def remove_photos_of(call: Call, owner: str) -> None:
    """After an account is deleted: its photos go too. A failure is logged, not answered, because
    the account is gone all the same; the photos left are found by their owner's ``sub``."""
    try:
        await call.photos.delete_all(owner)
    except ApiError:
        log.error("photos of deleted account %s could not all be removed", owner)


# What photo_view answers, for /openapi.json.
PHOTO_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "description": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "image_url": {"type": "string"},
        "thumbnail_url": {"type": "string"},
        "content_type": {"type": "string"},
        "width": {"type": "integer"},
        "height": {"type": "integer"},
        "size": {"type": "integer"},
    },
    "required": [
        "id",
        "description",
        "created_at",
        "image_url",
        "thumbnail_url",
        "content_type",
        "width",
        "height",
        "size",
    ],
    "additionalProperties": False,
}


def photo_view(record: PhotoRecord) -> dict[str, Any]:
    created = datetime.datetime.fromtimestamp(record.created_at, datetime.UTC)
    return {
        "id": record.id,
        "description": record.description,
        "created_at": created.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "image_url": f"/photos/{record.id}/image",
        "thumbnail_url": f"/photos/{record.id}/thumbnail",
        "content_type": record.content_type,
        "width": record.width,
        "height": record.height,
        "size": record.size,
    }


def description_text(values: list[bytes]) -> str:
    """The description as plain text: UTF-8, no control characters but line breaks and tabs."""
    if not values:
        return ""
    if len(values) > 1:
        raise ApiError("InvalidField", "Send one description.", field="description")
    try:
        text = values[0].decode("utf-8").replace("\r\n", "\n").strip()
    except UnicodeDecodeError:
        raise ApiError("InvalidField", "The description is not UTF-8 text.", field="description") from None
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in text):
        raise ApiError("InvalidField", "The description can only hold plain text.", field="description")
    if len(text) > MAX_DESCRIPTION_CHARACTERS:
        raise ApiError(
            "InvalidField",
            f"The description can be at most {MAX_DESCRIPTION_CHARACTERS} characters.",
            field="description",
        )
    return text


def uploaded_form(content_type: str, body: bytes) -> tuple[bytes, str]:
    """The photo's bytes and the description from a multipart/form-data body."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise ApiError(
            "InvalidRequest", 'Send the photo as multipart/form-data, with the fields "photo" and "description".'
        )
    arguments: dict[str, list[bytes]] = {}
    files: dict[str, list[tornado.httputil.HTTPFile]] = {}
    # Media types are case-insensitive; Tornado's parser only knows the lower-case name.
    content_type = "multipart/form-data" + content_type[len("multipart/form-data") :]
    try:
        tornado.httputil.parse_body_arguments(content_type, body, arguments, files)
    except tornado.httputil.HTTPInputError:
        raise ApiError("InvalidRequest", "The form could not be read.") from None
    photos = files.get("photo") or []
    if not photos:
        raise ApiError("MissingField", 'The form needs the picture as a file field named "photo".', field="photo")
    if len(photos) > 1:
        raise ApiError("InvalidField", "Send one photo at a time.", field="photo")
    if "description" in files:
        raise ApiError("InvalidField", "The description is text, not a file.", field="description")
    if len(photos[0].body) > MAX_PHOTO_BYTES:
        raise ApiError("PhotoTooLarge", field="photo")
    return photos[0].body, description_text(arguments.get("description", []))


class PhotosApiHandler(BoundedBodyHandler):
    """Who is calling, for every photos route."""

    async def owner(self, live: bool = False) -> str:
        """The ``sub`` of the caller's verified access token: 401 without one. With ``live``, Cognito
        is asked too, so a token of a signed-out or deleted account stores nothing."""
        header = self.request.headers.get("Authorization")
        if header is not None:
            scheme, _, token = header.strip().partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise ApiError("InvalidToken", 'Send the access token as "Authorization: Bearer <token>".')
        else:
            call = self.new_call()
            if not call.browser_session.present:
                raise ApiError(
                    "MissingToken", 'Send the access token as "Authorization: Bearer <token>", or sign in on this site.'
                )
            try:
                token = await call.browser_session.access_token()  # renewed if it was about to expire
            finally:
                self.add_cookie_headers(call)
        token = token.strip()
        claims = await self.services.tokens.verify_access_token(token)
        if live:
            await self.services.cognito.current_user(token)
        return claims["sub"]


class PhotosHandler(PhotosApiHandler):
    """``GET /photos`` and ``POST /photos``."""

    max_body_bytes = MAX_PHOTO_BYTES + FORM_OVERHEAD_BYTES
    drain_bytes = 64 * 1024 * 1024
    too_large = "PhotoTooLarge"
    allowed_methods = "GET, POST"
    openapi = {
        "get": Operation(
            "The caller's photos, newest first",
            "photos",
            {
                "200": json_answer(
                    "The photos.",
                    {
                        "type": "object",
                        "properties": {"photos": {"type": "array", "items": ref("Photo")}},
                        "required": ["photos"],
                        "additionalProperties": False,
                    },
                )
            },
            errors=(*CALLER_CHECK, *COGNITO_TROUBLE, "StorageUnavailable"),
            signed_in=True,
            schemas={"Photo": PHOTO_SCHEMA},
        ),
        "post": Operation(
            "Upload a photo",
            "photos",
            {
                "201": json_answer(
                    "Stored, with its thumbnail.",
                    {
                        "type": "object",
                        "properties": {"photo": ref("Photo")},
                        "required": ["photo"],
                        "additionalProperties": False,
                    },
                )
            },
            errors=(
                "InvalidRequest",
                "MissingField",
                "InvalidField",
                "NotAnImage",
                "PhotoTooLarge",
                *CALLER_CHECK,
                *COGNITO_TROUBLE,
                "StorageUnavailable",
            ),
            signed_in=True,
            request_body={
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "photo": {
                                    "type": "string",
                                    "format": "binary",
                                    "description": "A JPEG, PNG, GIF or WebP picture (checked by decoding it, whatever "
                                    f"its name or stated type), at most {MAX_PHOTO_BYTES // 2**20} MiB "
                                    f"and {MAX_PIXELS:,} pixels.",
                                },
                                "description": {
                                    "type": "string",
                                    "maxLength": MAX_DESCRIPTION_CHARACTERS,
                                    "description": "Plain text: no control characters but line breaks and tabs.",
                                },
                            },
                            "required": ["photo"],
                        }
                    }
                },
            },
            schemas={"Photo": PHOTO_SCHEMA},
        ),
    }

    @guarded
    async def get(self) -> None:
        # Cognito is asked too: a page whose account was signed out or deleted elsewhere learns it
        # when it lists the photos, not only when it uploads one.
        owner = await self.owner(live=True)
        photos = await self.services.photos.of_owner(owner)
        self.write_answer(Answer(200, {"photos": [photo_view(photo) for photo in photos]}))

    async def prepare(self) -> None:  # type: ignore[override]  # tornado awaits a prepare that is a coroutine
        super().prepare()
        self._uploader: str | ApiError | None = None
        if self.request.method == "POST" and not self._finished:
            # Who is uploading is known before the body is read, so a refused upload's body is
            # dropped as it arrives, not held.
            try:
                self._uploader = await self.owner(live=True)
            except ApiError as error:
                self._uploader = error
                self.discard_body()

    @guarded
    async def post(self) -> None:
        if isinstance(self._uploader, ApiError):
            raise self._uploader
        owner = self._uploader
        image, description = uploaded_form(self.request.headers.get("Content-Type", ""), self.body())
        checked = await checked_photo(image)
        record = await self.services.photos.add(
            owner, description, image, checked.content_type, checked.width, checked.height, checked.thumbnail
        )
        self.write_answer(Answer(201, {"photo": photo_view(record)}))


class PhotoHandler(PhotosApiHandler):
    """``DELETE /photos/{id}``."""

    allowed_methods = "DELETE"
    openapi = {
        "delete": Operation(
            "Delete a photo: its bytes, then its record",
            "photos",
            {"200": json_answer("Deleted.", {"type": "object", "maxProperties": 0})},
            errors=(*CALLER_CHECK, *COGNITO_TROUBLE, "PhotoNotFound", "StorageUnavailable"),
            signed_in=True,
        )
    }

    @guarded
    async def delete(self, photo_id: str) -> None:
        owner = await self.owner(live=True)  # Cognito's word too: a signed-out token deletes nothing
        await self.services.photos.delete(owner, photo_id)
        self.write_answer(Answer(200, {}))


class PhotoBytesHandler(PhotosApiHandler):
    """``GET /photos/{id}/image`` and ``/photos/{id}/thumbnail``."""

    allowed_methods = "GET"
    openapi = {
        "get": Operation(
            "A photo's bytes, as uploaded, or its thumbnail",
            "photos",
            {
                "200": {
                    "description": "The picture.",
                    "headers": {},
                    "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}},
                }
            },
            errors=(*CALLER_CHECK, *COGNITO_TROUBLE, "PhotoNotFound", "StorageUnavailable"),
            signed_in=True,
        )
    }

    @guarded
    async def get(self, photo_id: str, kind: str) -> None:
        owner = await self.owner()
        data, content_type = await self.services.photos.read(owner, photo_id, kind)
        self.set_header("Content-Type", content_type)
        # Private to the signed-in person; never shown as anything but a picture.
        self.set_header("Cache-Control", "private, no-store")
        self.set_header("Content-Security-Policy", "default-src 'none'; sandbox")
        self.set_header("Content-Disposition", "inline")
        self.finish(data)


ROUTES = [
    (r"/photos", PhotosHandler),
    (r"/photos/([A-Za-z0-9_-]{1,64})", PhotoHandler),
    (r"/photos/([A-Za-z0-9_-]{1,64})/(image|thumbnail)", PhotoBytesHandler),
]

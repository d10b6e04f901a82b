"""Where photos are kept: records in SQLite or PostgreSQL, bytes on disk or in S3.

Every photo has two stored objects, its image (the uploaded bytes, unchanged) and its thumbnail,
under ``{owner}/{photo id}/image`` and ``.../thumbnail``: files under ``PHOTOS_DATA`` by default, or
keys of ``PHOTOS_BUCKET``. The records (owner, description, time, type, size) are kept by
``server.photo_records``: rows of one SQLite file under ``PHOTOS_DATA`` by default, or of a
PostgreSQL table with ``PHOTOS_DATABASE_URL``. Files are blocking I/O, run off the IOLoop.

Bytes are written before their record, and an upload whose record cannot be written removes them,
so no upload leaves a record without bytes. A deletion removes the bytes, then the record: one that
fails half-way leaves the photo listed without its bytes (404), and repeating it finishes it.
Owners are the ``sub`` claims of verified tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import time
from typing import Any

from aiobotocore.config import AioConfig
from botocore.exceptions import BotoCoreError, ClientError

from server.aws_credentials import admin_session
from server.aws_endpoints import IGNORE_CONFIGURED
from server.config import Config
from server.errors import ApiError
from server.photo_records import PhotoRecord, PhotoRecords, open_photo_records

__all__ = ["KINDS", "PhotoRecord", "PhotoStore", "DiskBytes", "S3Bytes", "object_key"]

log = logging.getLogger("server.photos")

KINDS = ("image", "thumbnail")
# Photo ids are made here; owners come from verified tokens. Both become parts of file paths and
# keys, so both are checked against these anyway.
PHOTO_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
OWNER = re.compile(r"^[A-Za-z0-9-]{1,128}$")


def object_key(owner: str, photo_id: str, kind: str) -> str:
    if not OWNER.match(owner) or not PHOTO_ID.match(photo_id) or kind not in KINDS:
        raise ApiError("PhotoNotFound")
    return f"{owner}/{photo_id}/{kind}"


class DiskBytes:
    """Stored objects as files under a folder (0700 folders, 0600 files, written atomically)."""

    def __init__(self, root: str):
        self.root = root

    def path(self, key: str) -> str:
        return os.path.join(self.root, *key.split("/"))

    async def _run(self, work, *args) -> Any:
        try:
            return await asyncio.get_running_loop().run_in_executor(None, work, *args)
        except OSError:
            log.exception("photo bytes under %s failed", self.root)
            raise ApiError("StorageUnavailable") from None

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        def write() -> None:
            path = self.path(key)
            temporary = f"{path}.{secrets.token_hex(4)}.tmp"
            for attempt in (1, 2):
                try:
                    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
                    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    break
                except FileNotFoundError:  # a deletion removed the owner's folder, found empty, meanwhile
                    if attempt == 2:
                        raise
            try:
                with open(descriptor, "wb") as file:
                    file.write(data)
                os.replace(temporary, path)
            except OSError:
                with contextlib.suppress(OSError):
                    os.remove(temporary)
                raise

        await self._run(write)

    async def get(self, key: str) -> bytes:
        def read() -> bytes:
            try:
                with open(self.path(key), "rb") as file:
                    return file.read()
            except FileNotFoundError:
                raise ApiError("PhotoNotFound") from None

        return await self._run(read)

    async def delete(self, key: str) -> None:
        def remove() -> None:
            path = self.path(key)
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
            with contextlib.suppress(OSError):  # the photo's folder, then the owner's, once empty
                os.rmdir(os.path.dirname(path))
                os.rmdir(os.path.dirname(os.path.dirname(path)))

        await self._run(remove)

    async def close(self) -> None:
        pass


class S3Bytes:
    """Stored objects as keys of an S3 bucket, through one long-lived async client signed with the
    server's AWS credentials (the same ones as the admin calls)."""

    def __init__(self, config: Config):
        self.bucket = config.photos_bucket
        self._config = config
        self._exit_stack = contextlib.AsyncExitStack()
        self._client: Any = None

    async def start(self) -> None:
        boto_config = AioConfig(
            connect_timeout=self._config.cognito_connect_timeout,
            read_timeout=self._config.cognito_read_timeout,
            retries={"mode": "standard", "total_max_attempts": 2},
            **IGNORE_CONFIGURED,
        )  # the endpoint is the configuration's answer
        self._client = await self._exit_stack.enter_async_context(
            admin_session(self._config).create_client(
                "s3", region_name=self._config.region, endpoint_url=self._config.s3_endpoint_url, config=boto_config
            )
        )

    async def _run(self, operation: str, **params: Any) -> dict:
        try:
            return await getattr(self._client, operation)(Bucket=self.bucket, **params)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise ApiError("PhotoNotFound") from None
            log.error(
                "S3 %s on bucket %s failed: %s", operation, self.bucket, error.response.get("Error", {}).get("Code")
            )
            raise ApiError("StorageUnavailable") from None
        except (TimeoutError, BotoCoreError, OSError) as error:
            log.error("S3 %s on bucket %s failed: %s", operation, self.bucket, type(error).__name__)
            raise ApiError("StorageUnavailable") from None

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await self._run("put_object", Key=key, Body=data, ContentType=content_type)

    async def get(self, key: str) -> bytes:
        response = await self._run("get_object", Key=key)
        try:
            async with response["Body"] as body:
                return await body.read()
        except (TimeoutError, BotoCoreError, OSError):
            raise ApiError("StorageUnavailable") from None

    async def delete(self, key: str) -> None:
        await self._run("delete_object", Key=key)  # S3 answers 204 for a key already gone

    async def close(self) -> None:
        await self._exit_stack.aclose()


class PhotoStore:
    """Records and bytes together: what the photos handlers use."""

    def __init__(self, records: PhotoRecords, objects: DiskBytes | S3Bytes, clock=time.time):
        self.records = records
        self.objects = objects
        self._clock = clock

    @classmethod
    async def start(cls, config: Config) -> PhotoStore:
        records = await open_photo_records(config)
        if not config.photos_bucket:
            return cls(records, DiskBytes(os.path.join(config.photos_dir, "objects")))
        bucket = S3Bytes(config)
        try:
            await bucket.start()
        except BaseException:
            await records.close()
            raise
        return cls(records, bucket)

    async def add(
        self, owner: str, description: str, image: bytes, content_type: str, width: int, height: int, thumbnail: bytes
    ) -> PhotoRecord:
        # The time to the microsecond, as PostgreSQL keeps it: either store gives back the record as made.
        record = PhotoRecord(
            id=secrets.token_urlsafe(12),
            owner=owner,
            description=description,
            created_at=round(self._clock(), 6),
            content_type=content_type,
            width=width,
            height=height,
            size=len(image),
        )
        stored: list[str] = []
        try:
            for kind, data, data_type in (("image", image, content_type), ("thumbnail", thumbnail, "image/jpeg")):
                key = object_key(owner, record.id, kind)
                await self.objects.put(key, data, data_type)
                stored.append(key)
            await self.records.add(record)
        except ApiError:
            for key in stored:  # no bytes without a record
                with contextlib.suppress(ApiError):
                    await self.objects.delete(key)
            raise
        return record

    async def of_owner(self, owner: str) -> list[PhotoRecord]:
        return await self.records.of_owner(owner)

    async def read(self, owner: str, photo_id: str, kind: str) -> tuple[bytes, str]:
        """The bytes of the owner's photo (``kind`` "image" or "thumbnail") and their type."""
        record = await self.records.get(owner, photo_id)
        data = await self.objects.get(object_key(owner, photo_id, kind))
        return data, record.content_type if kind == "image" else "image/jpeg"

    async def delete(self, owner: str, photo_id: str) -> None:
        """Remove the owner's photo (PhotoNotFound if it is not theirs)."""
        await self.records.get(owner, photo_id)
        await self._remove(owner, photo_id)

    async def delete_all(self, owner: str) -> int:
        """Remove every photo of ``owner`` (their account is gone); how many there were."""
        photos = await self.records.of_owner(owner)
        for photo in photos:
            await self._remove(owner, photo.id)
        return len(photos)

    async def _remove(self, owner: str, photo_id: str) -> None:
        """Its bytes first, then its record."""
        for kind in KINDS:
            await self.objects.delete(object_key(owner, photo_id, kind))
        await self.records.delete(owner, photo_id)

    async def close(self) -> None:
        await self.records.close()
        await self.objects.close()

"""Checking an uploaded photo by decoding it, and making its thumbnail (Pillow).

This is CPU- and memory-heavy work on untrusted bytes, so it runs in an executor of its own with
as many threads as there are cores: never on the IOLoop, never crowding out the file and DNS work
of the default executor, and with at most that many pictures decoded at once. The memory they hold
at once is bounded too, and given back after (``server/decoding_memory.py``): twelve uploads of
pictures at the pixel limit queue, one decoded at a time, instead of holding 160 MB each.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import io
import os

from PIL import Image, ImageOps

from server.decoding_memory import DecodingBudget, decoding_bytes
from server.errors import ApiError

# What a photo may be, and the type it is served with.
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
THUMBNAIL_SIZE = (300, 300)
# A 5 MiB file can hold a picture that needs gigabytes once decoded (a decompression bomb). At
# most 40 million pixels (7,300 × 5,400; 160 MB decoded as RGBA) is more than cameras save by default.
MAX_PIXELS = 40_000_000
# The thumbnail is cut from a copy at most this large, made first, so the rest of the work is small.
WORKING_SIZE = (600, 600)
EXIF_ORIENTATION = 0x0112
# EXIF orientation → what turns the picture upright.
UPRIGHT = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}

_decoders = concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2, thread_name_prefix="photo-decode")
# Decoded pictures held at once: one at the pixel limit (4 bytes a pixel), or several smaller ones.
DECODING = DecodingBudget(MAX_PIXELS * 4)


@dataclasses.dataclass(frozen=True)
class CheckedPhoto:
    content_type: str
    width: int  # as shown, after the EXIF rotation
    height: int
    thumbnail: bytes  # JPEG


async def checked_photo(data: bytes) -> CheckedPhoto:
    """``check_photo`` in the decoding executor."""
    return await asyncio.get_running_loop().run_in_executor(_decoders, check_photo, data)


def check_photo(data: bytes) -> CheckedPhoto:
    """Decode ``data`` whole (the file name and the type the browser claims are not trusted) and
    make a 300×300 JPEG thumbnail from its middle, turned the way the camera's EXIF orientation
    says. Raises ApiError NotAnImage for anything that is not a complete JPEG, PNG, GIF or WebP
    picture of at most MAX_PIXELS. The memory its decoding holds counts against DECODING, and is
    given back to the system after (server/decoding_memory.py)."""
    # libwebp allocates its full-size canvas as the file is opened, before the size can be checked,
    # and holds about four times the picture's size while it decodes: a WebP picture decodes alone.
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        with DECODING.held(DECODING.limit):
            content_type, width, height, orientation, small = _decoded(data, reserve=False)
    else:
        content_type, width, height, orientation, small = _decoded(data, reserve=True)
    small = _flattened(small)
    for step in UPRIGHT.get(orientation, ()):
        small = small.transpose(step)
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    thumbnail = ImageOps.fit(small, THUMBNAIL_SIZE, Image.Resampling.LANCZOS)
    output = io.BytesIO()
    thumbnail.save(output, "JPEG", quality=85)
    return CheckedPhoto(content_type, width, height, output.getvalue())


def _decoded(data: bytes, *, reserve: bool) -> tuple[str, int, int, int, Image.Image]:
    """(content type, width, height, EXIF orientation, a copy at most WORKING_SIZE) of a picture
    decoded whole; with ``reserve``, the decoding waits for its share of DECODING (known from the
    header) first. ApiError NotAnImage otherwise."""
    try:
        with Image.open(io.BytesIO(data), formats=list(CONTENT_TYPES)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ApiError("NotAnImage", f"The picture has too many pixels (at most {MAX_PIXELS:,}).")
            if image.format not in CONTENT_TYPES:  # never so: Image.open was given these formats only
                raise ApiError("NotAnImage")
            content_type = CONTENT_TYPES[image.format]
            width, height = image.size
            # JPEG can decode straight to a smaller scale; every byte is still read, so a
            # truncated or corrupt file fails here all the same.
            image.draft("RGB", WORKING_SIZE)
            with DECODING.held(decoding_bytes(image)) if reserve else contextlib.nullcontext():
                try:
                    image.load()
                    orientation = _orientation(image)  # after load: a PNG's EXIF may follow its pixels
                    small = _reduced(image)
                finally:
                    image.close()  # the full-size pixels go while their share is still held
    except ApiError:
        raise
    except Exception:  # a decoder's failure on hostile bytes can take any form: it is not a picture
        raise ApiError("NotAnImage") from None
    return content_type, width, height, orientation, small


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation (1 when absent or unreadable: badly typed tags are common)."""
    try:
        value = image.getexif().get(EXIF_ORIENTATION, 1)
        return value if isinstance(value, int) else 1
    except Exception:
        return 1


def _reduced(image: Image.Image) -> Image.Image:
    """A copy at most WORKING_SIZE, in a mode that resizes well (RGB, RGBA, L or LA). The
    decoded picture is shrunk in place first, so no second full-size copy is made of it."""
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        transparent = "A" in image.mode or "transparency" in image.info
        image = image.convert("RGBA" if transparent else "RGB")
    image.thumbnail(WORKING_SIZE, Image.Resampling.LANCZOS)
    return image.copy()


def _flattened(image: Image.Image) -> Image.Image:
    """RGB for the JPEG thumbnail, from ``_reduced``'s modes; transparent parts become white, not black."""
    if image.mode in ("RGBA", "LA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")

"""Checking an uploaded photo by decoding it, and making its thumbnail (Pillow; CPU-bound, so
callers run these in an executor, never on the IOLoop)."""

from __future__ import annotations

import dataclasses
import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from server.errors import ApiError

# What a photo may be, and the type it is served with.
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
THUMBNAIL_SIZE = (300, 300)
THUMBNAIL_CONTENT_TYPE = "image/jpeg"
# A 5 MiB file can hold a picture that needs gigabytes once decoded (a decompression bomb).
MAX_PIXELS = 50_000_000


@dataclasses.dataclass(frozen=True)
class CheckedPhoto:
    content_type: str
    width: int  # as shown, after the EXIF rotation
    height: int
    thumbnail: bytes


def check_photo(data: bytes) -> CheckedPhoto:
    """Decode ``data`` whole (the file name and the type the browser claims are not trusted) and
    make a 300×300 JPEG thumbnail, turned the way the camera's EXIF orientation says. Raises
    ApiError NotAnImage for anything that is not a complete JPEG, PNG, GIF or WebP picture."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(CONTENT_TYPES)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise ApiError("NotAnImage", "The picture has too many pixels (at most 50 million).")
                content_type = CONTENT_TYPES[image.format]
                image.load()  # decodes every byte: a truncated or corrupt file fails here
                upright = ImageOps.exif_transpose(image)
                thumbnail = ImageOps.fit(_flattened(upright), THUMBNAIL_SIZE, Image.Resampling.LANCZOS)
    except ApiError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            OSError, SyntaxError, ValueError, EOFError):
        raise ApiError("NotAnImage") from None
    output = io.BytesIO()
    thumbnail.save(output, "JPEG", quality=85, optimize=True)
    return CheckedPhoto(content_type, upright.width, upright.height, output.getvalue())


def _flattened(image: Image.Image) -> Image.Image:
    """RGB for the JPEG thumbnail; transparent parts become white, not black."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")

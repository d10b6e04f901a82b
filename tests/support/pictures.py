"""Real pictures, made on the spot, for the photos API and the page's upload form."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw


def picture(kind: str = "JPEG", size=(400, 200), orientation: int | None = None) -> bytes:
    """A real picture: red on the left half, blue on the right."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    output = io.BytesIO()
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        image.save(output, kind, exif=exif.tobytes())
    else:
        image.save(output, kind)
    return output.getvalue()


def sample_jpeg(path) -> str:
    """A photo-like JPEG (sky, sun, grass) written to ``path``; its path."""
    image = Image.new("RGB", (640, 480), "#2a6fb0")
    draw = ImageDraw.Draw(image)
    draw.ellipse((380, 60, 560, 240), fill="#f7c948")
    draw.rectangle((0, 330, 640, 480), fill="#1d7a46")
    image.save(path, "JPEG", quality=85)
    return str(path)


def noisy_jpeg(path, side: int = 1200) -> str:
    """A JPEG of noise (it hardly compresses: about 1.5 MB at 1200 × 1200), for an upload long
    enough to show its progress; its path."""
    Image.effect_noise((side, side), 120).convert("RGB").save(path, "JPEG", quality=95)
    return str(path)

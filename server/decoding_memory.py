"""The memory that decoding uploaded pictures takes: bounded while they decode, given back after.

A photo of 5 MiB or less may decode to 160 MB (40 million pixels, 4 bytes each), and a PNG of a
flat picture that size is about 150 KB: cheap to send, dear to decode. Two measures, measured with
``python -m bench.photo_memory`` (bench/photo_memory_results.md):

- ``DecodingBudget``: the bytes of decoded pictures held at once are bounded. Each decode reserves
  what it will need, known from the header before a pixel is decoded (``decoding_bytes``), and waits
  while the reservations of those under way leave no room. A picture that needs more than the whole
  budget waits until it can run alone. The limit is one picture at the pixel limit, so twelve
  uploads of such pictures queue instead of decoding at once, while everyday photos (12 million
  pixels: 48 MB) still decode side by side.
- ``give_back_freed_memory``: glibc keeps what a thread frees in that thread's arena rather than
  returning it to the system, so a burst of large decodes left the process hundreds of MB larger
  for good. ``malloc_trim(0)`` after a large decode returns it. Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import threading
from typing import Callable, Iterator

from PIL import Image

# Modes whose pixels Pillow keeps in fewer than 4 bytes.
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
# Modes the thumbnail is made from without a full-size conversion first (server/images.py).
WORKING_MODES = ("RGB", "RGBA", "L", "LA")
# Below this, a decode leaves too little behind to be worth a trim.
TRIM_FROM_BYTES = 16 * 1024 * 1024


def decoding_bytes(image: Image.Image) -> int:
    """What decoding ``image`` (opened, not loaded; a JPEG after its ``draft``) holds at its largest:
    its pixels, and a full-size copy in another mode when it must be converted to be resized."""
    per_pixel = _BYTES_PER_PIXEL.get(image.mode, 4)
    if image.mode not in WORKING_MODES:
        per_pixel += 4  # converted to RGB or RGBA at full size (server/images.py, _reduced)
    return image.width * image.height * per_pixel


class DecodingBudget:
    """At most ``limit`` bytes reserved at once by the threads that decode pictures."""

    def __init__(self, limit: int):
        self.limit = limit
        self.reserved_bytes = 0
        self._changed = threading.Condition()

    @contextlib.contextmanager
    def held(self, amount: int) -> Iterator[None]:
        """For a block that decodes pictures needing ``amount`` bytes and lets them go before it
        ends: waits until there is room (a picture needing more than the whole limit waits to run
        alone), and when it ends gives the freed memory back to the system."""
        amount = min(amount, self.limit)
        with self._changed:
            self._changed.wait_for(lambda: self.reserved_bytes + amount <= self.limit)
            self.reserved_bytes += amount
        try:
            yield
        finally:
            with self._changed:
                self.reserved_bytes -= amount
                self._changed.notify_all()
            give_back_freed_memory(amount)


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing of the kind to call
        return None


_trim = _malloc_trim()


def give_back_freed_memory(freed_bytes: int) -> None:
    """Return freed memory to the system, when ``freed_bytes`` were let go: enough to matter."""
    if _trim is not None and freed_bytes >= TRIM_FROM_BYTES:
        _trim(0)

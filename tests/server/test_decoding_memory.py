"""Decoding uploaded pictures holds bounded memory and gives it back (server/decoding_memory.py).

Over real HTTP: concurrent uploads of PNGs at the pixel limit to a server process are decoded one at
a time (its RSS never grows by two decoded pictures, which is what decoding them side by side costs)
and leave the process about as large as it was. Memory, not time, is asserted; the benchmark
(bench/photo_memory.py) measures the targets. Then the budget itself: what a decode reserves, and
that reservations never exceed the limit, a larger one running alone."""

from __future__ import annotations

import concurrent.futures
import io
import threading
import time

from PIL import Image

from bench.photo_memory import FULL_SIZE, near_limit_png
from server.decoding_memory import DecodingBudget, decoding_bytes
from tests.support import CODE, PASSWORD, Client, Photos, free_port, local_server, new_account, picture

MB = 1024 * 1024
DECODED = FULL_SIZE[0] * FULL_SIZE[1] * 4  # bytes: one RGB picture at the pixel limit, as Pillow holds it


def memory_of(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of ``pid``, in bytes."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0]) * 1024
    return values["VmRSS"], values["VmHWM"]


def test_uploads_at_the_pixel_limit_decode_one_at_a_time_and_give_their_memory_back(tmp_path):
    png = near_limit_png(FULL_SIZE)
    server = local_server(
        str(tmp_path / "cognito"), free_port(), LOCAL_COGNITO_CODE=CODE, PHOTOS_DATA=str(tmp_path / "photos")
    )
    try:
        _, email = new_account(server.url)
        token = Client(server.url).call("signIn", user=email, **{"pass": PASSWORD}).json["access_token"]
        assert Photos(Client(server.url), token).upload(picture("PNG")).status == 201  # loads what uploads load
        pid = server.process.pid
        with open(f"/proc/{pid}/clear_refs", "w") as clear:
            clear.write("5")  # the high-water mark starts again from here
        before, _ = memory_of(pid)
        with concurrent.futures.ThreadPoolExecutor(4) as senders:
            replies = list(
                senders.map(
                    lambda _: Photos(Client(server.url), token).upload(png, filename="big.png", file_type="image/png"),
                    range(4),
                )
            )
        for reply in replies:
            assert reply.status == 201, reply.body
            assert (reply.json["photo"]["width"], reply.json["photo"]["height"]) == FULL_SIZE
        after, peak = memory_of(pid)
    finally:
        server.stop()
    assert peak - before < 1.6 * DECODED, f"peak {peak / MB:.0f} MB from {before / MB:.0f} MB"
    assert after - before < 0.4 * DECODED, f"{after / MB:.0f} MB after, from {before / MB:.0f} MB"


def picture_of(mode: str, size: tuple[int, int], kind: str) -> Image.Image:
    output = io.BytesIO()
    Image.new(mode, size).save(output, kind)
    return Image.open(io.BytesIO(output.getvalue()))


def test_what_a_decode_reserves():
    assert decoding_bytes(picture_of("RGB", (100, 50), "PNG")) == 100 * 50 * 4
    assert decoding_bytes(picture_of("L", (100, 50), "PNG")) == 100 * 50
    # A palette picture is converted to RGB at full size before it is reduced.
    assert decoding_bytes(picture_of("P", (100, 50), "GIF")) == 100 * 50 * (1 + 4)
    # A JPEG decodes at the scale its draft chose: an eighth of each side here.
    jpeg = picture_of("RGB", (4800, 4800), "JPEG")
    jpeg.draft("RGB", (600, 600))
    assert decoding_bytes(jpeg) == 600 * 600 * 4


def test_reservations_never_exceed_the_limit_and_a_larger_one_runs_alone():
    budget = DecodingBudget(100)
    seen: list[tuple[int, int]] = []  # (amount, what was reserved while it ran)
    lock = threading.Lock()

    def decode(amount: int) -> None:
        with budget.held(amount):
            with lock:
                seen.append((amount, budget.reserved_bytes))
            time.sleep(0.02)

    amounts = [60, 60, 30, 30, 250, 10, 40, 100]
    threads = [threading.Thread(target=decode, args=(amount,)) for amount in amounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(amount for amount, _ in seen) == sorted(amounts)
    assert all(reserved <= 100 for _, reserved in seen)
    assert [reserved for amount, reserved in seen if amount >= 100] == [100, 100]  # alone
    assert budget.reserved_bytes == 0

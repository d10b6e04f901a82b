"""The server's memory while it checks large photos, and after.

    python -m bench.photo_memory            # 3 runs of about 80 s each; prints the table
    python -m bench.photo_memory --quick    # a smoke test of a few seconds (small pictures)
    python -m bench.photo_memory --help     # the options

Each run starts ``tornado_server.py`` in local mode (its own local Cognito, data and photos in a
temporary folder), signs up and signs in one person, then sends ``--uploads`` (12) photo uploads at
once over HTTP, each a PNG just under the pixel limit (39.9 million pixels, about 151 KB: large flat
areas compress well, which is what makes such a file cheap to send and dear to decode). It reports
the server's RSS (the process and any children, from /proc) before the uploads, its peak while they
run (sampled every 20 ms, and the kernel's high-water mark), and its RSS 10, 30 and 60 seconds after
the last answer. Every upload must be accepted (201) with the picture's width and height, as a
person's would.

The targets (docs/production.md, Performance): a peak of at most 400 MB, and back under 200 MB
within a minute. The table quotes medians over the runs; each run is a fresh server.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import io
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

if __package__ in (None, ""):  # run as ``python bench/photo_memory.py``: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.procfs import LargestReading, children_of, memory_kb
from bench.servers import CLEARED_ENV, ROOT, UNREACHED_RATE_LIMIT, free_port

PEAK_TARGET_MB = 400
SETTLED_TARGET_MB = 200
SETTLED_WITHIN_SECONDS = 60
CODE = "246810"
PASSWORD = "Bench_password_1"
# 7,300 × 5,465: 39.9 million pixels, just under the limit of 40 million (server/images.py).
FULL_SIZE = (7300, 5465)
QUICK_SIZE = (2400, 1800)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def near_limit_png(size: tuple[int, int], shapes: int = 18) -> bytes:
    """A PNG of ``size``: a flat background with a few coloured ellipses (about 151 KB at full size)."""
    from PIL import Image, ImageDraw  # the server's own dependency

    picture = Image.new("RGB", size, (200, 220, 240))
    draw = ImageDraw.Draw(picture)
    chance = random.Random(13)
    width, height = size
    for _ in range(shapes):
        x, y = chance.randrange(width), chance.randrange(height)
        draw.ellipse(
            (x, y, x + chance.randrange(50, 600), y + chance.randrange(50, 600)),
            fill=(chance.randrange(256), chance.randrange(256), chance.randrange(256)),
        )
    output = io.BytesIO()
    picture.save(output, "PNG", compress_level=9)
    return output.getvalue()


def tree_rss_kb(pid: int) -> int:
    """The RSS of ``pid`` and its descendants, in KiB."""
    return sum(memory_kb(each)[0] for each in [pid, *children_of(pid)])


class LocalServer:
    """``tornado_server.py`` in local mode, in a temporary folder of its own."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            name: value
            for name, value in os.environ.items()
            if name not in CLEARED_ENV and not name.startswith(("COGNITO_", "COOKIE_", "PHOTOS_"))
        }
        env.update(
            {
                "LOCAL_COGNITO_DATA": str(folder / "cognito"),
                "LOCAL_COGNITO_PORT": "0",
                "LOCAL_COGNITO_CODE": CODE,
                "PHOTOS_DATA": str(folder / "photos"),
                "RATE_LIMIT_PER_ADDRESS": UNREACHED_RATE_LIMIT,
                "RATE_LIMIT_PER_USER": UNREACHED_RATE_LIMIT,
                "PYTHONUNBUFFERED": "1",
            }
        )
        self.log_path = folder / "server.log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "tornado_server.py", "--port", str(self.port), "--host", "127.0.0.1"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log_path.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server was not ready within {timeout:.0f} s")

    def call(self, **body: str) -> dict:
        request = urllib.request.Request(
            self.url + "/", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def access_token(self) -> str:
        """A new person's, signed up and confirmed (which signs them in)."""
        email = f"photos-{uuid.uuid4().hex[:10]}@example.com"
        self.call(env="createAccount", user=email, **{"pass": PASSWORD})
        return self.call(env="confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD})["access_token"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def upload(url: str, token: str, picture: bytes) -> tuple[int, dict]:
    """POST /photos with ``picture``: (status, answer)."""
    boundary = secrets.token_hex(16)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="description"\r\n\r\nbig\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="big.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + picture
        + f"\r\n--{boundary}--\r\n".encode()
    )
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=300)
    try:
        connection.request(
            "POST",
            "/photos",
            body,
            {"Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def one_run(picture: bytes, size: tuple[int, int], uploads: int, waits: tuple[int, ...]) -> dict:
    """One fresh server: RSS before, at the peak and after the burst (MB), and whether every upload
    was answered as it should be."""
    with tempfile.TemporaryDirectory(prefix="photo-memory-") as folder:
        server = LocalServer(Path(folder))
        try:
            server.wait_ready()
            token = server.access_token()
            time.sleep(1)
            baseline = tree_rss_kb(server.process.pid)
            started = time.monotonic()
            with (
                LargestReading(lambda: tree_rss_kb(server.process.pid), 0.02) as sampler,
                concurrent.futures.ThreadPoolExecutor(uploads) as senders,
            ):
                answers = list(senders.map(lambda _: upload(server.url, token, picture), range(uploads)))
            finished = time.monotonic()
            took = finished - started
            peak = max(sampler.largest, memory_kb(server.process.pid)[1])
            after, settled_at = {}, None
            while True:
                elapsed = time.monotonic() - finished
                rss = tree_rss_kb(server.process.pid)
                if settled_at is None and rss < SETTLED_TARGET_MB * 1024:
                    settled_at = elapsed
                for wait in waits:
                    if wait not in after and elapsed >= wait:
                        after[wait] = rss
                if len(after) == len(waits):
                    break
                time.sleep(0.25)
        finally:
            server.stop()
    accepted = sum(
        1
        for status, answer in answers
        if status == 201 and (answer["photo"]["width"], answer["photo"]["height"]) == size
    )
    return {
        "baseline": baseline / 1024,
        "peak": peak / 1024,
        "after": {w: kb / 1024 for w, kb in after.items()},
        "settled_at": settled_at,
        "accepted": accepted,
        "took": took,
    }


def render(runs: list[dict], picture: bytes, size: tuple[int, int], uploads: int, waits: tuple[int, ...]) -> str:
    columns = [
        "baseline RSS",
        "peak RSS",
        *[f"after {w} s" for w in waits],
        "under 200 MB after",
        "uploads took",
        "accepted",
    ]
    lines = [
        "# Photo decoding memory",
        "",
        f"{uploads} concurrent uploads of a {size[0]:,} × {size[1]:,} PNG ({size[0] * size[1] / 1e6:.1f} "
        f"megapixels, {len(picture) / 1000:.0f} KB) to one local-mode server; RSS of the server's "
        f"processes in MB. Python {sys.version.split()[0]}, {os.cpu_count()} cores.",
        "",
        "| run | " + " | ".join(columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]

    def row(name: str, values: dict) -> str:
        settled = values["settled_at"]
        cells = [
            f"{values['baseline']:.0f}",
            f"{values['peak']:.0f}",
            *[f"{values['after'][w]:.0f}" for w in waits],
            "never" if settled is None else f"{settled:.1f} s",
            f"{values['took']:.1f} s",
            f"{values['accepted']}/{uploads}",
        ]
        return f"| {name} | " + " | ".join(cells) + " |"

    for number, values in enumerate(runs, 1):
        lines.append(row(str(number), values))
    settled = [r["settled_at"] for r in runs if r["settled_at"] is not None]
    median = {
        "baseline": statistics.median(r["baseline"] for r in runs),
        "peak": statistics.median(r["peak"] for r in runs),
        "after": {w: statistics.median(r["after"][w] for r in runs) for w in waits},
        "settled_at": statistics.median(settled) if len(settled) * 2 > len(runs) else None,
        "accepted": min(r["accepted"] for r in runs),
        "took": statistics.median(r["took"] for r in runs),
    }
    lines.append(row("median", median))
    within = max(waits)
    settled_in_time = median["settled_at"] is not None and median["settled_at"] <= min(within, SETTLED_WITHIN_SECONDS)
    lines += [
        "",
        "## Targets",
        "",
        f"- peak RSS ≤ {PEAK_TARGET_MB} MB: {'pass' if median['peak'] <= PEAK_TARGET_MB else 'FAIL'} "
        f"({median['peak']:.0f} MB)",
        f"- back under {SETTLED_TARGET_MB} MB within {SETTLED_WITHIN_SECONDS} s: "
        f"{'pass' if settled_in_time else 'FAIL'}",
        f"- every upload accepted with its size: {'pass' if median['accepted'] == uploads else 'FAIL'}",
    ]
    return "\n".join(lines) + "\n"


def parse_options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="The server's memory while it checks large photos.")
    parser.add_argument("--runs", type=int, default=3, help="fresh servers to measure (default 3)")
    parser.add_argument("--uploads", type=int, default=12, help="concurrent uploads (default 12)")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke test: one run, 4 uploads of a 4.3-megapixel PNG, 1 to 3 s after"
    )
    parser.add_argument("--output", type=Path, help="also write the table to this file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    if options.quick:
        runs, uploads, size, waits = 1, 4, QUICK_SIZE, (1, 2, 3)
    else:
        runs, uploads, size, waits = options.runs, options.uploads, FULL_SIZE, (10, 30, 60)
    picture = near_limit_png(size)
    results = []
    for number in range(1, runs + 1):
        log(f"run {number} of {runs}: {uploads} uploads of {len(picture) / 1000:.0f} KB")
        results.append(one_run(picture, size, uploads, waits))
    table = render(results, picture, size, uploads, waits)
    print(table, end="")
    if options.output:
        options.output.write_text(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The photo-memory benchmark (bench/photo_memory.py) still runs: its quick mode sends real uploads
to a local-mode server and prints its numbers. The targets are not asserted here (the machine
running the tests is not the benchmark's), only that every number is there and every upload was
accepted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_photo_memory_benchmark_prints_its_numbers(tmp_path):
    output = tmp_path / "photo-memory.md"
    completed = subprocess.run(
        [sys.executable, "-m", "bench.photo_memory", "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout == output.read_text()  # printed, and written

    lines = completed.stdout.splitlines()
    header = next(line for line in lines if line.startswith("| run |"))
    assert [cell.strip() for cell in header.strip("|").split("|")] == [
        "run",
        "baseline RSS",
        "peak RSS",
        "after 1 s",
        "after 2 s",
        "after 3 s",
        "under 200 MB after",
        "uploads took",
        "accepted",
    ]
    rows = {
        cells[0]: cells[1:]
        for cells in (
            [cell.strip() for cell in line.strip("|").split("|")]
            for line in lines
            if re.match(r"\| (\d+|median) \|", line)
        )
    }
    assert set(rows) == {"1", "median"}
    for name, (baseline, peak, *after, settled, took, accepted) in rows.items():
        assert 0 < float(baseline) <= float(peak), (name, baseline, peak)
        assert all(float(rss) > 0 for rss in after)
        assert settled == "never" or settled.endswith(" s")
        assert float(took.removesuffix(" s")) > 0
        assert accepted == "4/4", (name, accepted)
    assert "## Targets" in completed.stdout
    assert re.search(r"peak RSS ≤ 400 MB: (pass|FAIL)", completed.stdout)
    assert re.search(r"back under 200 MB within 60 s: (pass|FAIL)", completed.stdout)

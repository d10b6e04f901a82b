"""The emulator benchmark (bench/emulators.py) still runs: its quick mode signs in on every emulator
(our local Cognito, our server in local mode, moto's own server, cognito-local under node) and on a
filled large pool, and writes its section of the results file without touching the rest.

The targets are not asserted here (the machine running the tests is not the benchmark's), only that
every row is there with real numbers and no errors, and that every target has a verdict. wrk, node
and cognito-local (`npm ci --prefix clients`) are required: .ci/run installs them, and a missing one
fails this test rather than skipping it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from bench.emulator_processes import KINDS
from bench.results_file import EMULATORS_MARKER

ROOT = Path(__file__).resolve().parent.parent


def table_after(markdown: str, header: str) -> list[list[str]]:
    """The rows of the table whose header line starts with ``header`` (header and rule left out)."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def number(text: str) -> float:
    return float(text.replace(",", "").removesuffix("×"))


def test_quick_emulator_benchmark_measures_every_emulator_and_the_large_pool(tmp_path):
    assert shutil.which("wrk"), "wrk is not installed (apt-get install wrk): the benchmark needs it"
    assert shutil.which("node"), "node is not installed: cognito-local runs under it"
    assert (ROOT / "clients/node_modules/cognito-local").is_dir(), "run `npm ci --prefix clients` first"
    output = tmp_path / "results.md"
    output.write_text("# signIn benchmark\n\nthe other benchmark's table\n")
    completed = subprocess.run(
        [sys.executable, "-m", "bench.emulators", "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]

    written = output.read_text()
    before, marker, section = written.partition(EMULATORS_MARKER)
    assert marker and before.startswith("# signIn benchmark\n\nthe other benchmark's table")  # kept
    assert section.strip() == completed.stdout.strip()  # printed, and written

    rows = table_after(section, "| clients | emulator |")
    assert {(int(row[0]), row[1]) for row in rows} == {(c, kind.label) for c in (1, 16) for kind in KINDS}
    for clients, emulator, rate, times_moto, p50, p99, cpu_ms, errors in rows:
        assert number(rate) > 0 and number(times_moto) > 0, (emulator, clients, rate, times_moto)
        assert 0 < number(p50) <= number(p99), (emulator, clients, p50, p99)
        assert number(cpu_ms) > 0, (emulator, clients, cpu_ms)
        assert errors == "0", (emulator, clients, errors)
        if emulator.startswith("moto"):
            assert times_moto == "1.00×"

    pools = table_after(section, "| clients | pool |")
    assert {(int(row[0]), row[1]) for row in pools} == {
        (c, pool) for c in (1, 16) for pool in ("10 users", "2,000 users")
    }
    for clients, pool, rate, times_small, _p50, _p99, cpu_ms, errors in pools:
        assert number(rate) > 0 and number(times_small) > 0 and number(cpu_ms) > 0, (pool, clients)
        assert errors == "0", (pool, clients, errors)
    assert "2,000 users and 4,0" in section  # 4,000 refresh tokens filled, and those of the sign-ins since
    assert re.search(r"Start-up with 2,000 users \(launch to serving, 1 start\): median \d+\.\d\d s", section)

    targets = table_after(section, "| target |")
    assert len(targets) == 2 * 3 + 1  # three ratios at each client count, and the start-up
    assert all(verdict in ("**pass**", "**FAIL**") for _, _, verdict in targets), targets

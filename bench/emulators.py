"""The emulator benchmark: our local Cognito against moto's server and cognito-local, in one run.

    python -m bench.emulators            # full run (about 17 minutes): writes its part of bench/results.md
    python -m bench.emulators --quick    # a smoke test of a minute or so
    python -m bench.emulators --help     # the options

The emulators (``bench.emulator_processes``) run side by side: our local Cognito's InitiateAuth
(USER_PASSWORD_AUTH, with SECRET_HASH), our server's ``POST /`` signIn in local mode, moto's own
server (``moto_server``) and cognito-local (npm, under node), each signing in one confirmed user
again and again under wrk at 1, 16 and 64 clients (``connections = clients``, ``threads = min(2,
clients)``). Every cell runs ``--repeats`` times, the emulators taking turns in a different order
each time; the table quotes medians, and each ratio is taken between cells of one run before its
median is quoted, so a noisy moment on the shared machine weighs on both sides of it.

Then the large pool: our local Cognito over a data folder filled (``bench/fill_pool.py``, straight
into the database) with 100,000 users and 200,000 live refresh tokens, against one with 10 users,
taking turns at the same client counts, over ``--large-repeats`` runs (5: the 0.9× this checks is a
finer ratio than the others); each run starts both afresh, and the large pool's start-up (launch to
serving) is timed.

The targets (``bench.emulator_report``) are printed with pass or FAIL.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.emulator_processes import KINDS, LOCAL, EmulatorProcess, Request
from bench.emulator_report import LARGE, SMALL, EmulatorReport, render
from bench.procfs import cpu_seconds
from bench.report import machine_description
from bench.results_file import write_emulators_part
from bench.servers import ROOT
from bench.wrk import Cell, run_wrk, tally, wrk_version

DEFAULT_OUTPUT = ROOT / "bench" / "results.md"
SMALL_POOL_USERS = 10


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure(wrk: str, emulator: EmulatorProcess, clients: int, duration: float, repeat: int) -> Cell:
    """One wrk run against ``emulator``: its rate, latencies, errors, and CPU per sign-in."""
    request = emulator.request
    assert request is not None, "wait_ready first"
    pids = emulator.pids()
    cpu_before = cpu_seconds(pids)
    result = run_wrk(wrk, request.url, clients, duration, max(30.0, 2 * duration), request.body, request.headers)
    cpu = cpu_seconds(pids) - cpu_before
    successes, errors = tally(result)
    per_sign_in = 1000 / max(successes, 1)
    return Cell(
        server=emulator.key,
        clients=clients,
        repeat=repeat,
        requests_per_second=successes / (result["duration_us"] / 1e6),
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        errors=errors,
        cpu_ms=cpu * per_sign_in,
        standin_cpu_ms=0.0,
        wrk_cpu_ms=result["cpu_seconds"] * per_sign_in,
    )


def warm_up(wrk: str, request: Request, seconds: float) -> None:
    """Lazy imports done, caches filled (our scrypt check remembered) before anything is measured."""
    run_wrk(wrk, request.url, 16, max(1.0, seconds), 30, request.body, request.headers)


def take_turns(
    wrk: str,
    emulators: list[EmulatorProcess],
    clients: int,
    options: argparse.Namespace,
    repeat: int,
    cells: list[Cell],
    progress: str,
) -> None:
    """One cell of each emulator at ``clients``, in an order that changes from run to run."""
    shift = (repeat + options.clients.index(clients)) % len(emulators)  # no one always follows the same one
    for position, emulator in enumerate(emulators[shift:] + emulators[:shift]):
        cell = measure(wrk, emulator, clients, options.duration, repeat)
        cells.append(cell)
        log(
            f"  [{progress}{position + 1}/{len(emulators)}] run {repeat + 1}, {clients:>2} clients, "
            f"{emulator.label if emulator.key == emulator.kind.key else emulator.key}: {cell.requests_per_second:.1f}/s, p50 {cell.p50_ms:.1f} ms, p99 {cell.p99_ms:.1f} ms, "
            f"{cell.cpu_ms:.2f} ms CPU each, {cell.errors} errors"
        )
        if emulator.process.poll() is not None:
            raise RuntimeError(f"{emulator.label} exited during the run:\n{emulator.log_tail()}")


def emulators_side_by_side(wrk: str, work: Path, options: argparse.Namespace, report: EmulatorReport) -> None:
    emulators: list[EmulatorProcess] = []
    try:
        for kind in KINDS:
            emulators.append(EmulatorProcess(kind, work))
            emulators[-1].wait_ready()  # one at a time: none starts while another is timed
            log(f"{kind.label} ready in {emulators[-1].start_seconds:.2f} s")
        for emulator in emulators:
            warm_up(wrk, emulator.request, options.warmup)
        for repeat in range(options.repeats):
            for clients in options.clients:
                take_turns(wrk, emulators, clients, options, repeat, report.cells, "")
    finally:
        for emulator in emulators:
            emulator.stop()


def fill(data_dir: Path, users: int, tokens: int) -> dict:
    completed = subprocess.run(
        [sys.executable, "bench/fill_pool.py", str(data_dir), "--users", str(users), "--tokens", str(tokens)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"bench/fill_pool.py failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def large_pool(wrk: str, work: Path, options: argparse.Namespace, report: EmulatorReport) -> None:
    """10 users against ``--large-users`` users and ``--large-tokens`` live refresh tokens."""
    folders = {}
    # Each pool's first start makes the user signed in to: the rest are added.
    sizes = ((SMALL, SMALL_POOL_USERS - 1, 0), (LARGE, options.large_users - 1, options.large_tokens))
    for key, users, tokens in sizes:
        first = EmulatorProcess(LOCAL, work, name=key)  # makes the pool, with the user signed in to
        try:
            first.wait_ready()
        finally:
            first.stop()
        folders[key] = first.data_dir
        filled = fill(first.data_dir, users, tokens)
        report.pools[key] = filled
        log(
            f"{key}: {filled['users']:,} users and {filled['refresh_tokens']:,} live refresh tokens, "
            f"filled in {filled['seconds']:.1f} s"
        )
    for repeat in range(options.large_repeats):
        pools: list[EmulatorProcess] = []
        try:
            for key in (SMALL, LARGE):
                pools.append(EmulatorProcess(LOCAL, work, name=key, data_dir=folders[key]))
                pools[-1].wait_ready()
                report.start_seconds.setdefault(key, []).append(pools[-1].start_seconds)
                log(f"{key} started in {pools[-1].start_seconds:.2f} s")
            for pool in pools:
                warm_up(wrk, pool.request, options.warmup)
            for clients in options.clients:
                take_turns(wrk, pools, clients, options, repeat, report.cells, "large pool ")
        finally:
            for pool in pools:
                pool.stop()


def run(options: argparse.Namespace) -> EmulatorReport:
    wrk = shutil.which(options.wrk)
    if wrk is None:
        raise SystemExit(f"wrk is not installed ({options.wrk!r} not found): apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="bench-emulators-"))
    report = EmulatorReport(options=options, machine=machine_description(), wrk=wrk_version(wrk))
    failed = True
    try:
        log(f"Emulators side by side; their data and logs in {work}")
        emulators_side_by_side(wrk, work, options, report)
        log(f"Our local Cognito with {SMALL_POOL_USERS} users against {options.large_users:,}")
        large_pool(wrk, work, options, report)
        failed = False
    finally:
        if failed:
            log(f"Data and logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return report


def parse_options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.emulators", description="The emulator benchmark (see bench/emulators.py)."
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per cell (default 10)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of every cell (default 3; medians are quoted)")
    parser.add_argument("--clients", default="1,16,64", help="concurrent clients, comma-separated (default 1,16,64)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load on each emulator before measuring")
    parser.add_argument("--large-users", type=int, default=100_000, help="users in the large pool (default 100,000)")
    parser.add_argument(
        "--large-tokens", type=int, default=200_000, help="live refresh tokens in the large pool (default 200,000)"
    )
    parser.add_argument(
        "--large-repeats",
        type=int,
        default=5,
        help="runs of the large pool against the small one (default 5: their ratio is the finest the benchmark checks)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke test: 1 s cells at 1 and 16 clients, one run, a large pool of 2,000 users",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="the results file whose emulator section is rewritten (bench/results.md)",
    )
    parser.add_argument("--wrk", default="wrk", help="the wrk program (default: wrk on PATH)")
    options = parser.parse_args(argv)
    if options.quick:
        options.duration, options.repeats, options.large_repeats, options.warmup = 1.0, 1, 1, 1.0
        if options.clients == parser.get_default("clients"):
            options.clients = "1,16"
        if options.large_users == parser.get_default("large_users"):
            options.large_users, options.large_tokens = 2_000, 4_000
    options.clients = tuple(int(part) for part in options.clients.split(",") if part.strip())
    if (
        not options.clients
        or min(options.clients) < 1
        or options.repeats < 1
        or options.large_repeats < 1
        or options.duration < 1
    ):
        parser.error(
            "--clients must list whole numbers of 1 or more; --repeats, --large-repeats and --duration at least 1"
        )
    if options.large_users < SMALL_POOL_USERS or options.large_tokens < 0:
        parser.error(f"--large-users must be at least {SMALL_POOL_USERS}, and --large-tokens not negative")
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    try:
        report = run(options)
    except RuntimeError as error:
        log(f"The benchmark stopped: {error}")
        return 1
    table = render(report)
    print(table)
    write_emulators_part(options.output, table)
    log(f"Written to {options.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The signIn benchmark: throughput, latency and memory of this server against two references.

    python -m bench                    # full run (about 12 minutes): prints the table, writes bench/results.md
    python -m bench --quick            # a smoke test of a few seconds
    python bench/run.py --help         # the options

Every server under test signs in against one stand-in Cognito (``bench.standin_cognito``, in a
process of its own) that answers InitiateAuth after ``--latency-ms`` (50 ms). The servers:

- ``tornado_server.py``: this server, in real-pool mode, with its default logging (to a file) and its
  rate limits on at a limit nobody reaches, so their cost is counted;
- ``bare aiobotocore`` (``bench/bare_aiobotocore_app.py``): the same call through the same async
  client with nothing around it, the floor of what Python does here;
- ``sync boto3`` (``bench/sync_boto3_app.py``): the tutorial's design, boto3 blocking the IOLoop.

wrk drives each with ``connections = clients`` and ``threads = min(2, clients)``. The machine is
shared, so every cell runs ``--repeats`` times, the servers take turns within each run (in a
different order each time), the table quotes medians, and ratios are taken between cells of one run
before their median is quoted. The server's RSS is sampled from /proc during the 64-client cells.
With ``--processes N`` (default 2) the server is also run as N processes on one port and compared
with one process at 64 and 256 clients.

Here are the options and the order of the run; the servers under test are in ``bench.servers``, a
cell (wrk, and the CPU and memory it cost) in ``bench.wrk`` with the readings of /proc in
``bench.procfs``, and the table and its targets in ``bench.report``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as ``python bench/run.py``: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import MEMORY_CLIENTS, SCALING_CLIENTS, Report, machine_description, render
from bench.results_file import write_sign_in_part
from bench.servers import KINDS, OURS, PASSWORD, ROOT, ServerProcess, server_env
from bench.standin_process import start_process
from bench.wrk import Cell, measure, warm_up, wrk_version

__all__ = ["KINDS", "main", "run"]

DEFAULT_OUTPUT = ROOT / "bench" / "results.md"
DEFAULT_CLIENTS = (1, 16, 64, 256)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_cells(
    wrk: str,
    servers: list[ServerProcess],
    standin_pid: int,
    clients_list: tuple[int, ...],
    options: argparse.Namespace,
    memory_clients: int,
    cells: list[Cell],
) -> None:
    total = options.repeats * len(clients_list) * len(servers)
    for repeat in range(options.repeats):
        for clients in clients_list:
            # A different order each run, so that no server always follows the same one.
            shift = repeat % len(servers)
            for server in servers[shift:] + servers[:shift]:
                server.settle(options.latency_ms / 1000)
                cell = measure(wrk, server, standin_pid, clients, options.duration, repeat, clients == memory_clients)
                cells.append(cell)
                memory = f", RSS {cell.rss_mb:.0f} MB" if cell.rss_mb is not None else ""
                log(
                    f"  [{len(cells)}/{total}] run {repeat + 1}, {clients:>3} clients, {server.label}: "
                    f"{cell.requests_per_second:.1f}/s, p50 {cell.p50_ms:.1f} ms, p99 {cell.p99_ms:.1f} ms, "
                    f"{cell.cpu_ms:.2f} ms CPU each, {cell.errors} errors{memory}"
                )
        for server in servers:
            if server.process.poll() is not None:
                raise RuntimeError(f"{server.label} exited during the run:\n{server.log_tail()}")


def run(options: argparse.Namespace) -> Report:
    wrk = shutil.which(options.wrk)
    if wrk is None:
        raise SystemExit(f"wrk is not installed ({options.wrk!r} not found): apt-get install wrk")
    log_dir = Path(tempfile.mkdtemp(prefix="bench-"))
    memory_clients = MEMORY_CLIENTS if MEMORY_CLIENTS in options.clients else max(options.clients)
    report = Report(
        options=options,
        machine=machine_description(),
        wrk=wrk_version(wrk),
        cells=[],
        labels={kind.key: kind.label for kind in KINDS},
        scaling="not asked for (--processes 1)",
    )
    servers: list[ServerProcess] = []
    failed = True
    with start_process(latency=options.latency_ms / 1000, password=PASSWORD) as standin:
        env = server_env(standin.endpoint_url, log_dir)
        try:
            log(
                f"Stand-in Cognito at {standin.endpoint_url} answering after {options.latency_ms:g} ms; "
                f"logs in {log_dir}"
            )
            for kind in KINDS:
                servers.append(ServerProcess(kind, env, log_dir))
            for server in servers:
                server.wait_ready()
                warm_up(wrk, server, options.warmup)
            run_cells(wrk, servers, standin.pid, options.clients, options, memory_clients, report.cells)
            for server in servers:
                server.stop()
            servers = []

            if options.processes > 1:
                scaling_clients = tuple(c for c in SCALING_CLIENTS if c in options.clients) or (max(options.clients),)
                log(f"1 process against {options.processes}, at {', '.join(map(str, scaling_clients))} clients")
                try:
                    servers.append(ServerProcess(OURS, env, log_dir))
                    servers.append(ServerProcess(OURS, env, log_dir, options.processes))
                    for server in servers:
                        server.wait_ready()
                        warm_up(wrk, server, options.warmup)
                    scaling_cells: list[Cell] = []
                    run_cells(wrk, servers, standin.pid, scaling_clients, options, memory_clients, scaling_cells)
                except RuntimeError as error:
                    # The main table stands without this section.
                    report.scaling = f"not measured: {str(error).splitlines()[0]}"
                    log(f"{report.scaling}\n{error}")
                else:
                    report.labels[servers[1].key] = servers[1].label
                    report.scaling_key = servers[1].key
                    # The one-process cells of this phase pair with the N-process ones; the
                    # main table keeps its own.
                    for cell in scaling_cells:
                        if cell.server == OURS.key:
                            cell.server = "scaling 1"
                    report.cells += scaling_cells
                    report.scaling = "measured"
            failed = False
        finally:
            for server in servers:
                server.stop()
            if failed:
                log(f"Server logs kept in {log_dir}")
            elif not options.keep_logs:
                shutil.rmtree(log_dir, ignore_errors=True)
    return report


def parse_options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description="The signIn benchmark (see bench/run.py).")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per cell (default 10)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of every cell (default 3; medians are quoted)")
    parser.add_argument(
        "--clients",
        default=",".join(map(str, DEFAULT_CLIENTS)),
        help="concurrent clients, comma-separated (default 1,16,64,256)",
    )
    parser.add_argument("--latency-ms", type=float, default=50.0, help="the stand-in Cognito's latency (default 50)")
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        help="compare tornado_server.py --processes N with one process (default 2; 1: skip)",
    )
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load on each server before measuring")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke test: 1 s cells, 1 and 16 clients, one run, no warm-up, one process only",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where the table goes (bench/results.md)")
    parser.add_argument("--wrk", default="wrk", help="the wrk program (default: wrk on PATH)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the servers' logs (their folder is printed)")
    options = parser.parse_args(argv)
    if options.quick:
        options.duration, options.repeats, options.warmup, options.processes = 1.0, 1, 0.0, 1
        if options.clients == parser.get_default("clients"):
            options.clients = "1,16"
    options.clients = tuple(int(part) for part in options.clients.split(",") if part.strip())
    if not options.clients or min(options.clients) < 1 or options.repeats < 1 or options.duration < 1:
        parser.error("--clients must list whole numbers of 1 or more; --repeats and --duration at least 1")
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
    write_sign_in_part(options.output, table)  # the emulator benchmark's section, if any, is kept
    log(f"Written to {options.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

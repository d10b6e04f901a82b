"""The benchmark's report: its cells' medians and ratios, the targets, and the markdown table."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import statistics

from bench.servers import BARE, KINDS, OURS, SYNC, UNREACHED_RATE_LIMIT
from bench.wrk import Cell

# The memory is sampled in the cells of this many clients (or the most clients asked for), and one
# process is compared with several at these.
MEMORY_CLIENTS = 64
SCALING_CLIENTS = (64, 256)

# The targets the benchmark checks.
TARGET_SHARE_OF_BARE = 0.90
TARGET_TIMES_SYNC = 20.0
TARGET_P99_LATENCIES = 4.0
TARGET_MEMORY_MB = 150.0
TARGET_SCALING = 1.6


@dataclasses.dataclass
class Report:
    options: argparse.Namespace
    machine: str
    wrk: str
    cells: list[Cell]
    labels: dict[str, str]  # server key -> label
    scaling: str  # "measured", or why the section is missing
    scaling_key: str | None = None

    def of(self, server: str, clients: int) -> list[Cell]:
        return [cell for cell in self.cells if cell.server == server and cell.clients == clients]

    def median(self, server: str, clients: int, field: str) -> float | None:
        values = [getattr(cell, field) for cell in self.of(server, clients) if getattr(cell, field) is not None]
        return statistics.median(values) if values else None

    def ratio(self, server: str, reference: str, clients: int) -> float | None:
        """The median over runs of (throughput of server / throughput of reference), run by run."""
        by_run = {cell.repeat: cell.requests_per_second for cell in self.of(reference, clients)}
        ratios = [
            cell.requests_per_second / by_run[cell.repeat]
            for cell in self.of(server, clients)
            if by_run.get(cell.repeat)
        ]
        return statistics.median(ratios) if ratios else None


def machine_description() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0))
    return (
        f"{cores} cores{f' ({model})' if model else ''}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def _number(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _verdict(passed: bool | None) -> str:
    return "not measured" if passed is None else ("**pass**" if passed else "**FAIL**")


def targets(report: Report) -> list[tuple[str, str, bool | None]]:
    """(target, measured, passed) for each target; passed is None when not measured."""
    latency_ms = report.options.latency_ms
    rows = []
    share = report.ratio(OURS.key, BARE.key, 64)
    rows.append(
        (
            f"throughput at 64 clients ≥ {TARGET_SHARE_OF_BARE:.0%} of bare aiobotocore",
            "–" if share is None else f"{share:.0%}",
            None if share is None else share >= TARGET_SHARE_OF_BARE,
        )
    )
    times = report.ratio(OURS.key, SYNC.key, 64)
    rows.append(
        (
            f"throughput at 64 clients ≥ {TARGET_TIMES_SYNC:g}× sync boto3",
            "–" if times is None else f"{times:.1f}×",
            None if times is None else times >= TARGET_TIMES_SYNC,
        )
    )
    p99 = report.median(OURS.key, 64, "p99_ms")
    limit = TARGET_P99_LATENCIES * latency_ms
    rows.append(
        (
            f"p99 at 64 clients < {TARGET_P99_LATENCIES:g}× the Cognito latency ({limit:g} ms)",
            "–" if p99 is None else f"{p99:.1f} ms",
            None if p99 is None else p99 < limit,
        )
    )
    memory_cells = [
        c
        for c in report.cells
        if c.server in (OURS.key, report.scaling_key, "scaling 1") and c.peak_mb is not None and c.clients == 64
    ]
    peak = max((c.peak_mb for c in memory_cells), default=None)
    rows.append(
        (
            f"memory < {TARGET_MEMORY_MB:g} MB per process under load (peak RSS, 64 clients)",
            "–" if peak is None else f"{peak:.0f} MB",
            None if peak is None else peak < TARGET_MEMORY_MB,
        )
    )
    for clients in SCALING_CLIENTS:
        scaling = report.ratio(report.scaling_key, "scaling 1", clients) if report.scaling_key else None
        one = report.median("scaling 1", clients, "requests_per_second")
        ceiling = f" (ceiling {ceiling_rate(clients, latency_ms) / one:.2f}×)" if one else ""
        rows.append(
            (
                f"{max(2, report.options.processes)} processes ≥ {TARGET_SCALING:g}× 1 process at {clients} clients",
                "–" if scaling is None else f"{scaling:.2f}×{ceiling}",
                None if scaling is None else scaling >= TARGET_SCALING,
            )
        )
    return rows


def ceiling_rate(clients: int, latency_ms: float) -> float:
    """The most signIns per second any server can answer: each client waits for its answer, which
    takes at least the Cognito latency, before it sends the next request."""
    return clients * 1000 / latency_ms


def render(report: Report) -> str:
    options = report.options
    memory_clients = MEMORY_CLIENTS if MEMORY_CLIENTS in options.clients else max(options.clients)
    lines = [
        "# signIn benchmark",
        "",
        f"`python -m bench{' --quick' if options.quick else ''}` on {datetime.date.today().isoformat()}: "
        f"{report.machine}; {report.wrk}.",
        "",
        f"- Cognito: `bench/standin_cognito.py`, in a process of its own, answers InitiateAuth after "
        f"{options.latency_ms:g} ms.",
        f"- Load: wrk on the same machine, connections = clients, threads = min(2, clients), "
        f"{options.duration:g} s per cell; {options.repeats} runs with the servers taking turns; "
        "medians of the runs, and ratios taken within a run.",
        "- `tornado_server.py` runs in real-pool mode with its default logging (one access line per "
        f"request, to a file) and its rate limits on at `{UNREACHED_RATE_LIMIT}` per address and per user "
        "(`RATE_LIMIT_PER_ADDRESS`, `RATE_LIMIT_PER_USER`): never reached, but paid for on every signIn.",
        "- `bare aiobotocore` makes the same call with the same client and nothing else; `sync boto3` is "
        "the tutorial's design (boto3 blocking the IOLoop).",
        "- CPU ms per signIn: the server's processes' user + system time over the cell, divided by its "
        "successful signIns. Less noisy than signIn/s on a shared machine.",
        "- Each client waits for its answer before sending again, so no server can pass clients ÷ latency: "
        + ", ".join(f"{ceiling_rate(c, options.latency_ms):,.0f}/s at {c}" for c in options.clients)
        + ".",
        "",
        "| clients | server | signIn/s | p50 ms | p99 ms | CPU ms per signIn | errors |",
        "|--:|:--|--:|--:|--:|--:|--:|",
    ]
    for clients in options.clients:
        for kind in KINDS:
            cells = report.of(kind.key, clients)
            if not cells:
                continue
            lines.append(
                f"| {clients} | {kind.label} | {_number(report.median(kind.key, clients, 'requests_per_second'))} "
                f"| {_number(report.median(kind.key, clients, 'p50_ms'))} "
                f"| {_number(report.median(kind.key, clients, 'p99_ms'))} "
                f"| {_number(report.median(kind.key, clients, 'cpu_ms'), 2)} "
                f"| {sum(c.errors for c in cells)} |"
            )
    standin_ms = report.median(OURS.key, memory_clients, "standin_cpu_ms")
    wrk_ms = report.median(OURS.key, memory_clients, "wrk_cpu_ms")
    if standin_ms is not None and wrk_ms is not None:
        lines += [
            "",
            f"The load itself costs CPU on the same cores: at {memory_clients} clients, per signIn of "
            f"`tornado_server.py`, wrk used {wrk_ms:.2f} ms and the stand-in Cognito {standin_ms:.2f} ms.",
        ]
    lines += [
        "",
        f"Memory per process during the {memory_clients}-client cells (largest of the runs):",
        "",
        "| server | RSS MB under load | peak RSS MB (VmHWM) |",
        "|:--|--:|--:|",
    ]
    for key in [kind.key for kind in KINDS] + ([report.scaling_key] if report.scaling_key else []):
        cells = [c for c in report.cells if c.server == key and c.clients == memory_clients and c.rss_mb is not None]
        if cells:
            lines.append(
                f"| {report.labels[key]} | {max(c.rss_mb for c in cells):.0f} | {max(c.peak_mb for c in cells):.0f} |"
            )
    processes = max(2, options.processes)
    lines += ["", f"## 1 process against {processes}", ""]
    if report.scaling_key:
        lines += [
            f"`tornado_server.py` and `tornado_server.py --processes {options.processes}` taking turns:",
            "",
            f"| clients | 1 process signIn/s | 1 process, cores busy | {options.processes} processes signIn/s "
            f"| ratio | ceiling | {options.processes} processes p99 ms |",
            "|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for clients in sorted({c.clients for c in report.cells if c.server == report.scaling_key}):
            ratio = report.ratio(report.scaling_key, "scaling 1", clients)
            one = report.median("scaling 1", clients, "requests_per_second")
            busy = report.median("scaling 1", clients, "cpu_ms") * one / 1000
            lines.append(
                f"| {clients} | {_number(one)} | {busy:.2f} "
                f"| {_number(report.median(report.scaling_key, clients, 'requests_per_second'))} "
                f"| {_number(ratio, 2)}× | {ceiling_rate(clients, options.latency_ms) / one:.2f}× "
                f"| {_number(report.median(report.scaling_key, clients, 'p99_ms'))} |"
            )
        lines += [
            "",
            '"Cores busy" is the one process\'s CPU time per second of the cell (1.00: all of one '
            'core), and "ceiling" the most that any number of processes could gain over it (clients ÷ '
            "latency, divided by the one process's rate).",
        ]
    else:
        lines.append(f"Not measured: {report.scaling.removeprefix('not measured: ')}.")
    lines += ["", "## Targets", "", "| target | measured | result |", "|:--|--:|:--|"]
    lines += [f"| {target} | {measured} | {_verdict(passed)} |" for target, measured, passed in targets(report)]
    ours_cpu, bare_cpu = report.median(OURS.key, 64, "cpu_ms"), report.median(BARE.key, 64, "cpu_ms")
    if ours_cpu and bare_cpu:
        lines += [
            "",
            f"For comparison with the first target: at 64 clients `tornado_server.py` used "
            f"{ours_cpu:.2f} ms of CPU per signIn and bare aiobotocore {bare_cpu:.2f} ms "
            f"({bare_cpu / ours_cpu:.0%} of ours): where CPU is what runs out, that is the throughput "
            "ratio to expect.",
        ]
    return "\n".join(lines) + "\n"

"""The emulator benchmark's report: its cells' medians and ratios, the targets, and the markdown section."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import statistics

from bench.emulator_processes import KINDS, LOCAL, MOTO, SERVER
from bench.wrk import Cell

SMALL, LARGE = "small pool", "large pool"  # the keys of our local Cognito's two pools

# The targets the benchmark checks, each at every client count measured.
TARGET_LOCAL_TIMES_MOTO = 1.0  # our local Cognito's InitiateAuth, against moto's server
TARGET_SERVER_TIMES_MOTO = 0.8  # our server's POST / signIn in local mode, against moto's server
TARGET_LARGE_TIMES_SMALL = 0.9  # 100,000 users and 200,000 refresh tokens, against 10 users
TARGET_START_SECONDS = 3.0  # the large pool's start-up, launch to serving


@dataclasses.dataclass
class EmulatorReport:
    options: argparse.Namespace
    machine: str
    wrk: str
    cells: list[Cell] = dataclasses.field(default_factory=list)
    pools: dict[str, dict] = dataclasses.field(default_factory=dict)  # key -> users, refresh_tokens, seconds
    start_seconds: dict[str, list[float]] = dataclasses.field(default_factory=dict)  # key -> every start

    def of(self, key: str, clients: int) -> list[Cell]:
        return [cell for cell in self.cells if cell.server == key and cell.clients == clients]

    def median(self, key: str, clients: int, field: str) -> float | None:
        values = [getattr(cell, field) for cell in self.of(key, clients)]
        return statistics.median(values) if values else None

    def ratio(self, key: str, reference: str, clients: int) -> float | None:
        """The median over runs of (rate of ``key`` / rate of ``reference``), run by run."""
        by_run = {cell.repeat: cell.requests_per_second for cell in self.of(reference, clients)}
        ratios = [
            cell.requests_per_second / by_run[cell.repeat] for cell in self.of(key, clients) if by_run.get(cell.repeat)
        ]
        return statistics.median(ratios) if ratios else None


def _number(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _times(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def _clients(count: int) -> str:
    return "1 client" if count == 1 else f"{count} clients"


def _verdict(passed: bool | None) -> str:
    return "not measured" if passed is None else ("**pass**" if passed else "**FAIL**")


def targets(report: EmulatorReport) -> list[tuple[str, str, bool | None]]:
    """(target, measured, passed) for each target; passed is None when not measured."""
    rows = []
    for key, reference, least, what in (
        (LOCAL.key, MOTO.key, TARGET_LOCAL_TIMES_MOTO, "our local Cognito's InitiateAuth"),
        (SERVER.key, MOTO.key, TARGET_SERVER_TIMES_MOTO, "POST / signIn in local mode"),
        (
            LARGE,
            SMALL,
            TARGET_LARGE_TIMES_SMALL,
            f"sign-in with {report.pools.get(LARGE, {}).get('users', 0):,} users and "
            f"{report.pools.get(LARGE, {}).get('refresh_tokens', 0):,} live refresh tokens",
        ),
    ):
        against = "moto's server" if reference == MOTO.key else "its rate with 10 users"
        for clients in report.options.clients:
            ratio = report.ratio(key, reference, clients)
            rows.append(
                (
                    f"{what} ≥ {least:g}× {against}, {_clients(clients)}",
                    _times(ratio),
                    None if ratio is None else ratio >= least,
                )
            )
    starts = report.start_seconds.get(LARGE, [])
    users = report.pools.get(LARGE, {}).get("users", 0)
    slowest = max(starts, default=None)
    rows.append(
        (
            f"start-up with {users:,} users ≤ {TARGET_START_SECONDS:g} s (the slowest of {len(starts)})",
            "–" if slowest is None else f"{slowest:.2f} s",
            None if slowest is None else slowest <= TARGET_START_SECONDS,
        )
    )
    return rows


def render(report: EmulatorReport) -> str:
    options = report.options
    small, large = report.pools.get(SMALL, {}), report.pools.get(LARGE, {})
    lines = [
        "## Our local Cognito against other emulators",
        "",
        f"`python -m bench.emulators{' --quick' if options.quick else ''}` on {datetime.date.today().isoformat()}: "
        f"{report.machine}; {report.wrk}.",
        "",
        "- Each emulator signs in one confirmed user again and again: InitiateAuth (USER_PASSWORD_AUTH, "
        "with SECRET_HASH, through an app client with a secret) on our local Cognito "
        "(`bench/local_cognito_app.py`), moto's own server (`moto_server`) and cognito-local (npm, under "
        "node); `POST /` `signIn` on `tornado_server.py` in local mode (its embedded local Cognito, its "
        "default logging, its rate limits on at a limit nobody reaches).",
        f"- Load: wrk on the same machine, connections = clients, threads = min(2, clients), "
        f"{options.duration:g} s per cell; {options.repeats} run{'s' if options.repeats != 1 else ''} with the "
        'emulators taking turns; medians of the runs. "× moto" is the median of the ratios to moto\'s '
        "server taken within each run.",
        "- CPU ms per sign-in: the emulator's processes' user + system time over the cell, divided by its "
        "successful sign-ins.",
        "",
        "| clients | emulator | sign-ins/s | × moto | p50 ms | p99 ms | CPU ms per sign-in | errors |",
        "|--:|:--|--:|--:|--:|--:|--:|--:|",
    ]
    for clients in options.clients:
        for kind in KINDS:
            if report.of(kind.key, clients):
                lines.append(_row(report, kind.key, kind.label, clients, MOTO.key))
    lines += [
        "",
        "## Our local Cognito with a large pool",
        "",
        f"Our local Cognito (InitiateAuth, as above) over a pool of {small.get('users', 0):,} users against "
        f"one of {large.get('users', 0):,} users and {large.get('refresh_tokens', 0):,} live refresh tokens "
        f"(written straight into its database by `bench/fill_pool.py`, in {large.get('seconds', 0):.1f} s), "
        f"taking turns over {options.large_repeats} run{'s' if options.large_repeats != 1 else ''} "
        "(medians; ratios within each run); both are started afresh for each run. Every sign-in adds a "
        "refresh token to the pool it signs in to.",
        "",
        "| clients | pool | sign-ins/s | × 10 users | p50 ms | p99 ms | CPU ms per sign-in | errors |",
        "|--:|:--|--:|--:|--:|--:|--:|--:|",
    ]
    labels = {SMALL: f"{small.get('users', 0):,} users", LARGE: f"{large.get('users', 0):,} users"}
    for clients in options.clients:
        for key in (SMALL, LARGE):
            if report.of(key, clients):
                lines.append(_row(report, key, labels[key], clients, SMALL))
    for key in (SMALL, LARGE):
        starts = report.start_seconds.get(key, [])
        if starts:
            lines.append("")
            lines.append(
                f"Start-up with {labels[key]} (launch to serving, {len(starts)} "
                f"start{'s' if len(starts) != 1 else ''}): median "
                f"{statistics.median(starts):.2f} s, slowest {max(starts):.2f} s."
            )
    lines += ["", "## Targets", "", "| target | measured | result |", "|:--|--:|:--|"]
    lines += [f"| {target} | {measured} | {_verdict(passed)} |" for target, measured, passed in targets(report)]
    lines += _cpu_note(report)
    return "\n".join(lines) + "\n"


def _cpu_note(report: EmulatorReport) -> list[str]:
    """What each sign-in cost in CPU, beside the rates: less at the mercy of a busy machine."""
    clients = 16 if 16 in report.options.clients else max(report.options.clients)
    costs = {kind: report.median(kind.key, clients, "cpu_ms") for kind in KINDS}
    moto = costs[MOTO]
    if not moto or any(cost is None for cost in costs.values()):
        return []
    listed = ", ".join(
        f"{kind.label} {cost:.2f} ms (moto's ÷ its: {moto / cost:.2f}×)"
        for kind, cost in costs.items()
        if kind is not MOTO
    )
    return [
        "",
        f"CPU per sign-in at {clients} clients (medians): moto's server {moto:.2f} ms; {listed}. Where CPU "
        "is all that runs out, that is the ratio of rates to expect; on a machine busy with other work, "
        "how the scheduler shares the cores among the processes (and, in our server, between its thread "
        "and the embedded local Cognito's) weighs as much.",
    ]


def _row(report: EmulatorReport, key: str, label: str, clients: int, reference: str) -> str:
    ratio = report.ratio(key, reference, clients)
    return (
        f"| {clients} | {label} | {_number(report.median(key, clients, 'requests_per_second'))} "
        f"| {_times(ratio)} | {_number(report.median(key, clients, 'p50_ms'))} "
        f"| {_number(report.median(key, clients, 'p99_ms'))} "
        f"| {_number(report.median(key, clients, 'cpu_ms'), 2)} "
        f"| {sum(cell.errors for cell in report.of(key, clients))} |"
    )

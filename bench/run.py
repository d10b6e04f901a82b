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
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import platform
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

if __package__ in (None, ""):  # run as ``python bench/run.py``: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import standin_cognito  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
LUA_SCRIPT = BENCH_DIR / "signin.lua"
DEFAULT_OUTPUT = BENCH_DIR / "results.md"

USER = "bench@example.com"
PASSWORD = "Bench_password_1"
SIGN_IN_BODY = json.dumps({"env": "signIn", "user": USER, "pass": PASSWORD}, separators=(",", ":"))
# Far above anything the benchmark sends, yet not "off": the limiter still runs on every signIn.
UNREACHED_RATE_LIMIT = "100000000/60"

DEFAULT_CLIENTS = (1, 16, 64, 256)
MEMORY_CLIENTS = 64
SCALING_CLIENTS = (64, 256)

# The targets the benchmark checks.
TARGET_SHARE_OF_BARE = 0.90
TARGET_TIMES_SYNC = 20.0
TARGET_P99_LATENCIES = 4.0
TARGET_MEMORY_MB = 150.0
TARGET_SCALING = 1.6

# Variables that would change what is measured (another mode, another pool, other limits).
CLEARED_ENV = (
    "PORT", "HOST", "WORKERS", "LOG_FORMAT", "BASE_URL", "COGNITO_DOMAIN", "COGNITO_ISSUER", "ALLOWED_ORIGINS",
    "TRUSTED_PROXIES", "REDIS_URL", "STS_USER_CLIENT_ID", "STS_USER_CLIENT_SECRET", "PHOTOS_BUCKET",
    "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_STS", "LOCAL_COGNITO_DATA", "LOCAL_COGNITO_CODE",
    "LOCAL_COGNITO_PORT", "LOCAL_ADMIN_EMAIL", "LOCAL_ADMIN_PASSWORD", "COGNITO_CONNECT_TIMEOUT",
    "COGNITO_READ_TIMEOUT", "COGNITO_MAX_ATTEMPTS", "RATE_LIMIT_PER_ADDRESS", "RATE_LIMIT_PER_USER",
)


@dataclasses.dataclass(frozen=True)
class ServerKind:
    key: str
    label: str
    command: tuple[str, ...]  # run from the project root; --port and --host are added


OURS = ServerKind("server", "tornado_server.py", ("tornado_server.py",))
BARE = ServerKind("bare", "bare aiobotocore", ("bench/bare_aiobotocore_app.py",))
SYNC = ServerKind("sync", "sync boto3 (tutorial)", ("bench/sync_boto3_app.py",))
KINDS = (OURS, BARE, SYNC)


@dataclasses.dataclass
class Cell:
    """One wrk run against one server."""

    server: str  # ServerKind.key, with "x2" etc. for several processes
    clients: int
    repeat: int
    requests_per_second: float  # successful (2xx/3xx) answers only
    p50_ms: float
    p99_ms: float
    errors: int  # connection errors, timeouts and 4xx/5xx answers
    cpu_ms: float  # CPU time of the server's processes per successful signIn
    standin_cpu_ms: float  # the same for the stand-in Cognito
    wrk_cpu_ms: float  # and for wrk
    rss_mb: float | None = None  # the largest RSS of one process while the cell ran
    peak_mb: float | None = None  # the largest VmHWM of one process at the end of the cell


# --- processes ---------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children_of(pid: int) -> list[int]:
    """Every descendant of ``pid`` (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                # The command name (2nd field) may hold spaces: the parent pid follows its closing ")".
                ppid = int(stat.read().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    found, pending = [], [pid]
    while pending:
        for child in parents.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time used so far by ``pids`` (those still running)."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, ValueError, IndexError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def memory_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of ``pid`` in KiB; (0, 0) once it is gone."""
    values = {"VmRSS:": 0, "VmHWM:": 0}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                parts = line.split()  # "VmRSS:", "123456", "kB"
                if parts and parts[0] in values:
                    values[parts[0]] = int(parts[1])
    except OSError:
        pass
    return values["VmRSS:"], values["VmHWM:"]


class ServerProcess:
    """A server under test in a process (group) of its own, its output going to a log file."""

    def __init__(self, kind: ServerKind, env: dict[str, str], log_dir: Path, processes: int = 1):
        self.kind = kind
        self.processes = processes
        self.key = kind.key if processes == 1 else f"{kind.key} x{processes}"
        self.label = kind.label if processes == 1 else f"{kind.label} --processes {processes}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = log_dir / f"{self.key.replace(' ', '-')}-{self.port}.log"
        command = [sys.executable, *kind.command, "--port", str(self.port), "--host", "127.0.0.1"]
        if processes > 1:
            command += ["--processes", str(processes)]
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def serving_pids(self) -> list[int]:
        """The processes that answer requests: the children when there are several, else the one."""
        if self.processes == 1:
            return [self.process.pid]
        # multiprocessing's helper process is no worker.
        return [pid for pid in children_of(self.process.pid) if "resource_tracker" not in command_line(pid)]

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until a signIn succeeds (and, with several processes, all of them are up)."""
        deadline = time.monotonic() + timeout
        last_problem = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.label} exited with status {self.process.returncode}:\n{self.log_tail()}")
            status, body = sign_in_once(self.url)
            if status == 200 and b"access_token" in body:
                if self.processes == 1 or len(self.serving_pids()) >= self.processes:
                    return
                last_problem = f"{len(self.serving_pids())} of {self.processes} processes up"
            elif status:
                last_problem = f"signIn answered {status}: {body[:300]!r}"
            time.sleep(0.2)
        raise RuntimeError(f"{self.label} did not sign in within {timeout:.0f} s ({last_problem}):\n{self.log_tail()}")

    def settle(self, latency: float, timeout: float = 60.0) -> None:
        """Until a signIn is answered in about the Cognito latency: a server that blocks (sync boto3)
        still works through the requests of the previous cell's clients after wrk has gone."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            started = time.monotonic()
            sign_in_once(self.url)
            if time.monotonic() - started < 3 * latency + 0.05:
                return

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # workers left behind by a supervisor
        except ProcessLookupError:
            pass
        self.process.wait()
        self._log.close()


def sign_in_once(url: str) -> tuple[int, bytes]:
    """(status, body) of one signIn; (0, b"") when the server does not answer."""
    request = urllib.request.Request(url, data=SIGN_IN_BODY.encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


# --- wrk ---------------------------------------------------------------------------------------

def wrk_version(wrk: str) -> str:
    # wrk prints its version with the usage text, and exits non-zero.
    output = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout
    return output.splitlines()[0].split(" Copyright")[0].strip() if output else "unknown"


def run_wrk(wrk: str, url: str, clients: int, duration: float, timeout: float) -> dict:
    """wrk's numbers (see bench/signin.lua), and ``cpu_seconds``: what wrk itself used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [wrk, "-t", str(min(2, clients)), "-c", str(clients), "-d", f"{max(1, round(duration))}s",
               "--timeout", f"{timeout:.0f}s", "-s", str(LUA_SCRIPT), url]
    completed = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "BENCH_BODY": SIGN_IN_BODY},
                               timeout=duration + timeout + 60)
    for line in completed.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            return {**json.loads(line.removeprefix("BENCH_RESULT ")),
                    "cpu_seconds": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime}
    raise RuntimeError(f"wrk gave no result (status {completed.returncode}):\n{completed.stdout}\n{completed.stderr}")


class MemorySampler:
    """Samples the RSS of ``pids()`` every 0.2 s while it runs; keeps the largest per process."""

    def __init__(self, pids: Callable[[], list[int]]):
        self.pids = pids
        self.largest_rss_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "MemorySampler":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            for pid in self.pids():
                self.largest_rss_kb = max(self.largest_rss_kb, memory_kb(pid)[0])
            self._stop.wait(0.2)

    def peak_kb(self) -> int:
        return max((memory_kb(pid)[1] for pid in self.pids()), default=0)


def measure(wrk: str, server: ServerProcess, standin_pid: int, clients: int, duration: float, repeat: int,
            sample_memory: bool) -> Cell:
    timeout = max(30.0, 2 * duration)
    pids = server.serving_pids()
    server_cpu, standin_cpu = cpu_seconds(pids), cpu_seconds([standin_pid])
    if sample_memory:
        with MemorySampler(server.serving_pids) as sampler:
            result = run_wrk(wrk, server.url, clients, duration, timeout)
        rss_mb, peak_mb = sampler.largest_rss_kb / 1024, sampler.peak_kb() / 1024
    else:
        result = run_wrk(wrk, server.url, clients, duration, timeout)
        rss_mb = peak_mb = None
    # Answers still in flight when wrk stops are counted by neither side: near enough at these rates.
    server_cpu, standin_cpu = cpu_seconds(pids) - server_cpu, cpu_seconds([standin_pid]) - standin_cpu
    seconds = result["duration_us"] / 1e6
    successes = result["requests"] - result["status_errors"]
    errors = (result["connect_errors"] + result["read_errors"] + result["write_errors"] + result["status_errors"]
              + result["timeouts"])
    per_sign_in = 1000 / max(successes, 1)
    return Cell(server=server.key, clients=clients, repeat=repeat, requests_per_second=successes / seconds,
                p50_ms=result["p50_us"] / 1000, p99_ms=result["p99_us"] / 1000, errors=errors,
                cpu_ms=server_cpu * per_sign_in, standin_cpu_ms=standin_cpu * per_sign_in,
                wrk_cpu_ms=result["cpu_seconds"] * per_sign_in, rss_mb=rss_mb, peak_mb=peak_mb)


# --- the run -----------------------------------------------------------------------------------

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
        ratios = [cell.requests_per_second / by_run[cell.repeat] for cell in self.of(server, clients)
                  if by_run.get(cell.repeat)]
        return statistics.median(ratios) if ratios else None


def machine_description() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0))
    return (f"{cores} cores{f' ({model})' if model else ''}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def server_env(endpoint_url: str, data_dir: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in CLEARED_ENV}
    env.update(standin_cognito.POOL_ENV)
    env.update({
        "COGNITO_ENDPOINT_URL": endpoint_url,
        "COOKIE_SECRET": secrets.token_urlsafe(32),
        "RATE_LIMIT_PER_ADDRESS": UNREACHED_RATE_LIMIT,
        "RATE_LIMIT_PER_USER": UNREACHED_RATE_LIMIT,
        "PHOTOS_DATA": str(data_dir / "photos"),
        # InitiateAuth is sent unsigned: no credentials are looked for, least of all on the network.
        "AWS_EC2_METADATA_DISABLED": "true",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def warm_up(wrk: str, server: ServerProcess, seconds: float) -> None:
    """Connection pools filled and lazy imports done before anything is measured."""
    if seconds >= 1:
        run_wrk(wrk, server.url, 64, seconds, 30)
    else:
        for _ in range(10):
            sign_in_once(server.url)


def run_cells(wrk: str, servers: list[ServerProcess], standin_pid: int, clients_list: tuple[int, ...],
              options: argparse.Namespace, memory_clients: int, cells: list[Cell]) -> None:
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
                log(f"  [{len(cells)}/{total}] run {repeat + 1}, {clients:>3} clients, {server.label}: "
                    f"{cell.requests_per_second:.1f}/s, p50 {cell.p50_ms:.1f} ms, p99 {cell.p99_ms:.1f} ms, "
                    f"{cell.cpu_ms:.2f} ms CPU each, {cell.errors} errors{memory}")
        for server in servers:
            if server.process.poll() is not None:
                raise RuntimeError(f"{server.label} exited during the run:\n{server.log_tail()}")


def run(options: argparse.Namespace) -> Report:
    wrk = shutil.which(options.wrk)
    if wrk is None:
        raise SystemExit(f"wrk is not installed ({options.wrk!r} not found): apt-get install wrk")
    log_dir = Path(tempfile.mkdtemp(prefix="bench-"))
    memory_clients = MEMORY_CLIENTS if MEMORY_CLIENTS in options.clients else max(options.clients)
    report = Report(options=options, machine=machine_description(), wrk=wrk_version(wrk), cells=[],
                    labels={kind.key: kind.label for kind in KINDS}, scaling="not asked for (--processes 1)")
    servers: list[ServerProcess] = []
    failed = True
    with standin_cognito.start_process(latency=options.latency_ms / 1000, password=PASSWORD) as standin:
        env = server_env(standin.endpoint_url, log_dir)
        try:
            log(f"Stand-in Cognito at {standin.endpoint_url} answering after {options.latency_ms:g} ms; "
                f"logs in {log_dir}")
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
                    run_cells(wrk, servers, standin.pid, scaling_clients, options, memory_clients,
                              scaling_cells)
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


# --- the table ---------------------------------------------------------------------------------

def _number(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _verdict(passed: bool | None) -> str:
    return "not measured" if passed is None else ("**pass**" if passed else "**FAIL**")


def targets(report: Report) -> list[tuple[str, str, bool | None]]:
    """(target, measured, passed) for each target; passed is None when not measured."""
    latency_ms = report.options.latency_ms
    rows = []
    share = report.ratio(OURS.key, BARE.key, 64)
    rows.append((f"throughput at 64 clients ≥ {TARGET_SHARE_OF_BARE:.0%} of bare aiobotocore",
                 "–" if share is None else f"{share:.0%}", None if share is None else share >= TARGET_SHARE_OF_BARE))
    times = report.ratio(OURS.key, SYNC.key, 64)
    rows.append((f"throughput at 64 clients ≥ {TARGET_TIMES_SYNC:g}× sync boto3",
                 "–" if times is None else f"{times:.1f}×", None if times is None else times >= TARGET_TIMES_SYNC))
    p99 = report.median(OURS.key, 64, "p99_ms")
    limit = TARGET_P99_LATENCIES * latency_ms
    rows.append((f"p99 at 64 clients < {TARGET_P99_LATENCIES:g}× the Cognito latency ({limit:g} ms)",
                 "–" if p99 is None else f"{p99:.1f} ms", None if p99 is None else p99 < limit))
    memory_cells = [c for c in report.cells if c.server in (OURS.key, report.scaling_key, "scaling 1")
                    and c.peak_mb is not None and c.clients == 64]
    peak = max((c.peak_mb for c in memory_cells), default=None)
    rows.append((f"memory < {TARGET_MEMORY_MB:g} MB per process under load (peak RSS, 64 clients)",
                 "–" if peak is None else f"{peak:.0f} MB", None if peak is None else peak < TARGET_MEMORY_MB))
    for clients in SCALING_CLIENTS:
        scaling = report.ratio(report.scaling_key, "scaling 1", clients) if report.scaling_key else None
        one = report.median("scaling 1", clients, "requests_per_second")
        ceiling = f" (ceiling {ceiling_rate(clients, latency_ms) / one:.2f}×)" if one else ""
        rows.append((f"{max(2, report.options.processes)} processes ≥ {TARGET_SCALING:g}× 1 process at {clients} clients",
                     "–" if scaling is None else f"{scaling:.2f}×{ceiling}",
                     None if scaling is None else scaling >= TARGET_SCALING))
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
        + ", ".join(f"{ceiling_rate(c, options.latency_ms):,.0f}/s at {c}" for c in options.clients) + ".",
        "",
        "| clients | server | signIn/s | p50 ms | p99 ms | CPU ms per signIn | errors |",
        "|--:|:--|--:|--:|--:|--:|--:|",
    ]
    for clients in options.clients:
        for kind in KINDS:
            cells = report.of(kind.key, clients)
            if not cells:
                continue
            lines.append(f"| {clients} | {kind.label} | {_number(report.median(kind.key, clients, 'requests_per_second'))} "
                         f"| {_number(report.median(kind.key, clients, 'p50_ms'))} "
                         f"| {_number(report.median(kind.key, clients, 'p99_ms'))} "
                         f"| {_number(report.median(kind.key, clients, 'cpu_ms'), 2)} "
                         f"| {sum(c.errors for c in cells)} |")
    standin_ms = report.median(OURS.key, memory_clients, "standin_cpu_ms")
    wrk_ms = report.median(OURS.key, memory_clients, "wrk_cpu_ms")
    if standin_ms is not None and wrk_ms is not None:
        lines += ["", f"The load itself costs CPU on the same cores: at {memory_clients} clients, per signIn of "
                  f"`tornado_server.py`, wrk used {wrk_ms:.2f} ms and the stand-in Cognito {standin_ms:.2f} ms."]
    lines += ["", f"Memory per process during the {memory_clients}-client cells (largest of the runs):", "",
              "| server | RSS MB under load | peak RSS MB (VmHWM) |", "|:--|--:|--:|"]
    for key in [kind.key for kind in KINDS] + ([report.scaling_key] if report.scaling_key else []):
        cells = [c for c in report.cells if c.server == key and c.clients == memory_clients and c.rss_mb is not None]
        if cells:
            lines.append(f"| {report.labels[key]} | {max(c.rss_mb for c in cells):.0f} "
                         f"| {max(c.peak_mb for c in cells):.0f} |")
    processes = max(2, options.processes)
    lines += ["", f"## 1 process against {processes}", ""]
    if report.scaling_key:
        lines += [f"`tornado_server.py` and `tornado_server.py --processes {options.processes}` taking turns:", "",
                  f"| clients | 1 process signIn/s | 1 process, cores busy | {options.processes} processes signIn/s "
                  f"| ratio | ceiling | {options.processes} processes p99 ms |", "|--:|--:|--:|--:|--:|--:|--:|"]
        for clients in sorted({c.clients for c in report.cells if c.server == report.scaling_key}):
            ratio = report.ratio(report.scaling_key, "scaling 1", clients)
            one = report.median("scaling 1", clients, "requests_per_second")
            busy = report.median("scaling 1", clients, "cpu_ms") * one / 1000
            lines.append(f"| {clients} | {_number(one)} | {busy:.2f} "
                         f"| {_number(report.median(report.scaling_key, clients, 'requests_per_second'))} "
                         f"| {_number(ratio, 2)}× | {ceiling_rate(clients, options.latency_ms) / one:.2f}× "
                         f"| {_number(report.median(report.scaling_key, clients, 'p99_ms'))} |")
        lines += ["", "\"Cores busy\" is the one process's CPU time per second of the cell (1.00: all of one "
                  "core), and \"ceiling\" the most that any number of processes could gain over it (clients ÷ "
                  "latency, divided by the one process's rate)."]
    else:
        lines.append(f"Not measured: {report.scaling.removeprefix('not measured: ')}.")
    lines += ["", "## Targets", "", "| target | measured | result |", "|:--|--:|:--|"]
    lines += [f"| {target} | {measured} | {_verdict(passed)} |" for target, measured, passed in targets(report)]
    ours_cpu, bare_cpu = report.median(OURS.key, 64, "cpu_ms"), report.median(BARE.key, 64, "cpu_ms")
    if ours_cpu and bare_cpu:
        lines += ["", f"For comparison with the first target: at 64 clients `tornado_server.py` used "
                  f"{ours_cpu:.2f} ms of CPU per signIn and bare aiobotocore {bare_cpu:.2f} ms "
                  f"({bare_cpu / ours_cpu:.0%} of ours): where CPU is what runs out, that is the throughput "
                  "ratio to expect."]
    return "\n".join(lines) + "\n"


def parse_options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description="The signIn benchmark (see bench/run.py).")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per cell (default 10)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of every cell (default 3; medians are quoted)")
    parser.add_argument("--clients", default=",".join(map(str, DEFAULT_CLIENTS)),
                        help="concurrent clients, comma-separated (default 1,16,64,256)")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="the stand-in Cognito's latency (default 50)")
    parser.add_argument("--processes", type=int, default=2,
                        help="compare tornado_server.py --processes N with one process (default 2; 1: skip)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load on each server before measuring")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke test: 1 s cells, 1 and 16 clients, one run, no warm-up, one process only")
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
    options.output.write_text(table)
    log(f"Written to {options.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

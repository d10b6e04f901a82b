"""One cell of the benchmark: wrk's load on one server, and what it cost the server in CPU and memory.

wrk runs ``bench/signin.lua``, which sends the signIn body and prints one ``BENCH_RESULT`` line of
JSON (requests, errors, latency percentiles) that ``run_wrk`` reads back.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import subprocess

from bench.procfs import MemorySampler, cpu_seconds
from bench.servers import ROOT, SIGN_IN_BODY, ServerProcess, sign_in_once

LUA_SCRIPT = ROOT / "bench" / "signin.lua"


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


def wrk_version(wrk: str) -> str:
    # wrk prints its version with the usage text, and exits non-zero.
    output = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout
    return output.splitlines()[0].split(" Copyright")[0].strip() if output else "unknown"


def run_wrk(
    wrk: str,
    url: str,
    clients: int,
    duration: float,
    timeout: float,
    body: str = SIGN_IN_BODY,
    headers: dict[str, str] | None = None,
) -> dict:
    """wrk's numbers (see bench/signin.lua), and ``cpu_seconds``: what wrk itself used. It POSTs
    ``body`` (the signIn body unless told) with ``headers`` besides Content-Type: application/json."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [
        wrk,
        "-t",
        str(min(2, clients)),
        "-c",
        str(clients),
        "-d",
        f"{max(1, round(duration))}s",
        "--timeout",
        f"{timeout:.0f}s",
        "-s",
        str(LUA_SCRIPT),
        url,
    ]
    extra_headers = "\n".join(f"{name}: {value}" for name, value in (headers or {}).items())
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, "BENCH_BODY": body, "BENCH_HEADERS": extra_headers},
        timeout=duration + timeout + 60,
    )
    for line in completed.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            return {
                **json.loads(line.removeprefix("BENCH_RESULT ")),
                "cpu_seconds": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
            }
    raise RuntimeError(f"wrk gave no result (status {completed.returncode}):\n{completed.stdout}\n{completed.stderr}")


def tally(result: dict) -> tuple[int, int]:
    """(sign-ins answered 2xx, requests that failed: refused, cut, timed out or not 2xx) of a wrk run."""
    errors = (
        result["connect_errors"]
        + result["read_errors"]
        + result["write_errors"]
        + result["status_errors"]
        + result["timeouts"]
    )
    return result["requests"] - result["status_errors"], errors


def measure(
    wrk: str, server: ServerProcess, standin_pid: int, clients: int, duration: float, repeat: int, sample_memory: bool
) -> Cell:
    timeout = max(30.0, 2 * duration)
    pids = server.serving_pids()
    server_cpu, standin_cpu = cpu_seconds(pids), cpu_seconds([standin_pid])
    if sample_memory:
        with MemorySampler(server.serving_pids) as sampler:
            result = run_wrk(wrk, server.url, clients, duration, timeout)
        rss_mb, peak_mb = sampler.largest / 1024, sampler.peak_kb() / 1024
    else:
        result = run_wrk(wrk, server.url, clients, duration, timeout)
        rss_mb = peak_mb = None
    # Answers still in flight when wrk stops are counted by neither side: near enough at these rates.
    server_cpu, standin_cpu = cpu_seconds(pids) - server_cpu, cpu_seconds([standin_pid]) - standin_cpu
    seconds = result["duration_us"] / 1e6
    successes, errors = tally(result)
    per_sign_in = 1000 / max(successes, 1)
    return Cell(
        server=server.key,
        clients=clients,
        repeat=repeat,
        requests_per_second=successes / seconds,
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        errors=errors,
        cpu_ms=server_cpu * per_sign_in,
        standin_cpu_ms=standin_cpu * per_sign_in,
        wrk_cpu_ms=result["cpu_seconds"] * per_sign_in,
        rss_mb=rss_mb,
        peak_mb=peak_mb,
    )


def warm_up(wrk: str, server: ServerProcess, seconds: float) -> None:
    """Connection pools filled and lazy imports done before anything is measured."""
    if seconds >= 1:
        run_wrk(wrk, server.url, 64, seconds, 30)
    else:
        for _ in range(10):
            sign_in_once(server.url)

"""``/metrics`` of ``tornado_server.py --processes 2``, as real processes over real HTTP: requests
spread over both workers, and a scrape answered by either shows the sum; a worker that dies keeps
its counts in the sum; the folder of counts is the run's own and is gone after it; and /metrics on a
port of its own (METRICS_PORT), shared by the workers too."""

from __future__ import annotations

import glob
import os
import re
import signal
import time

from prometheus_client.multiprocess import MultiProcessCollector

from tests.support import PASSWORD, Client, free_port, local_server
from tests.support.metrics import scrape

HEALTHZ = {"route": "/healthz", "method": "GET", "status": "200"}
SCRAPES = {"route": "/metrics", "method": "GET", "status": "200"}
REQUESTS = "cognito_backend_http_requests_total"


def both_serving(tmp_path, **env: str):
    """A local-mode server of two processes, once both serve (the port answers as soon as one does)."""
    server = local_server(
        str(tmp_path / "cognito"), free_port(), args=("--processes", "2"), log_path=str(tmp_path / "server.log"), **env
    )
    deadline = time.monotonic() + 60
    while "2 worker processes serve port" not in server.output():
        assert time.monotonic() < deadline, server.output()
        time.sleep(0.1)
    return server


def settled(url: str, name: str, expected: float, **labels: str):
    """A scrape showing ``expected``: a process counts a request once it has answered it, so a
    scrape answered at once by the other process may come before that."""
    deadline = time.monotonic() + 10
    while (samples := scrape(url)).value(name, **labels) != expected:
        assert time.monotonic() < deadline, f"{name} {labels} stayed at {samples.value(name, **labels)}"
        time.sleep(0.05)
    return samples


def metrics_folder(supervisor_pid: int) -> str:
    """The folder the supervisor made for the run, as its workers were given it."""
    with open(f"/proc/{supervisor_pid}/task/{supervisor_pid}/children") as listing:
        children = [int(child) for child in listing.read().split()]
    for pid in children:
        with open(f"/proc/{pid}/environ", "rb") as environ:
            for entry in environ.read().split(b"\0"):
                if entry.startswith(b"PROMETHEUS_MULTIPROC_DIR="):
                    return entry.split(b"=", 1)[1].decode()
    raise AssertionError("no worker was given PROMETHEUS_MULTIPROC_DIR")


def counted_by_each(folder: str, labels: dict[str, str]) -> dict[int, float]:
    """What each process's own file holds for the requests with ``labels``, by process id: read
    with prometheus_client's own merge, one file at a time."""
    counts = {}
    for path in glob.glob(os.path.join(folder, "counter_*.db")):
        pid = int(re.fullmatch(r"counter_(\d+)\.db", os.path.basename(path)).group(1))
        counts[pid] = sum(
            sample.value
            for family in MultiProcessCollector.merge([path])
            for sample in family.samples
            if sample.name == REQUESTS and dict(sample.labels) == labels
        )
    return counts


def test_a_scrape_of_either_process_shows_the_sum_of_both(tmp_path):
    server = both_serving(tmp_path)
    try:
        supervisor = server.process.pid
        folder = metrics_folder(supervisor)
        assert os.path.isdir(folder)
        for _ in range(40):  # each on a new connection: the kernel spreads them over both workers
            assert Client(server.url).request("GET", "/healthz").status == 200
        assert Client(server.url).call("createAccount", user="sum@example.com", **{"pass": PASSWORD}).status == 200
        # The local Cognito runs in the supervisor: its counts are in the sum too.
        settled(server.url, "local_cognito_operations_total", 1, operation="SignUp", outcome="ok")
        settled(server.url, REQUESTS, 40, **HEALTHZ)

        # Scrape until both workers have answered scrapes; every scrape shows the sum.
        for _attempt in range(200):
            samples = scrape(server.url)
            assert samples.value(REQUESTS, **HEALTHZ) == 40
            assert samples.value("local_cognito_operations_total", operation="SignUp", outcome="ok") == 1
            scrapers = {pid for pid, count in counted_by_each(folder, SCRAPES).items() if count}
            if len(scrapers) == 2:
                break
        assert len(scrapers) == 2, "every scrape was answered by one worker"
        assert supervisor not in scrapers
        healthz_by_worker = {pid: count for pid, count in counted_by_each(folder, HEALTHZ).items() if count}
        assert len(healthz_by_worker) == 2 and sum(healthz_by_worker.values()) == 40

        # A worker killed outright is replaced; its counts stay in the sum, its in-flight gauge goes.
        dead = sorted(scrapers)[0]
        assert glob.glob(os.path.join(folder, f"gauge_livesum_{dead}.db"))
        os.kill(dead, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while glob.glob(os.path.join(folder, f"gauge_livesum_{dead}.db")):
            assert time.monotonic() < deadline, "the dead worker's gauge was never dropped"
            time.sleep(0.1)
        # Until the new worker has answered scrapes too: each, whichever answered, still shows 40.
        deadline = time.monotonic() + 60
        while not {pid for pid, count in counted_by_each(folder, SCRAPES).items() if count} - scrapers:
            assert time.monotonic() < deadline, "the new worker never answered"
            try:
                assert scrape(server.url).value(REQUESTS, **HEALTHZ) == 40
            except OSError:  # a connection the killed worker had accepted
                pass
    finally:
        output = server.stop()
    assert "exited with -9; starting another" in output
    assert not os.path.exists(folder), "the run's folder of counts was left behind"


def test_metrics_on_a_port_of_their_own(tmp_path):
    metrics_port = free_port()
    server = both_serving(tmp_path, METRICS_PORT=str(metrics_port), METRICS_HOST="127.0.0.1")
    try:
        for _ in range(10):
            assert Client(server.url).request("GET", "/healthz").status == 200
        main = Client(server.url).request("GET", "/metrics")
        assert main.status == 404 and main.json["error"] == "UnknownMethod"
        metrics_url = f"http://127.0.0.1:{metrics_port}"
        settled(metrics_url, REQUESTS, 1, route="unmatched", method="GET", status="404")
        settled(metrics_url, REQUESTS, 10, **HEALTHZ)
        for _ in range(6):  # either worker answers on that port too, with the sum
            samples = scrape(metrics_url)
            assert samples.value(REQUESTS, **HEALTHZ) == 10
            assert samples.value(REQUESTS, route="unmatched", method="GET", status="404") == 1
        assert Client(metrics_url).request("GET", "/healthz").status == 404
        assert "/metrics" not in Client(server.url).request("GET", "/openapi.json").json["paths"]
    finally:
        server.stop()

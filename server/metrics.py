"""The server's numbers for Prometheus: what ``GET /metrics`` shows (``handlers/metrics.py``).

``instruments()`` makes them once per process, at first use, and answers the same ``Instruments``
ever after; prometheus_client is imported only then, so a process that never counts (``METRICS=off``)
never loads it. Each recording is one dictionary look-up of the labels' children and a few additions:
a few microseconds a request.

With ``--processes N`` each process counts into files of its own in a folder the supervisor makes
for the run (``PROMETHEUS_MULTIPROC_DIR``, see ``server.serving``): prometheus_client's
multiprocess mode. ``exposition()`` then adds up every process's files, so whichever process answers
a scrape shows the sum; a process that has exited keeps its counts, and its requests in flight are
dropped (``mark_process_dead``). The variable must be set before prometheus_client is imported,
which is why nothing imports it before ``instruments()`` runs. Without the variable, one process
answers with its own registry, the process and Python collectors included.

Labels never carry what a caller chose: routes are the route table's patterns (``/photos/{photo_id}``,
never a photo's id), methods and operations the registry's and botocore's names, outcomes the error
catalogue's codes. No user name, token or query string is ever a label.
"""

from __future__ import annotations

import os
from typing import Any

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "cognito_backend_"
# HTTP methods counted by name; any other (a client can send any token) is counted as "other".
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# The route of a request no route matched (the application's default handler answered).
NO_ROUTE = "unmatched"
# Cognito and the server both answer within seconds; a call past 10 s has timed out.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Instruments:
    """Every counter, histogram and gauge of the process, with their labels' children cached."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

        # The *_created series say when each counter was made: noise to a scrape, and absent in
        # multiprocess mode, so one process and several answer alike.
        disable_created_metrics()
        self.multiprocess = bool(os.environ.get(MULTIPROCESS_VARIABLE))
        self.http_requests = Counter(
            PREFIX + "http_requests_total",
            "Requests answered, by route pattern, HTTP method and status.",
            ("route", "method", "status"),
        )
        self.http_duration = Histogram(
            PREFIX + "http_request_duration_seconds",
            "Time from a request's start to its answer, by route pattern and HTTP method.",
            ("route", "method"),
            buckets=LATENCY_BUCKETS,
        )
        self.in_flight = Gauge(
            PREFIX + "http_requests_in_flight",
            "Requests being answered now (those a stopping server waits for).",
            multiprocess_mode="livesum",
        )
        self.cognito_calls = Counter(
            PREFIX + "cognito_calls_total",
            "Calls to Cognito, by operation and outcome (ok, or the error "
            "code the call ended with), retries included in one call.",
            ("operation", "outcome"),
        )
        self.cognito_duration = Histogram(
            PREFIX + "cognito_call_duration_seconds",
            "Time a Cognito call took, retries and pauses included, by operation.",
            ("operation",),
            buckets=LATENCY_BUCKETS,
        )
        self.rate_limit_refusals = Counter(
            PREFIX + "rate_limit_refusals_total", "Calls refused with RateLimited, by method.", ("method",)
        )
        self.local_operations = Counter(
            "local_cognito_operations_total",
            "Local mode: operations the local Cognito answered, by "
            "operation and outcome (ok, or the Cognito error it answered).",
            ("operation", "outcome"),
        )
        self.local_storage_failures = Counter(
            "local_cognito_storage_failures_total",
            "Local mode: changes the local Cognito rolled back because its data folder could not be written.",
        )
        # The labelled children each recording needs, by the recording's labels: one look-up each.
        self._requests: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._calls: dict[tuple[str, str], tuple[Any, Any]] = {}

    def request_answered(self, route: str, method: str, status: int, seconds: float) -> None:
        if method not in HTTP_METHODS:
            method = "other"  # before the look-up: a client's method names must not grow the cache
        children = self._requests.get((route, method, status))
        if children is None:
            children = self._requests[(route, method, status)] = (
                self.http_requests.labels(route, method, str(status)),
                self.http_duration.labels(route, method),
            )
        children[0].inc()
        children[1].observe(seconds)

    def cognito_called(self, operation: str, outcome: str, seconds: float) -> None:
        children = self._calls.get((operation, outcome))
        if children is None:
            children = self._calls[(operation, outcome)] = (
                self.cognito_calls.labels(operation, outcome),
                self.cognito_duration.labels(operation),
            )
        children[0].inc()
        children[1].observe(seconds)

    def rate_limited(self, method: str) -> None:
        self.rate_limit_refusals.labels(method).inc()

    def local_operation(self, operation: str, outcome: str) -> None:
        self.local_operations.labels(operation, outcome).inc()

    def exposition(self) -> bytes:
        """The text a scrape gets: this process's numbers, or every process's added up."""
        from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess

        if not self.multiprocess:
            return generate_latest(REGISTRY)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)


_instruments: Instruments | None = None


def instruments() -> Instruments:
    """This process's instruments, made at the first call."""
    global _instruments
    if _instruments is None:
        _instruments = Instruments()
    return _instruments


def process_exited(pid: int, folder: str) -> None:
    """Forget what an exited process had in flight; its counts stay in the sums."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, folder)

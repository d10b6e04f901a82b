"""Serving the app: one process on the port, or several on one port under a supervisor.

Several processes share the port with ``SO_REUSEPORT``: the kernel spreads new connections over
them, and each has its own Cognito clients, executors and connection pools. The processes keep no
per-user state in memory (sessions live in signed cookies and in Cognito; rate limits in Redis when
REDIS_URL is set), so which one answers does not matter. Workers are started fresh (``spawn``), not
forked, so none inherits the supervisor's threads, such as the local Cognito's.

SIGTERM or SIGINT stops a server gracefully: it stops accepting connections, ``/readyz`` answers
503, requests in flight get up to ``DRAIN_SECONDS`` (``Config.drain_seconds``, 10 by default) to
finish, the idle connections are closed, and the process exits 0. The supervisor passes the signal
on and exits 0 when every worker did.

Metrics: each process counts its own (``server.metrics``); the supervisor makes a folder for the run
where the workers (and the supervisor itself, for the local Cognito it may run) keep their counts, so
that any of them answers ``/metrics`` with the sum. It drops a dead worker's requests in flight when
it replaces it, and removes the folder at the end. With ``METRICS_PORT`` each process also serves
``/metrics`` on that port (shared with ``SO_REUSEPORT`` like the main one). Traces, when configured
(``server.tracing``), are started and flushed by each serving process.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import logging
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import sys
import tempfile
import time
from typing import Callable

import tornado.httpserver
import tornado.netutil

from server import metrics
from server.app import make_app, metrics_app
from server.config import Config, ConfigError
from server.logs import configure_logging
from server.services import Services
from server.tracing import start_tracing

log = logging.getLogger("server")

# Enough for a burst of new connections (a load test opening hundreds at once) without dropped SYNs.
LISTEN_BACKLOG = 1024
PR_SET_PDEATHSIG = 1  # prctl(2)
# The collector's first-generation threshold (Python's default is 700 allocations).
GC_THRESHOLD = 20_000
# A worker that keeps dying is not restarted for ever: this many restarts a minute stop the server.
MAX_RESTARTS_PER_MINUTE = 5


def _bind_metrics_port(config: Config, port: int, host: str, reuse_port: bool) -> list:
    """The sockets of METRICS_PORT (``port``, when it is set), on METRICS_HOST or the server's own address."""
    address = config.metrics_host or host or None
    try:
        return tornado.netutil.bind_sockets(port, address=address, reuse_port=reuse_port)
    except OSError as error:
        raise OSError(error.errno, f"METRICS_PORT {port}: {error.strerror or error}") from None


async def serve(
    config: Config, host: str, *, reuse_port: bool = False, on_listening: Callable[[], None] | None = None
) -> int:
    """Serve until SIGTERM or SIGINT, then drain; the exit status (0). OSError if the port is taken."""
    traces = start_tracing(config)
    services = await Services.start(config)
    app = make_app(services)
    # A connection that goes quiet, or a body that takes minutes, is closed rather than held.
    server = tornado.httpserver.HTTPServer(app, xheaders=False, idle_connection_timeout=60, body_timeout=120)
    servers = [server]
    sockets: list = []
    try:
        sockets = tornado.netutil.bind_sockets(
            config.port, address=host or None, backlog=LISTEN_BACKLOG, reuse_port=reuse_port
        )
        if config.metrics and config.metrics_port is not None:
            servers.append(tornado.httpserver.HTTPServer(metrics_app(services), idle_connection_timeout=60))
            servers[1].add_sockets(_bind_metrics_port(config, config.metrics_port, host, reuse_port))
    except OSError:
        for bound in sockets:
            bound.close()
        await services.close()
        if traces is not None:
            traces.stop()
        raise
    server.add_sockets(sockets)
    # What start-up made lives as long as the process: the collector need not walk it again and
    # again, and it runs less often (each request makes a few hundred short-lived objects).
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD)

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    if on_listening is not None:
        on_listening()
    await stopping.wait()

    log.info("Stopping: no new connections; finishing requests in flight (up to %g s).", config.drain_seconds)
    services.stopping = True
    for each in servers:
        each.stop()
    if not await app.requests_finished(config.drain_seconds):
        log.warning(
            "%d requests were still in flight after %g s and are cut off.",
            len(app.busy_connections),
            config.drain_seconds,
        )
    for each in servers:
        await each.close_all_connections()
    await services.close()
    if traces is not None:
        traces.stop()
    return 0


def _stop_with_the_supervisor() -> None:
    """Ask Linux to send this worker SIGTERM when the supervisor dies (even by SIGKILL), so no
    worker goes on serving the port alone."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: a worker then outlives a supervisor killed outright
    if os.getppid() == 1:  # the supervisor died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _run_worker(config: Config, host: str, listening) -> None:
    """A worker process: serve on the shared port; ``listening`` is set once it accepts."""
    configure_logging(config.log_format)
    # Ctrl-C reaches every process of the terminal's group: the supervisor passes it on as SIGTERM.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _stop_with_the_supervisor()
    try:
        status = asyncio.run(serve(config, host, reuse_port=True, on_listening=listening.set))
    except OSError as error:
        log.error("Cannot serve on port %d: %s", config.port, error.strerror or error)
        status = 1
    except ConfigError as error:  # found only when used: a database that refuses PHOTOS_DATABASE_URL
        log.error("Cannot start: %s", error)
        status = 2
    # Drained: a second SIGTERM (the supervisor's, or systemd's to the whole group) must not turn
    # this clean exit into a killed one.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.exit(status)


def port_is_free(host: str, port: int) -> bool:
    """Whether nothing holds the port, not even a group of processes sharing it with SO_REUSEPORT
    (which would let these workers join another server's group unnoticed)."""
    try:
        for probe in tornado.netutil.bind_sockets(port, address=host or None):
            probe.close()
    except OSError:
        return False
    return True


class _Supervisor:
    def __init__(self, config: Config, host: str):
        self.config = config
        self.host = host
        self.context = multiprocessing.get_context("spawn")
        self.workers: list = []
        self.restarts: list[float] = []
        self.stop_requested = False
        self.metrics_folder: str | None = None

    def start_worker(self):
        listening = self.context.Event()
        worker = self.context.Process(
            target=_run_worker,
            args=(self.config, self.host, listening),
            name=f"worker-{len(self.workers) + 1}",
            daemon=False,
        )
        worker.start()
        return worker, listening

    def wait_until_listening(self, started: list, timeout: float = 120.0) -> bool:
        deadline = time.monotonic() + timeout
        for worker, listening in started:
            while not listening.wait(0.1):
                if not worker.is_alive() or self.stop_requested or time.monotonic() > deadline:
                    return False
        return True

    def stop_all(self) -> int:
        for worker in self.workers:
            if worker.is_alive():
                os.kill(worker.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.config.drain_seconds + 5
        for worker in self.workers:
            worker.join(max(0.0, deadline - time.monotonic()))
            if worker.is_alive():
                log.error("%s did not stop in time and is killed.", worker.name)
                worker.kill()
                worker.join()
        return 0 if all(worker.exitcode == 0 for worker in self.workers) else 1

    def run(self, on_listening: Callable[[], None] | None) -> int:
        """Serve with the workers; with metrics on, each counts into a folder made for this run
        (``PROMETHEUS_MULTIPROC_DIR``, which the workers inherit), removed when they have stopped."""
        if not self.config.metrics:
            return self._run(on_listening)
        self.metrics_folder = tempfile.mkdtemp(prefix="cognito-backend-metrics-")
        # Before any worker starts, and before this process counts anything (the local Cognito it
        # may run counts its operations here too, from its first request on).
        os.environ[metrics.MULTIPROCESS_VARIABLE] = self.metrics_folder
        try:
            return self._run(on_listening)
        finally:
            del os.environ[metrics.MULTIPROCESS_VARIABLE]
            shutil.rmtree(self.metrics_folder, ignore_errors=True)

    def _run(self, on_listening: Callable[[], None] | None) -> int:
        def request_stop(signum, frame):
            self.stop_requested = True

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        if not port_is_free(self.host, self.config.port):
            log.error("Cannot serve on port %d: it is in use.", self.config.port)
            return 1
        if (
            self.config.metrics
            and self.config.metrics_port is not None
            and not port_is_free(self.config.metrics_host or self.host, self.config.metrics_port)
        ):
            log.error("Cannot serve on METRICS_PORT %d: it is in use.", self.config.metrics_port)
            return 1
        # Workers start with Ctrl-C ignored (an ignored signal stays ignored in a new program), so one
        # pressed while they import is not a traceback in each: the supervisor passes it on as SIGTERM.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        started = [self.start_worker() for _ in range(self.config.workers)]
        signal.signal(signal.SIGINT, request_stop)
        self.workers = [worker for worker, _ in started]
        if not self.wait_until_listening(started):
            if not self.stop_requested:
                log.error("A worker could not start; stopping the others.")
            status = self.stop_all()
            return status if self.stop_requested else 1
        log.info("%d worker processes serve port %d.", len(self.workers), self.config.port)
        if on_listening is not None:
            on_listening()
        while not self.stop_requested:
            multiprocessing.connection.wait([worker.sentinel for worker in self.workers], timeout=0.5)
            for index, worker in enumerate(self.workers):
                if worker.is_alive() or self.stop_requested:
                    continue
                now = time.monotonic()
                self.restarts = [t for t in self.restarts if now - t < 60] + [now]
                if len(self.restarts) > MAX_RESTARTS_PER_MINUTE:
                    log.error("Workers keep exiting (%s exited with %s); stopping.", worker.name, worker.exitcode)
                    self.stop_all()
                    return 1
                log.error("%s exited with %s; starting another.", worker.name, worker.exitcode)
                if self.metrics_folder is not None:
                    metrics.process_exited(worker.pid, self.metrics_folder)
                replacement, _ = self.start_worker()
                self.workers[index] = replacement
        return self.stop_all()


def supervise(config: Config, host: str, on_listening: Callable[[], None] | None = None) -> int:
    """Run ``config.workers`` processes on one port until SIGTERM or SIGINT; the exit status."""
    return _Supervisor(config, host).run(on_listening)

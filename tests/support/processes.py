"""``tornado_server.py`` as a process of its own, and the ports and environment it runs with.

``ServerProcess`` is the one way the tests start the server as a process: in local mode
(``local_server``), against a stand-in Cognito or against moto's server, with its output on a pipe or
in a log file, waiting for its port or not; it also runs moto's server itself
(tests/support/moto_server.py). ``run_server`` runs the server to its end, for a start-up that must
fail.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVER = [sys.executable, "tornado_server.py"]
# The confirmation code of every local-mode server process: the tutorial's.
LOCAL_SERVER_CODE = "110260"
STOP_SECONDS = 20


def clean_environment(*, unset: tuple[str, ...] = (), **extra: str) -> dict[str, str]:
    """This environment without the server's settings (a developer's shell may have some set), nor
    the variables whose names start with one of ``unset``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            (
                "COGNITO_",
                "COOKIE_",
                "ROOT_USER_",
                "STS_USER_",
                "LOCAL_ADMIN_",
                "ADMIN_GROUP",
                "WORKERS",
                "LOG_FORMAT",
                "TRUSTED_PROXIES",
                "RATE_LIMIT_",
                "REDIS_URL",
                "UNIFORM_ANSWER_SECONDS",
                "PHOTOS_DATABASE_",
                "DRAIN_SECONDS",
                *unset,
            )
        )
    }
    # The scripts call "python": the one running the tests.
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    """Whether an HTTP server answers at ``url`` (whatever its answer)."""
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="OPTIONS"), timeout=2)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def wait_for_port(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers(url):
            return
        time.sleep(0.1)
    raise TimeoutError(url)


class ServerProcess:
    """``python tornado_server.py`` (or ``command``, a script that runs it, or another server) on
    ``port``, with ``env`` added to a clean environment (without the variables ``unset`` names too),
    and stopped with SIGTERM as a service manager does. ``name`` says which server it is in failures.

    Its output (stdout and stderr together) goes to ``log_path`` when one is given, where a test can
    read it while the server runs (``output()``); otherwise to a pipe, read when it has exited.
    With ``wait`` it is serving once constructed; without, ``wait_until_serving`` waits, so that
    several can start at once. A server that does not start in time is killed, and its output is
    the failure's message. ``url`` reaches it at ``host``."""

    def __init__(
        self,
        port: int,
        env: dict[str, str] | None = None,
        *,
        args: tuple[str, ...] = (),
        command: list[str] | None = None,
        log_path: str | None = None,
        wait: bool = True,
        host: str = "localhost",
        new_session: bool = False,
        unset: tuple[str, ...] = (),
        name: str = "the server",
    ):
        self.port = port
        self.name = name
        self.url = f"http://{host}:{port}"
        self.log_path = log_path
        self._exit_output: str | None = None
        environment = clean_environment(unset=unset, PORT=str(port), **(env or {}))
        if log_path is None:
            output = subprocess.PIPE
        else:
            output = open(log_path, "w")
        try:
            self.process = subprocess.Popen(
                command or [*SERVER, *args],
                cwd=ROOT,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=new_session,
            )
        finally:
            if log_path is not None:
                output.close()  # the process has its own copy
        if wait:
            self.wait_until_serving()

    def wait_until_serving(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not answers(self.url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise AssertionError(
                    f"{self.name} did not start on port {self.port}. Its output:\n{self.wait_for_exit()}"
                )
            time.sleep(0.1)

    def output(self) -> str:
        """What it has written: so far, with a log file; all of it once it has exited, with a pipe."""
        if self.log_path is not None:
            with open(self.log_path, errors="replace") as log:
                return log.read()
        if self._exit_output is None:
            raise RuntimeError("the output on a pipe is read once the server has exited")
        return self._exit_output

    def wait_for_exit(self, timeout: float = STOP_SECONDS) -> str:
        """Its whole output, once it has exited by itself or on a signal sent."""
        if self.log_path is None:
            if self._exit_output is None:
                self._exit_output, _ = self.process.communicate(timeout=timeout)
        else:
            self.process.wait(timeout=timeout)
        return self.output()

    def stop(self, check: bool = True) -> str:
        """SIGTERM, if it still runs, and its whole output once it has exited. With ``check``, it
        must have exited with 0."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            output = self.wait_for_exit()
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"{self.name} on port {self.port} did not stop on SIGTERM") from None
        if check:
            assert self.process.returncode == 0, output
        return output


def local_server(
    data_dir: str,
    port: int,
    *,
    args: tuple[str, ...] = (),
    command: list[str] | None = None,
    log_path: str | None = None,
    **env: str,
) -> ServerProcess:
    """A local-mode server: its local Cognito (on any free port) and photos in ``data_dir``, every
    emailed code LOCAL_SERVER_CODE; ``env`` adds settings or replaces these."""
    return ServerProcess(
        port,
        {
            "LOCAL_COGNITO_DATA": data_dir,
            "LOCAL_COGNITO_CODE": LOCAL_SERVER_CODE,
            "LOCAL_COGNITO_PORT": "0",
            "PHOTOS_DATA": os.path.join(data_dir, "photos"),
            **env,
        },
        args=args,
        command=command,
        log_path=log_path,
    )


def run_server(*args: str, timeout: float, **env: str) -> subprocess.CompletedProcess:
    """``python tornado_server.py`` with ``args`` and ``env`` added to a clean environment, run to
    its end: for a start-up that must stop. Its output is captured."""
    return subprocess.run(
        [*SERVER, *args], cwd=ROOT, env=clean_environment(**env), capture_output=True, text=True, timeout=timeout
    )

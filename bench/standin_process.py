"""The stand-in Cognito in a process of its own, and its command line.

``start_process`` starts it (``python -m bench.standin_process --control``) and returns a
``StandinProcess``, which switches its mode and reads its request count through the child's stdin
and stdout; the child stops when its stdin closes, so it never outlives the benchmark. From a shell,
``python -m bench.standin_cognito --port 9229 --latency 0.05`` serves one until interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.standin_cognito import DEFAULT_LATENCY, DEFAULT_SLOW_SECONDS, MODES, StandinCognito

ROOT = Path(__file__).resolve().parent.parent


class StandinProcess:
    """A stand-in running in a child process, controlled through the child's stdin and stdout."""

    def __init__(self, process: subprocess.Popen, host: str, port: int):
        self.process = process
        self.host = host
        self.port = port

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def _command(self, line: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        reply = self.process.stdout.readline().strip()
        if not reply or reply.startswith("error"):
            raise RuntimeError(f"the stand-in Cognito refused {line!r}: {reply or 'it has exited'}")
        return reply

    def set_mode(self, mode: str) -> None:
        """Switch to ``mode`` (one of ``MODES``); returns once the stand-in has switched."""
        self._command(f"mode {mode}")

    def request_count(self) -> int:
        """Requests received since the start."""
        return int(self._command("count").split()[1])

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.close()  # type: ignore[union-attr]
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                stream.close()

    def __enter__(self) -> StandinProcess:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()


def start_process(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    latency: float = DEFAULT_LATENCY,
    password: str | None = None,
    mode: str = "ok",
    slow_seconds: float = DEFAULT_SLOW_SECONDS,
) -> StandinProcess:
    """Start the stand-in in a child process (``python -m bench.standin_process``), listening when
    this returns. It stops when ``stop`` is called or when this process ends (its stdin closes)."""
    command = [
        sys.executable,
        "-m",
        "bench.standin_process",
        "--control",
        "--host",
        host,
        "--port",
        str(port),
        "--latency",
        str(latency),
        "--mode",
        mode,
        "--slow-seconds",
        str(slow_seconds),
    ]
    if password is not None:
        command += ["--password", password]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    first = process.stdout.readline().split()  # type: ignore[union-attr]
    if first[:1] != ["listening"]:
        process.kill()
        process.wait()
        raise RuntimeError("the stand-in Cognito did not start")
    return StandinProcess(process, host, int(first[1]))


async def _serve(options: argparse.Namespace) -> None:
    standin = StandinCognito(
        latency=options.latency, password=options.password, mode=options.mode, slow_seconds=options.slow_seconds
    )
    port = await standin.start(options.host, options.port)
    print(f"listening {port}", flush=True)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    if options.control:
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

        async def obey() -> None:
            # One command a line, one reply a line; the end of stdin (the parent has gone) stops it.
            while line := (await reader.readline()).decode().split():
                try:
                    if line[0] == "mode" and len(line) == 2:
                        await standin.set_mode(line[1])
                        reply = f"mode {standin.mode}"
                    elif line[0] == "count":
                        reply = f"count {standin.requests}"
                    else:
                        reply = f"error unknown command {' '.join(line)!r}"
                except ValueError as error:
                    reply = f"error {error}"
                print(reply, flush=True)
            stopping.set()

        control = asyncio.ensure_future(obey())
    await stopping.wait()
    await standin.stop()
    if options.control:
        control.cancel()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A stand-in Cognito answering InitiateAuth after a set latency.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed as 'listening PORT')")
    parser.add_argument("--latency", type=float, default=DEFAULT_LATENCY, help="seconds before each answer")
    parser.add_argument("--password", default=None, help="the only password accepted (default: any)")
    parser.add_argument("--mode", choices=MODES, default="ok")
    parser.add_argument(
        "--slow-seconds", type=float, default=DEFAULT_SLOW_SECONDS, help="seconds before each answer in the slow mode"
    )
    parser.add_argument(
        "--control", action="store_true", help="take commands on stdin ('mode NAME', 'count'); stop at its end"
    )
    asyncio.run(_serve(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""podman as the container tests drive it: the image built from the Containerfile, and containers
run from it (``Container``).

What this kind of machine needs, and any other accepts:

- ``runc`` as the runtime: crun refuses a host whose cgroups are mixed (v1 controllers and a v2
  hierarchy);
- ``nofile`` and ``nproc`` limits no higher than this process's own (podman's defaults, 1048576,
  need the right to raise limits, which a root without CAP_SYS_RESOURCE lacks); one server process
  needs few processes, and podman runs with at most 32768;
- ``--format docker`` when building, since the OCI image format has no ``HEALTHCHECK``;
- the host's certificate bundle given to pip as a build secret, for a network whose TLS a proxy
  inspects.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import subprocess
import time

import pytest

from tests.support.processes import ROOT, answers

RUNTIME = "runc"
MAX_PROCESSES = 4096
COMMAND_SECONDS = 120
BUILD_SECONDS = 900
# The places a host keeps the certificates it trusts (the settings first, then Debian's bundle).
CA_BUNDLE_SETTINGS = ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")
DEBIAN_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def require_program(name: str, install: str) -> str:
    """The path of ``name``; a test failure (never a skip) saying how to install it when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: {install} (bash .ci/run installs what the tests drive).", pytrace=False)
    return path


def podman_command(*args: str) -> list[str]:
    return [require_program("podman", "apt-get install podman runc"), "--runtime", RUNTIME, *args]


def podman(*args: str, timeout: float = COMMAND_SECONDS) -> str:
    """Run ``podman ARGS``; its standard output. A failure shows its error output."""
    done = subprocess.run(
        podman_command(*args), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"podman {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}"
    return done.stdout


def podman_ok(*args: str, timeout: float = COMMAND_SECONDS) -> bool:
    """Whether ``podman ARGS`` exits 0."""
    return (
        subprocess.run(podman_command(*args), stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout).returncode
        == 0
    )


def limits() -> list[str]:
    """``--ulimit`` options no higher than this process's limits."""
    open_files, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    processes, _ = resource.getrlimit(resource.RLIMIT_NPROC)
    if processes == resource.RLIM_INFINITY or processes > MAX_PROCESSES:
        processes = MAX_PROCESSES
    return ["--ulimit", f"nofile={open_files}:{open_files}", "--ulimit", f"nproc={processes}:{processes}"]


def ca_bundle() -> str | None:
    """The certificates this host trusts, as one file, if it has one."""
    candidates = [os.environ.get(name) for name in CA_BUNDLE_SETTINGS] + [DEBIAN_CA_BUNDLE]
    return next((path for path in candidates if path and os.path.isfile(path)), None)


def app_image_tag() -> str:
    """One tag per checkout: its builds reuse their cached layers, and two checkouts on one
    machine never run each other's image."""
    return f"localhost/cognito-backend-test:{hashlib.sha256(ROOT.encode()).hexdigest()[:12]}"


def image_id(tag: str) -> str | None:
    found = subprocess.run(
        podman_command("image", "inspect", "--format", "{{.Id}}", tag),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=COMMAND_SECONDS,
    )
    return found.stdout.strip() if found.returncode == 0 else None


def build_image(base: str) -> str:
    """The image of this checkout's Containerfile built FROM ``base``; its tag. The image the tag
    named before, if this build replaced it, is removed (its layers stay while others use them)."""
    tag = app_image_tag()
    before = image_id(tag)
    secret = ca_bundle()
    podman(
        "build",
        "--format",
        "docker",
        *limits(),
        "--build-arg",
        f"BASE={base}",
        "--tag",
        tag,
        *(["--secret", f"id=pip_ca,src={secret}"] if secret else []),
        "--file",
        os.path.join(ROOT, "Containerfile"),
        ROOT,
        timeout=BUILD_SECONDS,
    )
    if before is not None and before != image_id(tag):
        subprocess.run(
            podman_command("rmi", before), capture_output=True, stdin=subprocess.DEVNULL, timeout=COMMAND_SECONDS
        )
    return tag


def inspect_image(tag: str) -> dict:
    return json.loads(podman("image", "inspect", tag))[0]


class Container:
    """A container of ``image`` started in the background, named ``name``, with ``env`` and the
    other ``podman run`` options given (``--publish``, ``--network``, ``--volume``...). ``stop``
    stops it as an orchestrator does, ``remove`` removes it whatever its state."""

    def __init__(self, image: str, name: str, env: dict[str, str], *options: str, stop_seconds: float):
        self.name = name
        settings = [item for key, value in env.items() for item in ("--env", f"{key}={value}")]
        podman(
            "run",
            "--detach",
            "--name",
            name,
            *limits(),
            "--stop-timeout",
            str(round(stop_seconds)),
            *settings,
            *options,
            image,
        )

    def state(self) -> dict:
        return json.loads(podman("container", "inspect", self.name))[0]["State"]

    def logs(self) -> str:
        done = subprocess.run(
            podman_command("logs", self.name),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=COMMAND_SECONDS,
        )
        return done.stdout + done.stderr

    def wait_until_serving(self, url: str, timeout: float = 60.0) -> None:
        """Until ``url`` answers; a failure with the container's output if it exits or does not in time."""
        deadline = time.monotonic() + timeout
        while not answers(url):
            if not self.state()["Running"] or time.monotonic() > deadline:
                raise AssertionError(f"The container {self.name} did not serve {url}. Its output:\n{self.logs()}")
            time.sleep(0.2)

    def processes(self) -> list[str]:
        """The container's processes, as ``PID ARGS`` (``podman top``, which reads them from the host)."""
        return [" ".join(line.split()) for line in podman("top", self.name, "pid", "args").splitlines()[1:]]

    def health_check(self) -> tuple[int, str]:
        """Run the image's HEALTHCHECK now: (its exit status, the health podman records)."""
        run = subprocess.run(
            podman_command("healthcheck", "run", self.name),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=COMMAND_SECONDS,
        )
        state = self.state()
        health = state.get("Health") or state.get("Healthcheck") or {}
        return run.returncode, health.get("Status", "")

    def stop(self) -> float:
        """``podman stop`` (SIGTERM, then SIGKILL after the stop timeout); the seconds it took."""
        started = time.monotonic()
        podman("stop", self.name)
        return time.monotonic() - started

    def remove(self) -> None:
        subprocess.run(
            podman_command("rm", "--force", self.name),
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=COMMAND_SECONDS,
        )

"""requirements.txt alone runs the server, local mode included, and stays lean: a fresh virtual
environment gets it as a deployment installs it (no pip inside, bytecode written by Python for the
modules it imports rather than by pip for every module), the server started from it signs up, signs
in and stores a photo, and the environment then stays within RUNTIME_LIMIT_MB (docs/dependencies.md).
From that environment, PHOTOS_DATABASE_URL or an OTLP endpoint stops start-up naming the optional list
to install; with both optional lists installed on top, the size is printed (docs/dependencies.md
records it), under no limit of its own: a deployment that turns those features on chose their weight."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support import ROOT, Client, Photos, free_port, local_server, picture
from tests.support.processes import LOCAL_SERVER_CODE, clean_environment

RUNTIME_LIMIT_MB = 150
# What only the tests, the benchmark, lint and types use: none of it belongs in the server's list.
DEV_ONLY = {
    "pytest",
    "playwright",
    "schemathesis",
    "hypothesis",
    "flask",
    "flask-cors",
    "psutil",
    "jsonrpcclient",
    "ruff",
    "mypy",
    "uv",
    "py-partiql-parser",
}
INSTALL_SECONDS = 600
OPTIONAL_LISTS = {
    "requirements-postgres.txt": ("PHOTOS_DATABASE_URL", "postgresql://photos@127.0.0.1:1/photos"),
    "requirements-traces.txt": ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"),
}
# What the server imports when those features are on: imported once in the environment, as serving
# with them would, so that their bytecode is counted too.
OPTIONAL_IMPORTS = (
    "import asyncpg, opentelemetry.sdk.trace, opentelemetry.instrumentation.tornado, "
    "opentelemetry.exporter.otlp.proto.http.trace_exporter"
)


def installed_names(python: str) -> set[str]:
    listing = subprocess.run(
        [
            python,
            "-c",
            "import importlib.metadata as m, json; print(json.dumps([d.metadata['Name'] for d in m.distributions()]))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return {name.lower().replace("_", "-") for name in json.loads(listing.stdout)}


def size_mb(folder: str) -> float:
    """What ``du -s`` counts, in MiB: the blocks on disk of the folders and files, links not followed."""
    total = 0
    for parent, _, files in os.walk(folder):
        total += os.lstat(parent).st_blocks * 512
        for name in files:
            total += os.lstat(os.path.join(parent, name)).st_blocks * 512
    return total / (1024 * 1024)


def install(python: str, *lists: str) -> None:
    """The lists into ``python``'s environment as a deployment installs them: hashes checked, no bytecode."""
    listed = [argument for name in lists for argument in ("-r", os.path.join(ROOT, name))]
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "--quiet",
            "--no-compile",
            "--require-hashes",
            *listed,
        ],
        capture_output=True,
        text=True,
        timeout=INSTALL_SECONDS,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr


def test_requirements_txt_alone_serves_local_mode_within_150_mb(tmp_path):
    venv = str(tmp_path / "runtime")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = os.path.join(venv, "bin", "python")
    install(python, "requirements.txt")
    names = installed_names(python)
    assert {"tornado", "aiobotocore", "moto", "joserfc", "pillow", "pyjwt"} <= names
    assert not names & DEV_ONLY, f"test-only packages in requirements.txt: {sorted(names & DEV_ONLY)}"
    assert not names & {"asyncpg", "opentelemetry-sdk", "protobuf"}, (
        "the optional lists' packages are in requirements.txt"
    )

    server = local_server(
        str(tmp_path / "data"),
        free_port(),
        command=[python, "tornado_server.py"],
        log_path=str(tmp_path / "server.log"),
        PYTHONDONTWRITEBYTECODE="",
    )
    try:
        client = Client(server.url)
        email, password = "runtime@example.com", "I_love_apples"
        assert client.call("createAccount", user=email, **{"pass": password}).status == 200
        confirmed = client.call("confirmAccount", user=email, conf_code=LOCAL_SERVER_CODE, **{"pass": password})
        assert confirmed.status == 200, confirmed.body
        signed_in = client.call("signIn", user=email, **{"pass": password})
        assert signed_in.status == 200 and signed_in.json["access_token"], signed_in.body
        photos = Photos(client, signed_in.json["access_token"])
        uploaded = photos.upload(picture("PNG"), "made by the runtime environment")
        assert uploaded.status == 201, uploaded.body
        assert [photo["description"] for photo in photos.list().json["photos"]] == ["made by the runtime environment"]
    finally:
        server.stop()

    size = size_mb(venv)
    print(f"runtime environment after serving: {size:.0f} MB")

    # The optional features' settings, without their lists: start-up stops and names the list.
    for listing, (setting, value) in OPTIONAL_LISTS.items():
        refused = subprocess.run(
            [python, "tornado_server.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env=clean_environment(LOCAL_COGNITO_DATA=str(tmp_path / "data"), **{setting: value}),
        )
        assert refused.returncode == 2, refused.stderr
        assert f"Cannot start: {setting} is set, but" in refused.stderr
        assert f"pip install -r {listing} (on top of requirements.txt)" in refused.stderr
        assert "Traceback" not in refused.stderr
    assert size <= RUNTIME_LIMIT_MB, f"the runtime environment is {size:.0f} MB, over {RUNTIME_LIMIT_MB} MB"

    # Both optional lists on top, as the container image has them: printed, with no limit.
    install(python, "requirements.txt", *OPTIONAL_LISTS)
    subprocess.run([python, "-c", OPTIONAL_IMPORTS], check=True, timeout=60)
    settings = dict(OPTIONAL_LISTS.values())
    accepted = subprocess.run(
        [python, "-c", f"from server.config import load_config; load_config({settings!r})"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert accepted.returncode == 0, accepted.stderr  # the lists hold every module the check looks for
    optional_size = size_mb(venv)
    print(f"with requirements-postgres.txt and requirements-traces.txt: {optional_size:.0f} MB")
    assert optional_size > size

"""The project's own files agree with each other: the locked requirement lists with the lists they
are generated from and with each other (docs/dependencies.md), and CI with the README's test command."""

from __future__ import annotations

import os
import re

from tests.support import ROOT

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def pins(name: str) -> dict[str, str]:
    """Every ``package==version`` line of a requirements file, by normalised package name."""
    found = {}
    with open(os.path.join(ROOT, name), encoding="utf-8") as listing:
        for line in listing:
            match = PIN.match(line)
            if match:
                found[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return found


# Each locked list and the list it is generated from; the optional ones are installed on top of
# requirements.txt by the deployments that use PostgreSQL's photo records or traces.
LISTS = {
    "requirements.txt": "requirements.in",
    "requirements-postgres.txt": "requirements-postgres.in",
    "requirements-traces.txt": "requirements-traces.in",
    "requirements-dev.txt": "requirements-dev.in",
}
OPTIONAL = ("requirements-postgres", "requirements-traces")
COMPILE = (
    "uv pip compile --universal --python-version 3.11 --generate-hashes --annotation-style line {source} -o {locked}"
)


def lines_of(name: str) -> list[str]:
    with open(os.path.join(ROOT, name), encoding="utf-8") as listing:
        return listing.read().splitlines()


def test_each_locked_list_pins_what_its_in_file_asks_for_with_the_same_command():
    for locked, source in LISTS.items():
        asked, pinned = pins(source), pins(locked)
        assert asked, source
        assert {name: pinned.get(name) for name in asked} == asked, f"regenerate {locked} from {source}"
        assert lines_of(locked)[1] == "#    " + COMPILE.format(source=source, locked=locked)
        listing = lines_of(locked)
        assert all("--hash=sha256:" in listing[number + 1] for number, line in enumerate(listing) if PIN.match(line))


def test_the_optional_lists_are_constrained_by_the_servers_and_left_out_of_it():
    runtime = pins("requirements.txt")
    for optional in OPTIONAL:
        assert "-c requirements.txt" in lines_of(f"{optional}.in"), optional
        pinned = pins(f"{optional}.txt")
        shared = set(pinned) & set(runtime)
        assert {name: pinned[name] for name in shared} == {name: runtime[name] for name in shared}, optional
        # What the optional list asks for is what requirements.txt leaves out (the size it saves).
        assert not set(pins(f"{optional}.in")) & set(runtime), f"{optional}.in's packages are in requirements.txt"


def test_the_tests_run_every_package_at_the_version_the_server_runs():
    dev = pins("requirements-dev.txt")
    for locked in ("requirements.txt", *(f"{optional}.txt" for optional in OPTIONAL)):
        runtime = pins(locked)
        assert {name: dev.get(name) for name in runtime} == runtime, locked
    # requirements-dev.in names only what the tests add: the server's lists come in whole, the
    # optional ones included (the tests use PostgreSQL's photo records and the traces).
    lines = lines_of("requirements-dev.in")
    assert "-r requirements.in" in lines and "-c requirements.txt" in lines
    for optional in OPTIONAL:
        assert f"-r {optional}.in" in lines and f"-c {optional}.txt" in lines, optional


def test_ci_runs_the_readme_test_command():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as readme:
        commands = re.search(r"## Two commands\n\n```sh\n(.*?)```", readme.read(), re.S).group(1).splitlines()
    test_command = commands[1].split("#")[0].strip()
    assert test_command == "bash tests/run"
    with open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8") as ci:
        assert f"exec {test_command}" in ci.read().splitlines()

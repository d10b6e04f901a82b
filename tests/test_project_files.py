"""The project's own files agree with each other: the locked requirement lists with the lists they
are generated from (docs/dependencies.md), and CI with the README's test command."""

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


def test_each_locked_list_pins_what_its_in_file_asks_for():
    for source, locked in (("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt")):
        asked, pinned = pins(source), pins(locked)
        assert asked, source
        assert {name: pinned.get(name) for name in asked} == asked, f"regenerate {locked} from {source}"


def test_the_tests_run_every_package_at_the_version_the_server_runs():
    runtime, dev = pins("requirements.txt"), pins("requirements-dev.txt")
    assert {name: dev.get(name) for name in runtime} == runtime
    # requirements-dev.in names only what the tests add: the server's list comes in whole.
    with open(os.path.join(ROOT, "requirements-dev.in"), encoding="utf-8") as listing:
        lines = listing.read().splitlines()
    assert "-r requirements.in" in lines and "-c requirements.txt" in lines


def test_ci_runs_the_readme_test_command():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as readme:
        commands = re.search(r"## Two commands\n\n```sh\n(.*?)```", readme.read(), re.S).group(1).splitlines()
    test_command = commands[1].split("#")[0].strip()
    assert test_command == "bash tests/run"
    with open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8") as ci:
        assert f"exec {test_command}" in ci.read().splitlines()

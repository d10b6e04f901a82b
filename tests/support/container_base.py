"""A base image for the container tests, made from Debian's packages: no image registry needs to
be reachable, only a Debian mirror.

``mmdebstrap`` makes a minimal system of the host's Debian release with Python 3 and its ``venv``
module, from the mirrors this machine's apt uses (read from /etc/apt/sources.list*, and given to it
explicitly); ``podman import`` turns it into an image. The image is kept under a tag naming the
release and the recipe, so it is made once per machine: later runs find it. One made by an older
recipe is removed when its successor is made.
"""

from __future__ import annotations

import glob
import hashlib
import os
import subprocess
import tempfile

import pytest

from tests.support.podman import podman, podman_ok, require_program

# Besides Debian's essential packages: Python with its venv module, the certificates TLS clients
# trust (as in Python's official images, which the Containerfile builds FROM by default) and
# useradd for the image's user. No apt: nothing is installed in the image afterwards.
VARIANT = "essential"
PACKAGES = ("python3", "python3-venv", "ca-certificates", "passwd")
# No manuals, translations or documentation besides the licences: nothing in the image reads them.
DPKG_OPTIONS = (
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/locale/*",
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
)
FALLBACK_MIRROR = "http://deb.debian.org/debian"
BUILD_SECONDS = 900


def debian_release() -> str:
    """The host's Debian release (its code name, e.g. ``bookworm``)."""
    fields = {}
    with open("/etc/os-release") as release:
        for line in release:
            name, _, value = line.strip().partition("=")
            fields[name] = value.strip('"')
    codename = fields.get("VERSION_CODENAME")
    if fields.get("ID") != "debian" or not codename:
        pytest.fail(
            "The container tests make their base image from Debian's packages for the host's release; "
            f"this host is {fields.get('PRETTY_NAME', 'not Debian')}.",
            pytrace=False,
        )
    return codename


def _source_entries(text: str, deb822: bool) -> list[tuple[str, str]]:
    """(URI, suite) of the binary package sources in one sources file."""
    entries = []
    if deb822:
        for stanza in text.split("\n\n"):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                if line.startswith("#") or ":" not in line or line[:1].isspace():
                    continue
                name, _, value = line.partition(":")
                fields[name.strip().lower()] = value.strip()
            if "deb" in fields.get("types", "").split() and fields.get("enabled", "yes").lower() != "no":
                entries += [
                    (uri, suite) for uri in fields.get("uris", "").split() for suite in fields.get("suites", "").split()
                ]
    else:
        for line in text.splitlines():
            words = line.split("#", 1)[0].split()
            if words[:1] == ["deb"]:
                words = [word for word in words[1:] if not word.startswith("[")]  # no [options]
                if len(words) >= 2:
                    entries.append((words[0], words[1]))
    return entries


def debian_mirrors(release: str) -> list[str]:
    """The sources of the release, its updates and its security fixes that this machine's apt uses,
    as ``deb URI SUITE main`` lines; Debian's own mirror when it names none."""
    entries = []
    for path in sorted(
        glob.glob("/etc/apt/sources.list")
        + glob.glob("/etc/apt/sources.list.d/*.list")
        + glob.glob("/etc/apt/sources.list.d/*.sources")
    ):
        with open(path) as sources:
            entries += _source_entries(sources.read(), path.endswith(".sources"))
    suites = (release, f"{release}-updates", f"{release}-security")
    lines = list(dict.fromkeys(f"deb {uri} {suite} main" for uri, suite in entries if suite in suites))
    return lines or [f"deb {FALLBACK_MIRROR} {release} main"]


BASE_IMAGE_NAME = "localhost/cognito-backend-test-base"


def base_image_tag(release: str) -> str:
    recipe = hashlib.sha256(repr((VARIANT, PACKAGES, DPKG_OPTIONS)).encode()).hexdigest()[:10]
    return f"{BASE_IMAGE_NAME}:{release}-{recipe}"


def remove_other_base_images(kept: str) -> None:
    """Base images of other recipes or releases: superseded, and 150 MB or more each. Images built
    on one keep its layers until they go too."""
    tags = podman("images", "--format", "{{.Repository}}:{{.Tag}}", BASE_IMAGE_NAME).split()
    for tag in tags:
        if tag != kept:
            podman_ok("rmi", tag)


def debian_base_image(folder: str) -> str:
    """The tag of a Debian image with Python 3 for the host's release: the one made by an earlier run,
    or one made now with mmdebstrap (about a minute), its tarball written under ``folder``."""
    release = debian_release()
    tag = base_image_tag(release)
    if podman_ok("image", "exists", tag):
        return tag
    mmdebstrap = require_program("mmdebstrap", "apt-get install mmdebstrap")
    with tempfile.TemporaryDirectory(dir=folder) as work:
        tarball = os.path.join(work, "base.tar")
        command = [
            mmdebstrap,
            f"--variant={VARIANT}",
            "--include=" + ",".join(PACKAGES),
            *(f"--dpkgopt={option}" for option in DPKG_OPTIONS),
            release,
            tarball,
            *debian_mirrors(release),
        ]
        # Nothing to read from the terminal: with a closed stdin it cannot wait for an answer.
        made = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=BUILD_SECONDS)
        assert made.returncode == 0, f"mmdebstrap failed:\n{made.stderr[-4000:]}"
        podman("import", tarball, tag, timeout=BUILD_SECONDS)
    remove_other_base_images(tag)
    return tag

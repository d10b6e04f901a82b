"""What the server knows of its page (``web/``): where its files are, its name, and the password
rules it lists.

The page's name is the ``<title>`` of ``web/index.html``, read once at start-up: it is the default
of ``APP_NAME`` (the issuer authenticator apps show, and the name on the local Cognito's sign-in
pages), so the name people see in the page, in their authenticator app and on the sign-in pages is
written in one place.

The password rules are those of the recommended user pool (see docs/production.md), which the local
Cognito's pool has: ``local_cognito/pool_settings.py`` builds its policy from ``PASSWORD_POLICY``,
and ``GET /me`` hands it to the page, which lists the rules and ticks them as they are met.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import os
import re

WEB_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "web")
PAGE_FILE = os.path.join(WEB_DIR, "index.html")
FAVICON_FILE = os.path.join(WEB_DIR, "favicon.svg")
TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)


@dataclasses.dataclass(frozen=True)
class PasswordPolicy:
    """A user pool's password rules, as Cognito's PasswordPolicy names them."""

    min_length: int
    require_lowercase: bool = False
    require_uppercase: bool = False
    require_numbers: bool = False
    require_symbols: bool = False

    def answer(self) -> dict:
        """For the page (``GET /me``)."""
        return dataclasses.asdict(self)


# The recommended pool's policy: 8 characters or more, no character classes required.
PASSWORD_POLICY = PasswordPolicy(min_length=8)


@functools.cache
def page_name() -> str:
    """The page's ``<title>``, its markup's entities decoded."""
    with open(PAGE_FILE, encoding="utf-8") as page:
        found = TITLE.search(page.read())
    name = " ".join(html.unescape(found.group(1)).split()) if found else ""
    if not name:
        raise RuntimeError(f"{PAGE_FILE} has no <title>: it names the app")
    return name


@functools.cache
def favicon() -> bytes:
    """The page's icon (SVG), also shown by the local Cognito's sign-in pages."""
    with open(FAVICON_FILE, "rb") as icon:
        return icon.read()

"""axe-core (pinned in clients/package.json, installed by ``npm ci --prefix clients``) run in a page
of the browser tests: every rule of WCAG 2.0, 2.1 and 2.2 A and AA, and axe's best practices, must
find nothing.

The page's Content-Security-Policy allows only its own scripts, so axe is not added as a script
tag: its source is evaluated through Playwright (DevTools' evaluation, which the page's CSP does
not govern), as is the call that runs it.
"""

from __future__ import annotations

import functools
import json
import os

import pytest
from playwright.sync_api import Page

from tests.support.processes import ROOT

AXE_SCRIPT = os.path.join(ROOT, "clients", "node_modules", "axe-core", "axe.min.js")
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@functools.cache
def axe_source() -> str:
    if not os.path.exists(AXE_SCRIPT):
        pytest.fail("axe-core is not installed: run `npm ci --prefix clients` (.ci/run does).", pytrace=False)
    with open(AXE_SCRIPT, encoding="utf-8") as script:
        return script.read()


def axe_violations(page: Page) -> list[dict]:
    """What axe finds in the page as it is now: each violation with its rule and the elements."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    return page.evaluate(
        """async (tags) => {
             const result = await axe.run(document, { runOnly: { type: "tag", values: tags },
                                                      resultTypes: ["violations"] });
             return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes.map((n) => n.target.join(" ") + ": " + n.failureSummary) }));
           }""",
        RULES,
    )


def expect_no_axe_violations(page: Page, screen: str) -> None:
    found = axe_violations(page)
    assert found == [], f"axe on {screen} at {page.viewport_size}:\n{json.dumps(found, indent=1)}"

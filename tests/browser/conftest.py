"""The browser tests' fixtures: the server as a process in local mode (the embedded local Cognito,
photos on disk) and headless Chromium, one of each for all the tests in tests/browser/, and for each
test a browser context whose pages must end with no JavaScript error and no Content-Security-Policy
violation in the console."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import sync_playwright

from tests.support import CODE, PASSWORD, free_port, local_server
from tests.support.chromium import CHROMIUM_ARGS, SCREENSHOTS, Pages, chromium_path


@pytest.fixture(scope="package")
def server(tmp_path_factory):
    """The server as a process, local mode, its pool and photos in a temporary folder; every emailed
    code is tests.support.CODE."""
    data = tmp_path_factory.mktemp("browser")
    # Every browser signs in from 127.0.0.1: the page's own handling of 429 is tested with forged answers.
    # Its log (a line per request) goes to a file: a pipe read only at the end would fill up, and
    # the server would stop, waiting to write.
    process = local_server(
        str(data / "local-cognito"),
        free_port(),
        LOCAL_COGNITO_CODE=CODE,
        PHOTOS_DATA=str(data / "photos"),
        RATE_LIMIT_PER_ADDRESS="off",
        RATE_LIMIT_PER_USER="off",
        log_path=str(data / "server.log"),
    )
    yield process
    log = process.stop()
    assert "Traceback" not in log, log
    assert PASSWORD not in log


@pytest.fixture(scope="package")
def browser():
    executable = chromium_path()
    os.makedirs(SCREENSHOTS, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def pages(browser, server):
    opened = Pages(browser, server.url)
    yield opened
    opened.context.close()
    assert opened.found() == []


@pytest.fixture
def page(pages):
    return pages.new_page()

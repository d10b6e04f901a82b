"""PostgreSQL's photo records and traces need packages that requirements.txt leaves out
(requirements-postgres.txt, requirements-traces.txt): with PHOTOS_DATABASE_URL or the OTLP endpoint
set but the package missing, start-up stops as for any bad setting, naming the setting and the list
to install, with no traceback. The package is made missing as Python's import system allows, by a
``None`` in ``sys.modules`` (an import of it then fails); tests/test_runtime_install.py sees the same
from an environment where they are truly not installed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from server.config import ConfigError, load_config
from tests.support import ROOT
from tests.support.processes import clean_environment

POSTGRES = {"PHOTOS_DATABASE_URL": "postgresql://photos@db.example:5432/photos"}
TRACES = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector.example:4318"}
TRACES_URL = {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector.example:4318/v1/traces"}
# tornado_server.py run with the modules named on its command line made impossible to import.
WITHOUT = (
    "import runpy, sys\n"
    "for name in sys.argv[1:]: sys.modules[name] = None\n"
    "sys.argv = ['tornado_server.py']\n"
    "runpy.run_path('tornado_server.py', run_name='__main__')\n"
)


@pytest.mark.parametrize(
    "env, module, setting, listing",
    [
        (POSTGRES, "asyncpg", "PHOTOS_DATABASE_URL", "requirements-postgres.txt"),
        (TRACES, "opentelemetry.sdk", "OTEL_EXPORTER_OTLP_ENDPOINT", "requirements-traces.txt"),
        (TRACES, "opentelemetry.exporter.otlp.proto.http", "OTEL_EXPORTER_OTLP_ENDPOINT", "requirements-traces.txt"),
        (TRACES_URL, "opentelemetry.instrumentation", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "requirements-traces.txt"),
        (TRACES, "opentelemetry", "OTEL_EXPORTER_OTLP_ENDPOINT", "requirements-traces.txt"),
    ],
)
def test_a_setting_whose_package_is_missing_stops_the_start_naming_it_and_the_list(
    monkeypatch, env, module, setting, listing
):
    assert load_config(env)  # installed here, as requirements-dev.txt has them
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ConfigError) as caught:
        load_config(env)
    assert f"{setting} is set, but" in str(caught.value)
    assert f"pip install -r {listing} (on top of requirements.txt), or unset {setting}." in str(caught.value)


def test_without_the_setting_a_missing_package_is_never_looked_for(monkeypatch):
    for module in ("asyncpg", "opentelemetry"):
        monkeypatch.setitem(sys.modules, module, None)
    config = load_config({})
    assert (config.photos_database_url, config.traces_endpoint) == (None, None)


@pytest.mark.parametrize(
    "env, modules, message",
    [
        (
            POSTGRES,
            ["asyncpg"],
            "Cannot start: PHOTOS_DATABASE_URL is set, but PostgreSQL's client is not installed "
            "(no asyncpg): pip install -r requirements-postgres.txt",
        ),
        (
            TRACES,
            ["opentelemetry"],
            "Cannot start: OTEL_EXPORTER_OTLP_ENDPOINT is set, but OpenTelemetry is not "
            "installed (no opentelemetry.sdk, opentelemetry.exporter.otlp.proto.http, "
            "opentelemetry.instrumentation.tornado): pip install -r requirements-traces.txt",
        ),
    ],
)
def test_the_server_refuses_to_start_without_a_traceback(tmp_path, env, modules, message):
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT, *modules],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_environment(LOCAL_COGNITO_DATA=str(tmp_path), **env),
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr

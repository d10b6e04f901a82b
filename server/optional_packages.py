"""The optional features' packages: PostgreSQL's photo records (asyncpg, ``requirements-postgres.txt``)
and traces (OpenTelemetry, ``requirements-traces.txt``) are not in ``requirements.txt``, so a
deployment that turns one on installs its list too. When the setting is there but the package is
not, start-up stops with a message naming both, as for any other configuration error, rather than
with an ImportError's traceback once serving begins.

Only the packages' presence is looked up here (``importlib.util.find_spec``): the features
themselves import them when they start, so a server without them never loads them.
"""

from __future__ import annotations

import importlib.util

POSTGRES = ("asyncpg",)
POSTGRES_LIST = "requirements-postgres.txt"
TRACES = ("opentelemetry.sdk", "opentelemetry.exporter.otlp.proto.http", "opentelemetry.instrumentation.tornado")
TRACES_LIST = "requirements-traces.txt"


def is_installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError, AttributeError):  # a missing or blocked parent package
        return False


def missing(setting: str, modules: tuple[str, ...], listing: str, feature: str) -> str | None:
    """The message naming ``setting`` and ``listing`` when one of ``modules`` cannot be imported
    (``server.settings`` raises it as a ConfigError), else None."""
    absent = [module for module in modules if not is_installed(module)]
    if not absent:
        return None
    return (
        f"{setting} is set, but {feature} is not installed (no {', '.join(absent)}): "
        f"pip install -r {listing} (on top of requirements.txt), or unset {setting}."
    )

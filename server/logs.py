"""Logging set-up: readable lines, or one JSON object per line for log pipelines (LOG_FORMAT=json).

The access log (``server.access``) writes one record per request with its fields in ``extra``:
``http_method``, ``path``, ``rpc`` (the method name that ran, never the body), ``status``,
``duration_ms`` and ``request_id``. The JSON form carries them as keys; the text form as one line.
"""

from __future__ import annotations

import datetime
import json
import logging
import sys

# The access record's own fields, in the order the JSON form lists them.
ACCESS_FIELDS = ("http_method", "path", "rpc", "status", "duration_ms", "request_id")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, pid, and the access fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for field in ACCESS_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """Send every record to stderr in ``log_format`` ("text" or "json"), replacing other handlers."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s"))
    # Neither format names the caller's source line, thread or process name: not looking them up
    # for every record is the logging HOWTO's own advice for speed.
    logging._srcfile = None
    logging.logThreads = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)

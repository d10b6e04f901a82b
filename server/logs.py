"""Logging set-up: readable lines, or one JSON object per line for log pipelines (LOG_FORMAT=json).

The access log (``server.access``) writes one record per request with its fields in ``extra``:
``http_method``, ``path``, ``rpc`` (the method name that ran, never the body), ``status``,
``duration_ms`` and ``request_id``. The JSON form carries them as keys; the text form as one line.

No record can carry a character a terminal or a log viewer would act on, whatever its source (an
email someone typed, an exception's text): every character Python does not call printable
(``str.isprintable``: control characters such as ESC, NUL, CR and LF, the bidi controls U+202A-U+202E
and U+2066-U+2069, U+2028 and U+2029, other format characters, unassigned code points) is written as
an escape. The text form writes ``\\x1b``, ``\\n``, ``\\u202e`` and the like; a traceback keeps its line
breaks, but each of its lines is indented, so a line that starts at the first column is always the
start of a record. The JSON form writes ``\\u001b``, ``\\u202e``: still the same string to any JSON
reader, never the raw character.
"""

from __future__ import annotations

import datetime
import json
import logging
import sys

# The access record's own fields, in the order the JSON form lists them.
ACCESS_FIELDS = ("http_method", "path", "rpc", "status", "duration_ms", "request_id")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s"
# How each line of a traceback starts in the text form.
TRACEBACK_INDENT = "    "


_SHORT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(character: str) -> str:
    if character in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[character]
    code = ord(character)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str) -> str:
    """``text`` with every character that is not printable written as its escape (``\\x1b``)."""
    if text.isprintable():  # nearly every line: no copy made
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _json_escape(text: str) -> str:
    """JSON text with the unprintable characters json.dumps leaves raw (U+007F to U+009F, U+2028,
    the bidi controls...) escaped as \\uXXXX; they only ever occur inside its strings."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else "".join(f"\\u{unit:04x}" for unit in _utf16_units(c)) for c in text)


def _utf16_units(character: str) -> tuple[int, ...]:
    code = ord(character)
    if code < 0x10000:
        return (code,)
    code -= 0x10000
    return 0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)


class TextFormatter(logging.Formatter):
    """One readable line per record, unprintable characters escaped; a traceback follows indented."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        record.message = printable(record.getMessage())
        record.asctime = self.formatTime(record, self.datefmt)
        line = printable(self.formatMessage(record))
        details = []
        if record.exc_info:
            details.append(self.formatException(record.exc_info))
        if record.stack_info:
            details.append(self.formatStack(record.stack_info))
        for detail in details:
            line += "".join("\n" + TRACEBACK_INDENT + printable(part) for part in detail.split("\n"))
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, pid, and the access fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
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
        return _json_escape(json.dumps(entry, ensure_ascii=False))


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """Send every record to stderr in ``log_format`` ("text" or "json"), replacing other handlers."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
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

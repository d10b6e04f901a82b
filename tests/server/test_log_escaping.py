"""No log line carries a raw control character, whatever its source (server/logs.py): ESC, NUL, CR,
LF, C1 controls, bidi controls and line separators in a record's arguments, its exception or its
access fields are written as escapes, in the text form and in the JSON form. Played through the
logging set-up the server uses, and against tornado_server.py as a process, with a request line
whose bytes become C1 controls."""

from __future__ import annotations

import io
import json
import logging
import socket
import sys
import threading

import pytest

from server.logs import TRACEBACK_INDENT, configure_logging, printable
from tests.support import free_port, local_server

# Characters a terminal or a log viewer acts on: ESC (with a colour sequence), NUL, CR, LF, the C1
# control CSI and NEL (a line break to some viewers), a bidi override and isolate, U+2028 and U+2029.
HOSTILE = "a\x1b[31mb\x00c\rd\ne\x9bf\x85g\u202eh\u2066i\u2028j\u2029k"
RAW = ["\x1b", "\x00", "\r", "\x9b", "\x85", "\u202e", "\u2066", "\u2028", "\u2029"]


@pytest.fixture
def logged(monkeypatch):
    """``(log_format) -> (logger, read)``: the server's logging set-up writing to a buffer."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)

    def configure(log_format: str):
        buffer = io.StringIO()
        monkeypatch.setattr(sys, "stderr", buffer)
        configure_logging(log_format)
        # Only this test's records: a server left running by an earlier test may log from its thread.
        # (Records do not name their thread here, but a handler's filter runs in the logging thread.)
        this_thread = threading.get_ident()
        for handler in root.handlers:
            handler.addFilter(lambda record: threading.get_ident() == this_thread)
        return logging.getLogger("tests.hostile"), buffer.getvalue

    yield configure
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


def assert_no_raw_control(output: str) -> None:
    assert not [c for c in RAW if c in output], [hex(ord(c)) for c in RAW if c in output]


def test_the_text_form_escapes_every_unprintable_character_of_an_argument(logged):
    log, read = logged("text")
    log.warning("Email to %s: your code is %s", HOSTILE, "123456")
    output = read()
    assert_no_raw_control(output)
    assert output.count("\n") == 1  # one record, one line
    assert (
        "Email to a\\x1b[31mb\\x00c\\rd\\ne\\x9bf\\x85g\\u202eh\\u2066i\\u2028j\\u2029k: your code is 123456"
    ) in output


def test_the_json_form_escapes_every_unprintable_character_of_an_argument(logged):
    log, read = logged("json")
    log.warning("Email to %s", HOSTILE)
    output = read()
    assert_no_raw_control(output)
    [line] = output.splitlines()  # str.splitlines also breaks at U+0085, U+2028, U+2029: none is left
    assert json.loads(line)["message"] == "Email to " + HOSTILE  # the same string to a JSON reader
    assert "\\u001b[31m" in line and "\\u009b" in line and "\\u202e" in line and "\\u2028" in line


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_an_exception_and_the_access_fields_are_escaped_too(logged, log_format):
    log, read = logged(log_format)
    try:
        raise ValueError(HOSTILE)
    except ValueError:
        log.exception("Method %s failed", "signIn")
    logging.getLogger("server.access").info(
        "%(path)s", {"path": "/" + HOSTILE}, extra={"path": "/" + HOSTILE, "status": 404}
    )
    output = read()
    assert_no_raw_control(output)
    lines = output.splitlines()
    if log_format == "json":
        records = [json.loads(line) for line in lines]
        assert records[0]["exception"].endswith("ValueError: " + HOSTILE)
        assert records[1]["path"] == "/" + HOSTILE
    else:
        # The traceback keeps its lines, each indented: only a record starts at the first column.
        starts = [line for line in lines if not line.startswith(" ")]
        assert len(starts) == 2 and "Method signIn failed" in starts[0] and "server.access" in starts[1]
        first, rest = HOSTILE.split("\n")  # a line break of the exception's own text stays one, indented
        at = lines.index(TRACEBACK_INDENT + "ValueError: " + printable(first))
        assert lines[at + 1] == TRACEBACK_INDENT + printable(rest)


def test_printable_text_is_written_as_it_is():
    text = "Email to jürgen@example.com: straße, почта, 日本, \\x1b as typed"
    assert printable(text) is text


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_request_line_whose_bytes_are_c1_controls_is_logged_escaped(tmp_path, log_format):
    """Tornado reads a request line as Latin-1, so the bytes 0x85 and 0x9b of a path become NEL (a
    line break to some viewers) and CSI (ESC [ to some terminals), and the access log names the path."""
    port = free_port()
    server = local_server(str(tmp_path / "cognito"), port, LOG_FORMAT=log_format)
    try:
        with socket.create_connection(("127.0.0.1", port)) as connection:
            connection.sendall(
                b"GET /forged\x85line\x9b31mred\xe2\x80\xae HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            answer = b""
            while chunk := connection.recv(4096):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 404")
    finally:
        output = server.stop()
    assert_no_raw_control(output)
    [line] = [line for line in output.splitlines() if "/forged" in line]
    if log_format == "json":
        assert json.loads(line)["path"] == "/forged\x85line\x9b31mred\xe2\x80\xae"
        assert "\\u0085" in line and "\\u009b" in line
    else:
        assert "/forged\\x85line\\x9b31mred\xe2\\x80\xae" in line

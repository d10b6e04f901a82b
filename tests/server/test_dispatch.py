"""Reading the body of ``POST /`` (server/dispatch.py): strict JSON only, a byte order mark allowed."""

from __future__ import annotations

import pytest

from server.dispatch import parse_json
from server.errors import ApiError


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"nope",
        b'{"a": NaN}',
        b"\xff\xfe{",
        b"[" * 100000,
        b'{"a": "\\ud800"}',
        b'{"a": 1e400}',
        b'{"a": -Infinity}',
    ],
)
def test_parse_json_refuses_what_is_not_strict_json(body):
    with pytest.raises(ApiError) as caught:
        parse_json(body)
    assert caught.value.code == "InvalidJson"


def test_parse_json_accepts_a_byte_order_mark():
    assert parse_json(b'\xef\xbb\xbf{"env": "x"}') == {"env": "x"}

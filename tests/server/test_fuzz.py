"""``POST /`` under arbitrary bodies: whatever arrives, the answer is never a server error, always
JSON with a stable error code (or a success), and always carries its request id.

Hypothesis sends any JSON value, real method names with fields of the right type, the wrong type
or none, bodies around the 64 KiB limit, deep nesting, bytes that are not UTF-8, lone surrogate
escapes, unknown envelopes and JSON-RPC batches full of junk, with any Content-Type, cookies,
Origin, Sec-Fetch-Site, X-Request-Id and X-Forwarded-For. Real-looking calls reach the local
Cognito, so the server has a pool of its own, with the default rate limits (429 is an answer like
any other).
"""

from __future__ import annotations

import json
import re

import hypothesis
import pytest
from hypothesis import strategies as st

from local_cognito import start_local_cognito
from server.browser_session import BROWSER_SESSION_COOKIE
from server.config import load_config
from server.dispatch import (
    APPLICATION_ERROR,
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
)
from server.endpoint import FORWARDED_REQUEST_ID, MAX_BODY_BYTES
from server.errors import CATALOGUE
from server.refresh_cookie import REFRESH_COOKIE
from server.registry import METHODS
from tests.support import Client, local_config, serve_app

RPC_CODES = {PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR, APPLICATION_ERROR}
# Every field name some method takes, and names that are near misses or belong to the machinery.
FIELD_NAMES = sorted(
    {f.name for m in METHODS.values() for f in m.fields}
    | {"pas", "nickname", "email", "env", "jsonrpc", "pass_", "call", "attributes"}
)
CONTENT_TYPES = [
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/json; charset=latin-1",
    "multipart/form-data; boundary=x",
]


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory):
    """A client of a server with a pool of its own: the accounts fuzzing makes stay there."""
    data = tmp_path_factory.mktemp("fuzz-cognito")
    local, config = start_local_cognito(load_config(local_config(str(data))))
    server = serve_app(config, config.port)
    yield Client(config.base_url)
    server.stop()
    local.stop()


# --- what is sent -----------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)
# Values of a field's own type: some plain text, some the emails, codes and passwords methods expect.
right_values = {
    str: st.text(max_size=40)
    | st.emails()
    | st.from_regex(r"[0-9]{6}", fullmatch=True)
    | st.text(min_size=8, max_size=20)
    | st.sampled_from(["I_love_apples", "123 456", "admin", ""]),
    int: st.integers() | st.integers(0, 70),
    bool: st.booleans(),
}


@st.composite
def method_calls(draw, envelope: str = "env") -> dict:
    """A call of a real method: each field of its type, of another type, null, or left out; and
    perhaps fields it does not take."""
    method = METHODS[draw(st.sampled_from(sorted(METHODS)))]
    fields = {}
    for field in method.fields:
        kind = draw(st.sampled_from(["right"] * 6 + ["wrong", "null", "absent"]))
        if kind == "right":
            fields[field.name] = draw(right_values[field.type])
        elif kind == "wrong":
            fields[field.name] = draw(json_values.filter(lambda v, t=field.type: type(v) is not t))
        elif kind == "null":
            fields[field.name] = None
    if draw(st.integers(0, 3)) == 0:
        fields.update(
            draw(
                st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), json_values, min_size=1, max_size=2)
            )
        )
    if envelope == "env":
        return {"env": method.name, **fields}
    params = draw(st.sampled_from(["by-name", "by-position", "junk"]))
    request = {
        "jsonrpc": "2.0",
        "method": method.name,
        "params": fields
        if params == "by-name"
        else list(fields.values())
        if params == "by-position"
        else draw(json_values),
    }
    if draw(st.booleans()):
        request["id"] = draw(st.none() | st.integers() | st.text(max_size=8) | st.floats(allow_nan=False) | json_values)
    return request


rpc_requests = method_calls(envelope="rpc") | st.fixed_dictionaries(
    {"jsonrpc": st.sampled_from(["2.0", "1.0", 2, None]), "method": st.text(max_size=20) | json_values},
    optional={"params": json_values, "id": json_values},
)
unknown_envelopes = st.dictionaries(st.text(max_size=12), json_values, max_size=5) | st.fixed_dictionaries(
    {"env": json_values, "jsonrpc": json_values}, optional={"method": json_values, "params": json_values}
)
batches = st.lists(rpc_requests | json_values, max_size=12)
envelopes = method_calls() | rpc_requests | unknown_envelopes | batches | json_values


def encoded(value) -> bytes:
    return json.dumps(value).encode()


def padded_call(method: str, size: int) -> bytes:
    """``{"env": method, "user": "xxx..."}`` of ``size`` bytes (or the shortest one, if longer)."""
    start = encoded({"env": method, "user": ""})[:-2]
    return start + b"x" * max(0, size - len(start) - 2) + b'"}'


@st.composite
def sized_bodies(draw) -> bytes:
    """A real call padded to a size around the body limit, a few bytes either side included."""
    size = draw(st.integers(MAX_BODY_BYTES - 64, MAX_BODY_BYTES + 64) | st.integers(1, 3 * MAX_BODY_BYTES))
    return padded_call(draw(st.sampled_from(sorted(METHODS))), size)


@st.composite
def deep_bodies(draw) -> bytes:
    """Nesting deeper than any parser's stack, balanced or not, alone or as a field's value."""
    depth = draw(st.integers(1, 12000))
    opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
    nested = opener * depth + (b"1" + closer * depth if draw(st.booleans()) else b"")
    return draw(
        st.sampled_from(
            [
                nested,
                b'{"env": "signIn", "user": ' + nested + b', "pass": "x"}',
                b'{"jsonrpc": "2.0", "method": "signIn", "params": ' + nested + b', "id": 1}',
                b"[" + nested + b"]",
            ]
        )
    )


@st.composite
def broken_text(draw) -> bytes:
    """JSON whose text is not text: bytes that are not UTF-8, lone surrogates (escaped, or encoded
    as UTF-8 would if it allowed them) in a value, a key, the method name or a JSON-RPC id."""
    body = json.dumps(draw(method_calls() | method_calls(envelope="rpc")))
    if draw(st.booleans()):
        surrogate = draw(st.sampled_from(["\\ud800", "\\udfff", "\\udbff\\u0041", "\\ud800\\ud800"]))
        strings = [m.start() + 1 for m in re.finditer(r'"', body)]
        at = draw(st.sampled_from(strings))
        body = body[:at] + surrogate + body[at:]
        return body.encode()
    raw = body.encode()
    at = draw(st.integers(0, len(raw)))
    junk = draw(
        st.sampled_from([b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\x80", b"\xfe\xff", b"\x00"])
        | st.binary(min_size=1, max_size=8)
    )
    return raw[:at] + junk + raw[at:]


bodies = st.one_of(
    method_calls().map(encoded),
    method_calls(envelope="rpc").map(encoded),
    envelopes.map(encoded),
    sized_bodies(),
    deep_bodies(),
    broken_text(),
    st.binary(max_size=300),
    st.sampled_from(
        [
            b"",
            b"NaN",
            b'{"env": "signIn", "user": NaN}',
            b"1e400",
            b'{"jsonrpc"',
            b"\xef\xbb\xbf{}",
            b'{"env": "signIn", "env": 5}',
            json.dumps({"env": "signIn"}).encode("utf-16"),
        ]
    ),
)


# Header values a client can send (HTTP headers are Latin-1, without control characters).
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=60)
cookie_headers = st.lists(
    st.tuples(st.sampled_from([REFRESH_COOKIE, BROWSER_SESSION_COOKIE, "other"]) | header_text, header_text),
    min_size=1,
    max_size=3,
).map(lambda pairs: "; ".join(f"{name}={value}" for name, value in pairs))
request_headers = st.fixed_dictionaries(
    {},
    optional={
        "Content-Type": st.sampled_from(CONTENT_TYPES) | header_text,
        "Cookie": cookie_headers | header_text,
        "Origin": st.sampled_from(["http://evil.example", "null", "http://localhost:3006"]) | header_text,
        "Sec-Fetch-Site": st.sampled_from(["cross-site", "same-site", "same-origin", "none"]) | header_text,
        "X-Request-Id": st.from_regex(r"[A-Za-z0-9._-]{8,128}", fullmatch=True) | header_text,
        "X-Forwarded-For": header_text,
    },
)


# --- what must come back ----------------------------------------------------------------------------


def assert_rpc_response(answer) -> None:
    assert isinstance(answer, dict) and answer.get("jsonrpc") == "2.0" and "id" in answer, answer
    if "result" in answer:
        assert isinstance(answer["result"], dict) and isinstance(answer["result"].get("message"), str), answer
        return
    error = answer["error"]
    assert error["code"] in RPC_CODES and isinstance(error["message"], str), answer
    if error["code"] == APPLICATION_ERROR:
        assert error["data"]["error"] in CATALOGUE, answer
    if "data" in error:
        assert error["data"]["error"] in CATALOGUE, answer
        assert error["data"]["status"] == CATALOGUE[error["data"]["error"]].status, answer


def assert_well_answered(reply) -> None:
    assert reply.status < 500, (reply.status, reply.body[:500])
    assert FORWARDED_REQUEST_ID.fullmatch(reply.headers.get("X-Request-Id") or ""), reply.headers
    if reply.status == 204:  # JSON-RPC notifications only
        assert reply.body == b""
        return
    assert reply.headers["Content-Type"] == "application/json; charset=UTF-8", reply.headers
    answer = json.loads(reply.body)
    if isinstance(answer, list):
        assert reply.status == 200 and answer, answer
        for item in answer:
            assert_rpc_response(item)
    elif isinstance(answer, dict) and "jsonrpc" in answer:
        assert reply.status == 200
        assert_rpc_response(answer)
    elif reply.status == 200:
        assert isinstance(answer.get("message"), str), answer
    else:
        assert answer["error"] in CATALOGUE and isinstance(answer["message"], str), answer
        assert reply.status == CATALOGUE[answer["error"]].status, answer
    if reply.status == 429:
        assert (reply.headers.get("Retry-After") or "").isdigit(), reply.headers


@hypothesis.settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[
        hypothesis.HealthCheck.too_slow,
        hypothesis.HealthCheck.data_too_large,
        hypothesis.HealthCheck.large_base_example,
    ],
)
@hypothesis.given(body=bodies, headers=request_headers)
# Always tried: the limit itself, one byte over it, unclosed deep nesting, a lone surrogate as the id.
@hypothesis.example(body=padded_call("signIn", MAX_BODY_BYTES), headers={})
@hypothesis.example(body=padded_call("signIn", MAX_BODY_BYTES + 1), headers={})
@hypothesis.example(body=b"[" * 10000, headers={"Content-Type": "application/json"})
@hypothesis.example(body=b'{"jsonrpc": "2.0", "method": "signIn", "id": "\\ud800"}', headers={})
def test_any_request_gets_a_json_answer_and_never_a_server_error(fuzz_client, body, headers):
    reply = fuzz_client.request("POST", "/", body, headers, send_cookies=False)
    assert_well_answered(reply)
    if FORWARDED_REQUEST_ID.fullmatch(headers.get("X-Request-Id", "")):
        assert reply.headers["X-Request-Id"] == headers["X-Request-Id"]  # a proxy's id is kept
    if len(body) > MAX_BODY_BYTES:
        assert reply.status == 413 and reply.json["error"] == "BodyTooLarge"
    else:
        assert reply.status != 413


@hypothesis.settings(max_examples=40, deadline=None, database=None)
@hypothesis.given(depth=st.integers(1, 30000))
def test_deep_nesting_is_refused_or_read_never_a_crash(fuzz_client, depth):
    reply = fuzz_client.post(b"[" * depth + b"]" * depth)
    assert_well_answered(reply)
    # Nesting the parser can read is a JSON-RPC batch of things that are no requests; deeper
    # nesting is no JSON this server reads.
    if reply.status == 200:
        assert reply.json == (
            {"jsonrpc": "2.0", "error": {"code": INVALID_REQUEST, "message": "Invalid Request"}, "id": None}
            if depth == 1
            else [{"jsonrpc": "2.0", "error": {"code": INVALID_REQUEST, "message": "Invalid Request"}, "id": None}]
        )
    else:
        assert reply.status == 400 and reply.json["error"] == "InvalidJson"


@hypothesis.settings(max_examples=40, deadline=None, database=None)
@hypothesis.given(depth=st.integers(1, (MAX_BODY_BYTES - 64) // 7))  # seven bytes a level, within the limit
def test_deep_objects_are_refused_never_a_crash(fuzz_client, depth):
    reply = fuzz_client.post(b'{"env": "signIn", "user": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}")
    assert_well_answered(reply)
    # Readable nesting is a field of the wrong type; deeper nesting is no JSON this server reads.
    assert reply.status == 400 and reply.json["error"] in ("InvalidField", "InvalidJson")

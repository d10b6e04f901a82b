"""JSON-RPC 2.0 over ``POST /``, case by case from the specification."""

from __future__ import annotations

import pytest

from tests.support import PASSWORD


def rpc(method, params=None, id_=1):
    request = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        request["params"] = params
    if id_ is not None:
        request["id"] = id_
    return request


def test_parse_error(client):
    reply = client.post(b'{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]')
    assert reply.status == 200
    assert reply.json == {
        "jsonrpc": "2.0",
        "error": {"code": -32700, "message": "Parse error", "data": reply.json["error"]["data"]},
        "id": None,
    }
    assert reply.json["error"]["data"]["error"] == "InvalidJson"


def test_batch_that_is_not_json_is_one_parse_error(client):
    reply = client.post(
        b'[{"jsonrpc": "2.0", "method": "signIn", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method"]'
    )
    assert reply.json["error"]["code"] == -32700 and reply.json["id"] is None


@pytest.mark.parametrize(
    "request_",
    [
        {"jsonrpc": "2.0", "method": 1, "params": "bar"},
        {"jsonrpc": "1.0", "method": "signIn", "id": 1},
        {"jsonrpc": "2.0", "method": "signIn", "params": "bar", "id": 1},
        {"jsonrpc": "2.0", "method": "signIn", "id": {"an": "object"}},
    ],
)
def test_invalid_request(client, request_):
    reply = client.post(request_)
    assert reply.status == 200
    assert reply.json["error"]["code"] == -32600 and reply.json["error"]["message"] == "Invalid Request"
    expected_id = request_["id"] if isinstance(request_.get("id"), int) else None
    assert reply.json["id"] == expected_id


def test_empty_batch_is_one_invalid_request(client):
    reply = client.post([])
    assert reply.json == {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": None}


@pytest.mark.parametrize("batch", [[1], [1, 2, 3]])
def test_batch_of_non_objects_answers_each(client, batch):
    reply = client.post(batch)
    assert isinstance(reply.json, list) and len(reply.json) == len(batch)
    assert all(r["error"]["code"] == -32600 and r["id"] is None for r in reply.json)


def test_method_not_found(client):
    reply = client.post(rpc("launchRockets", {}, "x"))
    assert reply.json == {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "x"}


def test_invalid_params_carry_our_code(client):
    reply = client.post(rpc("signIn", {"user": "a@example.com"}))
    error = reply.json["error"]
    assert error["code"] == -32602 and error["message"] == "Invalid params"
    assert error["data"]["error"] == "MissingField" and '"pass"' in error["data"]["message"]


def test_field_errors_found_by_a_method_are_invalid_params(signed_in):
    client, _, answer = signed_in
    reply = client.post(rpc("updateUser", {"access_token": answer["access_token"]}))
    assert reply.json["error"]["code"] == -32602
    assert reply.json["error"]["data"]["error"] == "MissingField"


def test_an_id_out_of_float_range_is_a_parse_error(client):
    reply = client.post(b'{"jsonrpc": "2.0", "method": "signIn", "id": 1e400}')
    assert reply.json["error"]["code"] == -32700
    assert b"Infinity" not in reply.body


def test_application_errors_are_in_the_32000_range(client):
    reply = client.post(rpc("signIn", {"user": "nobody@example.com", "pass": "whatever1"}, 3))
    error = reply.json["error"]
    assert -32099 <= error["code"] <= -32000
    assert error["data"] == {"error": "NotAuthorized", "message": "Incorrect username or password.", "status": 401}
    assert reply.json["id"] == 3


def test_notification_gets_no_answer(client):
    reply = client.post(rpc("signOut", {}, id_=None))
    assert reply.status == 204 and reply.body == b""


def test_batch_of_notifications_gets_no_answer(client):
    reply = client.post([rpc("signOut", {}, id_=None), rpc("nope", {}, id_=None)])
    assert reply.status == 204 and reply.body == b""


def test_mixed_batch_answers_in_order_without_the_notifications(signed_in):
    client, email, _ = signed_in
    reply = client.post(
        [
            rpc("signIn", {"user": email, "pass": PASSWORD}, 1),
            rpc("signOut", {}, None),
            {"foo": "boo"},
            rpc("get_data", {}, "9"),
            rpc("signIn", [email], 5),
        ]
    )
    answers = reply.json
    assert [a["id"] for a in answers] == [1, None, "9", 5]
    assert answers[0]["result"]["message"] == "OK" and "access_token" in answers[0]["result"]
    assert answers[1]["error"]["code"] == -32600
    assert answers[2]["error"]["code"] == -32601
    assert answers[3]["error"]["code"] == -32602
    # The notification ran after the sign-in: the batch leaves the user signed out.
    assert "__Host-refresh" not in client.cookies

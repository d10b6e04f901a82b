"""The request pipeline behind ``POST /``: parse the body, pick the envelope, run the method.

Two envelopes share the one registry:

- the tutorial's: ``{"env": "signIn", "user": ..., "pass": ...}``, answered with
  ``{"message": "OK", ...results}`` or ``{"message": "<sentence>", "error": "<Code>"}`` and the
  error's HTTP status;
- JSON-RPC 2.0, to the letter of the specification: single requests, batches and notifications,
  the standard error codes, and application errors as -32000 with our code in ``data``. Its answers
  are HTTP 200 (204 when there is nothing to answer: only notifications). A batch holds at most
  ``MAX_BATCH`` calls, each counted by the rate limits as a call of its own.

A method declared ``uniform_time`` answers no sooner than ``UNIFORM_ANSWER_SECONDS`` after its
handler began, whatever it answers: so the time does not tell whether the account it names exists.

Nothing here knows about HTTP beyond the status it suggests; the endpoint writes the answer. The
JSON Schemas of both envelopes, for ``/openapi.json``, are at the end.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from typing import Any

from server.answers import Answer, error_body
from server.call import Call
from server.errors import ApiError
from server.registry import BROWSER_SESSION_FIELDS, METHODS, Method, bind
from server.route_description import ref

log = logging.getLogger("server.dispatch")

# JSON-RPC 2.0's reserved codes.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
APPLICATION_ERROR = -32000

_BIND_ERRORS = {"MissingField", "InvalidField", "UnknownField"}
# The most calls one JSON-RPC batch may hold: one body cannot make more calls than this (and each
# of them is counted by the rate limits).
MAX_BATCH = 20


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e400: JSON has no infinity, and none can be answered back
        raise ValueError("number out of range")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes) -> Any:
    """The JSON value of ``body``; ApiError InvalidJson for anything that is not strict JSON.

    Strict means UTF-8 throughout: a lone surrogate escape such as "\\ud800" is valid JSON syntax
    but no text, and would fail later wherever the string is encoded.
    """
    try:
        value = json.loads(body.decode("utf-8-sig"), parse_constant=_refuse_constant, parse_float=_finite)
        if b"\\u" in body:  # only an escape can make a lone surrogate: UTF-8 text cannot hold one
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        return value
    except UnicodeError:
        raise ApiError("InvalidJson", "The request body is not UTF-8 text.") from None
    except (ValueError, RecursionError):
        raise ApiError("InvalidJson") from None


# Why a method that uses the refresh cookie is refused to a page of another origin.
UNTRUSTED_COOKIE_USE = (
    "A page from another origin cannot use or change this browser's sign-in. Call this "
    "method from this site's own pages."
)


async def _run(method: Method, arguments: dict, call: Call) -> dict:
    """Run a bound method; anything but ApiError is logged and becomes InternalError."""
    if method.refresh_cookie and not call.trusted_origin:
        # Before anything else: a forged request changes nothing, not even a rate-limit counter.
        raise ApiError("UntrustedOrigin", UNTRUSTED_COOKIE_USE)
    await call.rate_limits.check(method.name, call.client_address, arguments)
    for field in method.fields:
        if field.name not in BROWSER_SESSION_FIELDS or arguments.get(field.parameter) is not None:
            continue
        if call.browser_session.present:
            try:
                arguments = {**arguments, field.parameter: await call.browser_session.access_token()}
            except ApiError:
                if field.required:
                    raise  # an optional field stays empty: the method does without it
        elif field.required:
            raise ApiError(
                "MissingField",
                f'{method.name} needs the field "{field.name}", or a browser session from the hosted UI.',
                field=field.name,
            )
    started = time.monotonic()
    try:
        result = await method.handler(call, **arguments)
    except ApiError:
        raise
    except Exception:
        log.exception("Method %s failed (request %s)", method.name, call.request_id)
        raise ApiError("InternalError") from None
    finally:
        if method.uniform_time:
            # Padded to a fixed time from the start, not by a random delay: a delay's noise
            # averages out over repeated calls, a fixed end does not leak the work behind it.
            await asyncio.sleep(max(0.0, started + call.config.uniform_answer_seconds - time.monotonic()))
    return {"message": "OK", **(result or {})}


async def dispatch(body: bytes, call: Call) -> Answer:
    """Answer one ``POST /`` body."""
    try:
        payload = parse_json(body)
    except ApiError as error:
        if b'"jsonrpc"' in body:
            return Answer(200, _rpc_error(None, PARSE_ERROR, "Parse error", error))
        return Answer(error.status, error_body(error, call.request_id))

    if isinstance(payload, list) or (isinstance(payload, dict) and "jsonrpc" in payload):
        return await _dispatch_rpc(payload, call)
    return await _dispatch_env(payload, call)


# --- the tutorial's envelope -------------------------------------------------------------------


async def _dispatch_env(payload: Any, call: Call) -> Answer:
    name = payload.get("env") if isinstance(payload, dict) else None
    try:
        if not isinstance(payload, dict):
            raise ApiError("InvalidRequest")
        if "env" not in payload:
            raise ApiError("MissingEnv")
        if not isinstance(name, str):
            raise ApiError("InvalidField", 'The field "env" must be a string naming the method.', field="env")
        method = METHODS.get(name)
        if method is None:
            raise ApiError("UnknownMethod", f'There is no method named "{name[:64]}".')
        params = {key: value for key, value in payload.items() if key != "env"}
        result = await _run(method, bind(method, params), call)
        return Answer(200, result, method=name)
    except ApiError as error:
        return Answer(
            error.status,
            error_body(error, call.request_id),
            error.retry_after,
            method=name if isinstance(name, str) and name in METHODS else None,
        )


# --- JSON-RPC 2.0 ------------------------------------------------------------------------------


def _rpc_error(
    request_id: Any, code: int, message: str, error: ApiError | None = None, call: Call | None = None
) -> dict:
    body: dict[str, Any] = {"code": code, "message": message}
    if error is not None:
        data: dict[str, Any] = {"error": error.code, "message": error.message, "status": error.status}
        if error.retry_after is not None:
            data["retry_after"] = error.retry_after
        if error.field is not None:
            data["field"] = error.field
        if error.status >= 500 and call is not None:
            data["request_id"] = call.request_id
        body["data"] = data
    return {"jsonrpc": "2.0", "error": body, "id": request_id}


def _valid_id(value: Any) -> bool:
    return value is None or isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool))


async def _dispatch_rpc(payload: Any, call: Call) -> Answer:
    if isinstance(payload, list):
        if not payload:
            return Answer(200, _rpc_error(None, INVALID_REQUEST, "Invalid Request"))
        if len(payload) > MAX_BATCH:
            too_many = ApiError(
                "InvalidRequest",
                f"A JSON-RPC batch holds at most {MAX_BATCH} calls; this one "
                f"holds {len(payload)}. Send them in smaller batches.",
            )
            return Answer(200, _rpc_error(None, INVALID_REQUEST, "Invalid Request", too_many), method="batch")
        # One after the other, in order: cookie changes then follow the order of the batch.
        answers = [await _rpc_one(item, call) for item in payload]
        responses = [response for response, _ in answers if response is not None]
        retry = max((r for _, r in answers if r is not None), default=None)
        return Answer(200 if responses else 204, responses or None, retry, method="batch")
    response, retry = await _rpc_one(payload, call)
    method = payload.get("method") if isinstance(payload.get("method"), str) else None
    return Answer(200 if response is not None else 204, response, retry, method=method if method in METHODS else None)


async def _rpc_one(request: Any, call: Call) -> tuple[dict | None, int | None]:
    """(the response object or None for a notification, a Retry-After hint or None)."""
    if not isinstance(request, dict):
        return _rpc_error(None, INVALID_REQUEST, "Invalid Request"), None
    request_id = request.get("id")
    if not _valid_id(request_id):
        return _rpc_error(None, INVALID_REQUEST, "Invalid Request"), None
    is_notification = "id" not in request
    name = request.get("method")
    params = request.get("params", {})
    if request.get("jsonrpc") != "2.0" or not isinstance(name, str) or not isinstance(params, (dict, list)):
        return _rpc_error(request_id, INVALID_REQUEST, "Invalid Request"), None

    method = METHODS.get(name)
    if method is None:
        response = _rpc_error(request_id, METHOD_NOT_FOUND, "Method not found")
        return (None if is_notification else response), None
    try:
        arguments = bind(method, params)
    except ApiError as error:
        response = _rpc_error(request_id, INVALID_PARAMS, "Invalid params", error)
        return (None if is_notification else response), None
    try:
        result = await _run(method, arguments, call)
    except ApiError as error:
        if error.code == "InternalError":
            response = _rpc_error(request_id, INTERNAL_ERROR, "Internal error", error, call)
        elif error.code in _BIND_ERRORS:  # a handler's own check of its fields
            response = _rpc_error(request_id, INVALID_PARAMS, "Invalid params", error)
        else:
            response = _rpc_error(request_id, APPLICATION_ERROR, error.message, error, call)
        return (None if is_notification else response), error.retry_after
    if is_notification:
        return None, None
    return {"jsonrpc": "2.0", "result": result, "id": request_id}, None


# --- the envelopes, as /openapi.json describes them --------------------------------------------

# What the dispatcher takes and answers besides each method's own fields (the document makes those
# from the registry: EnvRequest, RpcRequest and a schema per method in each envelope).
ENVELOPE_SCHEMAS: dict[str, dict] = {
    "RpcBatch": {
        "type": "array",
        "items": ref("RpcRequest"),
        "minItems": 1,
        "maxItems": MAX_BATCH,
        "description": f"JSON-RPC 2.0 requests, run one after the other in order; at most {MAX_BATCH}.",
    },
    "RpcId": {"type": ["string", "number", "null"]},
    "Result": {
        "description": 'What a method answers: `"message": "OK"` and its results, or the next step of a '
        "sign-in (an authenticator code, a new password, an emailed code, a passkey, a choice) "
        "to complete with respondToChallenge (changePass's new sign-in too, saying whether the "
        "other sessions ended).",
        "anyOf": [
            {
                "title": "OK",
                "type": "object",
                "properties": {"message": {"const": "OK"}},
                "required": ["message"],
                "additionalProperties": True,
            },
            {
                "title": "Next sign-in step",
                "type": "object",
                "properties": {
                    "message": {"type": "string"},
                    "challenge": {"type": "string"},
                    "session": {"type": "string"},
                    "required_attributes": {"type": "array", "items": {"type": "string"}},
                    "other_sessions_ended": {"type": "boolean"},
                    # Choice-based sign-in's steps (handlers/user_auth_steps.py).
                    "available_challenges": {"type": "array", "items": {"type": "string"}},
                    "delivery": {"type": "object"},
                    "credential_request_options": {"type": "object"},
                },
                "required": ["message", "challenge", "session"],
                "additionalProperties": False,
            },
        ],
    },
    "RpcErrorData": {
        "type": "object",
        "properties": {
            "error": ref("ErrorCode"),
            "message": {"type": "string"},
            "status": {"type": "integer", "description": "The HTTP status the tutorial's envelope would answer."},
            "field": {"type": "string"},
            "retry_after": {"type": "integer", "minimum": 0},
            "request_id": {"type": "string"},
        },
        "required": ["error", "message", "status"],
        "additionalProperties": False,
    },
    "RpcSuccess": {
        "type": "object",
        "properties": {"jsonrpc": {"const": "2.0"}, "result": ref("Result"), "id": ref("RpcId")},
        "required": ["jsonrpc", "result", "id"],
        "additionalProperties": False,
    },
    "RpcFailure": {
        "type": "object",
        "properties": {
            "jsonrpc": {"const": "2.0"},
            "error": {
                "type": "object",
                "properties": {
                    "code": {
                        "type": "integer",
                        "enum": [
                            PARSE_ERROR,
                            INVALID_REQUEST,
                            METHOD_NOT_FOUND,
                            INVALID_PARAMS,
                            INTERNAL_ERROR,
                            APPLICATION_ERROR,
                        ],
                        "description": f"JSON-RPC's standard codes, and {APPLICATION_ERROR} for the "
                        "others (our code is then in `data.error`).",
                    },
                    "message": {"type": "string"},
                    "data": ref("RpcErrorData"),
                },
                "required": ["code", "message"],
                "additionalProperties": False,
            },
            "id": ref("RpcId"),
        },
        "required": ["jsonrpc", "error", "id"],
        "additionalProperties": False,
    },
    "RpcResponse": {"oneOf": [ref("RpcSuccess"), ref("RpcFailure")]},
    "RpcBatchResponse": {"type": "array", "items": ref("RpcResponse"), "minItems": 1},
}

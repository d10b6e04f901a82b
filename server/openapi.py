"""``GET /openapi.json``: the HTTP surface described as an OpenAPI 3.1 document, built from the code.

- ``POST /`` comes from the method registry: each method (its fields, their JSON types, which are
  required and which may be null, the extra fields it takes) becomes a request schema for each
  envelope, the tutorial's ``{"env": ...}`` and JSON-RPC 2.0. Its error answers come from the error
  catalogue, one response per HTTP status with the codes that status carries.
- The other routes come from the application's route table (paths, path parameters named as their
  handler's arguments, HTTP methods, handler docstrings). What each of them answers is not in its
  signature, so ``OTHER_ROUTES`` below says it; a route missing from it is still listed, loosely.

The document is built at its first request and kept for the application's lifetime.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from typing import Any, Iterator

import tornado.util
import tornado.web

from handlers.hosted_ui import PROVIDER
from handlers.photos import MAX_DESCRIPTION_CHARACTERS, MAX_PHOTO_BYTES
from server.browser_session import BROWSER_SESSION_COOKIE
from server.dispatch import (APPLICATION_ERROR, INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND,
                             PARSE_ERROR)
from server.endpoint import FORWARDED_REQUEST_ID, MAX_BODY_BYTES
from server.errors import CATALOGUE
from server.images import MAX_PIXELS
from server.refresh_cookie import REFRESH_COOKIE
from server.registry import BROWSER_SESSION_FIELDS, METHODS, Field, Method
from server.services import OAUTH_STATE_COOKIE

OPENAPI_VERSION = "3.1.0"
DOCUMENT_VERSION = "1"

_JSON_TYPES = {str: "string", int: "integer", bool: "boolean"}
# HTTP methods a route is listed with. HEAD repeats GET, and OPTIONS is the CORS preflight every
# JSON route answers alike: neither adds anything a client needs to read.
_LISTED_METHODS = ("get", "post", "put", "patch", "delete")

# Codes that only the other routes answer: hosted-UI sign-in, the photos API, readiness, and an
# HTTP method a route does not take. Every other code of the catalogue can answer ``POST /``.
OTHER_ROUTES_ONLY = frozenset({
    "HostedUiOff", "InvalidNext", "InvalidProvider", "SignInStateMismatch", "SignInFailed",
    "PhotoNotFound", "NotAnImage", "PhotoTooLarge", "StorageUnavailable", "Stopping", "MethodNotAllowed",
})
# Any call to Cognito, or to the pool's JWKS, can end in one of these.
COGNITO_TROUBLE = ("TooManyRequests", "CognitoUnavailable", "CognitoTimeout", "CognitoError")
# Who is calling the photos API: a Bearer token, or the browser session of this site's pages.
CALLER_CHECK = ("MissingToken", "InvalidToken", "TokenExpired", "UntrustedOrigin")

REQUEST_ID_HEADER = {
    "description": "This request's id, as in the server's log. A proxy's own id is kept when it looks like one.",
    "required": True,
    "schema": {"type": "string", "pattern": "^" + FORWARDED_REQUEST_ID.pattern + "$"},
}
RETRY_AFTER_HEADER = {
    "description": "Seconds to wait before trying again.",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}
LOCATION_HEADER = {"description": "Where the browser goes next.", "required": True, "schema": {"type": "string"}}
SET_COOKIE_HEADER = {
    "description": f"`{REFRESH_COOKIE}` (the refresh token) and `{BROWSER_SESSION_COOKIE}` (the hosted-UI "
                   "session): set, renewed or cleared. HttpOnly, Secure, never readable by page scripts.",
    "schema": {"type": "string"},
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


# --- POST /: the methods of the registry -------------------------------------------------------

def _field_schema(field: Field) -> dict:
    kind = _JSON_TYPES[field.type]
    schema: dict[str, Any] = {"type": [kind, "null"] if field.nullable else kind}
    if field.name in BROWSER_SESSION_FIELDS:
        schema["description"] = ("A page signed in through the hosted UI may leave it out: its session's "
                                 "token is used.")
    return schema


def _by_name_schema(method: Method) -> dict:
    """The method's fields as the members of an object (the ``env`` envelope adds ``env``)."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {f.name: _field_schema(f) for f in method.fields},
    }
    required = [f.name for f in method.fields if f.required]
    if required:
        schema["required"] = required
    if method.extra_type is None:
        schema["additionalProperties"] = False
    else:
        # Extra fields the handler checks itself (standard attributes); they may not take the name
        # of one of its other parameters, and "jsonrpc" would make the body a JSON-RPC request.
        schema["additionalProperties"] = {"type": _JSON_TYPES[method.extra_type]}
        taken = sorted(method.parameter_names - {f.name for f in method.fields}) + ["jsonrpc"]
        schema["propertyNames"] = {"not": {"enum": taken}}
    return schema


def _positional_schema(method: Method) -> dict:
    """JSON-RPC's by-position ``params``: the fields in the handler's order."""
    last_required = max((i for i, f in enumerate(method.fields) if f.required), default=-1)
    schema: dict[str, Any] = {"type": "array", "maxItems": len(method.fields)}
    if method.fields:
        schema["prefixItems"] = [_field_schema(f) for f in method.fields]
    if last_required >= 0:
        schema["minItems"] = last_required + 1
    return schema


def _method_description(method: Method) -> str:
    first = next(name for name, other in METHODS.items() if other.handler is method.handler)
    if first != method.name:
        return f"Another name for `{first}`."
    return inspect.getdoc(method.handler) or ""


def _env_schema(method: Method) -> dict:
    schema = _by_name_schema(method)
    schema["properties"] = {"env": {"const": method.name}, **schema["properties"]}
    schema["required"] = ["env", *schema.get("required", [])]
    description = _method_description(method)
    return {"title": method.name, **({"description": description} if description else {}), **schema}


def _rpc_schema(method: Method) -> dict:
    description = _method_description(method)
    return {
        "title": f"{method.name} (JSON-RPC 2.0)",
        **({"description": description} if description else {}),
        "type": "object",
        "properties": {
            "jsonrpc": {"const": "2.0"},
            "method": {"const": method.name},
            "params": {"oneOf": [_by_name_schema(method), _positional_schema(method)]},
            "id": _ref("RpcId"),
        },
        "required": ["jsonrpc", "method"],
        "additionalProperties": False,
    }


def _error_schema(codes: list[str], with_request_id: bool) -> dict:
    required = ["message", "error"] + (["request_id"] if with_request_id else [])
    return {
        "type": "object",
        "properties": {
            "message": {"type": "string", "description": "A sentence to show to the person."},
            "error": {"type": "string", "enum": codes},
            "field": {"type": "string", "description": "The request field the error is about."},
            "request_id": {"type": "string", "description": "To find the failure in the server's log."},
        },
        "required": required,
        "additionalProperties": False,
    }


def _code_list(codes: list[str]) -> str:
    return "\n".join(f"- `{code}`: {CATALOGUE[code].message}" for code in codes)


def _by_status(codes: list[str]) -> dict[int, list[str]]:
    statuses: dict[int, list[str]] = {}
    for code in codes:
        statuses.setdefault(CATALOGUE[code].status, []).append(code)
    return statuses


# A path whose parameters match no route is answered by the application's default handler.
NO_ROUTE = (404, "UnknownMethod")


def _error_answers(codes: list[str], html: bool = False, no_route: bool = False) -> dict[str, dict]:
    """One response per status the codes carry; JSON, or also a short page for browsers. With
    ``no_route``, path parameters that match no route are answered 404 ``UnknownMethod``."""
    answers = {}
    statuses = _by_status(codes)
    if no_route:
        statuses.setdefault(NO_ROUTE[0], []).append(NO_ROUTE[1])
    for status, status_codes in sorted(statuses.items()):
        headers = {"X-Request-Id": REQUEST_ID_HEADER}
        if status == 429:
            headers["Retry-After"] = RETRY_AFTER_HEADER
        content = {"application/json": {"schema": _error_schema(status_codes, status >= 500)}}
        if html:
            content["text/html"] = {"schema": {"type": "string"}}
        description = _code_list([c for c in status_codes if (status, c) != NO_ROUTE])
        if no_route and status == NO_ROUTE[0]:
            description += f"\n- `{NO_ROUTE[1]}`: there is no route at this address."
        answers[str(status)] = {"description": description.strip(), "headers": headers, "content": content}
    return answers


def _endpoint_codes() -> list[str]:
    return [code for code in CATALOGUE if code not in OTHER_ROUTES_ONLY]


def _method_line(method: Method) -> str:
    """``- `name` (fields): the first paragraph of its docstring``, for the list of methods."""
    fields = ", ".join(f"`{f.name}`" if f.required else f"*`{f.name}`*" for f in method.fields)
    extra = ", other fields" if method.extra_type is not None else ""
    summary = " ".join(_method_description(method).split("\n\n")[0].split())
    return f"- `{method.name}` ({fields or 'no fields'}{extra})" + (f": {summary}" if summary else "")


def _endpoint_operation() -> dict:
    methods = "\n".join(_method_line(m) for m in METHODS.values())
    return {
        "operationId": "call",
        "tags": ["methods"],
        "summary": "Call a method, in the tutorial's envelope or in JSON-RPC 2.0",
        "description": (
            f"The body is JSON whatever its Content-Type, at most {MAX_BODY_BYTES // 1024} KiB. "
            "`{\"env\": \"<method>\", ...fields}` is answered with `{\"message\": \"OK\", ...results}` or an "
            "error and its HTTP status; a JSON-RPC 2.0 request or batch is answered with HTTP 200 (204 when "
            "it held only notifications), its errors in `error` with our code in `error.data`. Fields are "
            "checked before Cognito is called.\n\nMethods (optional fields in italics):\n\n" + methods),
        "parameters": _cookie_parameters(REFRESH_COOKIE, BROWSER_SESSION_COOKIE),
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"oneOf": [
                _ref("EnvRequest"), _ref("RpcRequest"), _ref("RpcBatch")]}}},
        },
        "responses": {
            "200": {
                "description": "The tutorial's envelope: the method's results. JSON-RPC: its response, or a "
                               "batch's responses (whatever the outcome).",
                "headers": {"X-Request-Id": REQUEST_ID_HEADER, "Set-Cookie": SET_COOKIE_HEADER,
                            "Retry-After": {**RETRY_AFTER_HEADER, "required": False,
                                            "description": "When a JSON-RPC call was refused for too many "
                                                           "requests: seconds to wait."}},
                "content": {"application/json": {"schema": {"anyOf": [
                    _ref("Result"), _ref("RpcResponse"), _ref("RpcBatchResponse")]}}},
            },
            "204": {
                "description": "JSON-RPC: the request held only notifications.",
                "headers": {"X-Request-Id": REQUEST_ID_HEADER, "Set-Cookie": SET_COOKIE_HEADER},
            },
            **_error_answers(_endpoint_codes()),
        },
    }


def _endpoint_schemas() -> dict[str, dict]:
    schemas: dict[str, dict] = {}
    for name, method in METHODS.items():
        schemas[f"env.{name}"] = _env_schema(method)
        schemas[f"rpc.{name}"] = _rpc_schema(method)
    schemas["EnvRequest"] = {
        "description": "The tutorial's envelope: `env` names the method, the other members are its fields.",
        "oneOf": [_ref(f"env.{name}") for name in METHODS],
        "discriminator": {"propertyName": "env",
                          "mapping": {name: f"#/components/schemas/env.{name}" for name in METHODS}},
    }
    schemas["RpcRequest"] = {
        "description": "A JSON-RPC 2.0 request; without `id` it is a notification, which gets no answer.",
        "oneOf": [_ref(f"rpc.{name}") for name in METHODS],
        "discriminator": {"propertyName": "method",
                          "mapping": {name: f"#/components/schemas/rpc.{name}" for name in METHODS}},
    }
    schemas["RpcBatch"] = {"type": "array", "items": _ref("RpcRequest"), "minItems": 1,
                           "description": "JSON-RPC 2.0 requests, run one after the other in order."}
    schemas["RpcId"] = {"type": ["string", "number", "null"]}
    schemas["Result"] = {
        "description": "What a method answers: `\"message\": \"OK\"` and its results, or the next step of a "
                       "sign-in (an authenticator code, a new password) to complete with respondToChallenge.",
        "anyOf": [
            {"title": "OK", "type": "object", "properties": {"message": {"const": "OK"}},
             "required": ["message"], "additionalProperties": True},
            {"title": "Next sign-in step", "type": "object",
             "properties": {"message": {"type": "string"}, "challenge": {"type": "string"},
                            "session": {"type": "string"}},
             "required": ["message", "challenge", "session"], "additionalProperties": False},
        ],
    }
    rpc_codes = [PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR, APPLICATION_ERROR]
    schemas["RpcErrorData"] = {
        "type": "object",
        "properties": {
            "error": _ref("ErrorCode"),
            "message": {"type": "string"},
            "status": {"type": "integer", "description": "The HTTP status the tutorial's envelope would answer."},
            "field": {"type": "string"},
            "retry_after": {"type": "integer", "minimum": 0},
            "request_id": {"type": "string"},
        },
        "required": ["error", "message", "status"],
        "additionalProperties": False,
    }
    schemas["RpcSuccess"] = {
        "type": "object",
        "properties": {"jsonrpc": {"const": "2.0"}, "result": _ref("Result"), "id": _ref("RpcId")},
        "required": ["jsonrpc", "result", "id"],
        "additionalProperties": False,
    }
    schemas["RpcFailure"] = {
        "type": "object",
        "properties": {
            "jsonrpc": {"const": "2.0"},
            "error": {
                "type": "object",
                "properties": {
                    "code": {"type": "integer", "enum": rpc_codes,
                             "description": f"JSON-RPC's standard codes, and {APPLICATION_ERROR} for the "
                                            "others (our code is then in `data.error`)."},
                    "message": {"type": "string"},
                    "data": _ref("RpcErrorData"),
                },
                "required": ["code", "message"],
                "additionalProperties": False,
            },
            "id": _ref("RpcId"),
        },
        "required": ["jsonrpc", "error", "id"],
        "additionalProperties": False,
    }
    schemas["RpcResponse"] = {"oneOf": [_ref("RpcSuccess"), _ref("RpcFailure")]}
    schemas["RpcBatchResponse"] = {"type": "array", "items": _ref("RpcResponse"), "minItems": 1}
    return schemas


def _catalogue_schemas() -> dict[str, dict]:
    return {
        "ErrorCode": {
            "type": "string",
            "enum": list(CATALOGUE),
            "description": "\n".join(f"- `{code}` ({kind.status}): {kind.message}"
                                     for code, kind in CATALOGUE.items()),
        },
        "Error": _error_schema(list(CATALOGUE), with_request_id=False),
    }


# --- the other routes ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class RouteAnswers:
    """What a route answers, besides what its path and handler say."""

    summary: str
    tag: str
    answers: dict[str, dict]  # the successful answers (and redirects), by status
    errors: tuple[str, ...] = ()  # the catalogue codes it can answer
    query: tuple[tuple[str, str, dict], ...] = ()  # (name, what it is, its schema)
    cookies: tuple[str, ...] = ()
    signed_in: bool = False  # a Bearer token or the browser session
    html_errors: bool = False  # errors are a short page when the request accepts text/html
    json_handler: bool = True  # the route shares JsonHandler's headers and JSON errors
    request_body: dict | None = None


def _json(description: str, schema: dict, **headers: dict) -> dict:
    return {"description": description, "headers": {"X-Request-Id": REQUEST_ID_HEADER, **headers},
            "content": {"application/json": {"schema": schema}}}


def _redirect(description: str) -> dict:
    return {"description": description, "headers": {
        "X-Request-Id": REQUEST_ID_HEADER, "Location": LOCATION_HEADER, "Set-Cookie": SET_COOKIE_HEADER}}


def _page(description: str, **headers: dict) -> dict:
    return {"description": description, "headers": {"X-Request-Id": REQUEST_ID_HEADER, **headers},
            "content": {"text/html": {"schema": {"type": "string"}}}}


_TEXT = {"type": "string"}
_STATUS = {"type": "object", "properties": {"status": {"type": "string"}}, "required": ["status"],
           "additionalProperties": False}

OTHER_ROUTES: dict[tuple[str, str], RouteAnswers] = {
    ("/", "get"): RouteAnswers(
        "The page: sign-up, sign-in, authenticator set-up and the photos", "page",
        {"200": _page("The single page (no build step), with a Content-Security-Policy allowing only its own "
                      "files.")}),
    ("/static/{path}", "get"): RouteAnswers(
        "The page's scripts and styles", "page",
        {"200": {"description": "The file.", "content": {"*/*": {"schema": {"type": "string"}}}},
         "403": {"description": "Not a file of the page.", "content": {"text/html": {"schema": {"type": "string"}}}},
         "404": {"description": "No such file.", "content": {"text/html": {"schema": {"type": "string"}}}}},
        json_handler=False),
    ("/login", "get"): RouteAnswers(
        "Sign in through the hosted UI", "hosted UI",
        {"302": _redirect("To the hosted UI's `/oauth2/authorize` (PKCE S256, `state`, `nonce`); the state "
                          f"travels in `{OAUTH_STATE_COOKIE}`.")},
        errors=("InvalidRequest", "InvalidNext", "InvalidProvider", "HostedUiOff"),
        query=(("provider", "An identity provider configured on the app client, e.g. `LoginWithAmazon`: go "
                            "straight to it.", {"type": "string", "pattern": PROVIDER.pattern}),
               ("next", "A path of this site to land on afterwards (default `/`); never an absolute URL.", _TEXT)),
        html_errors=True),
    ("/callback", "get"): RouteAnswers(
        "Where the hosted UI sends the browser back", "hosted UI",
        {"302": _redirect("Signed in: the session and refresh cookies are set; on to `next`.")},
        errors=("InvalidRequest", "SignInStateMismatch", "SignInFailed", "InvalidToken", "TokenExpired",
                "HostedUiOff", *COGNITO_TROUBLE),
        query=(("code", "The authorization code.", _TEXT), ("state", "The state `/login` sent.", _TEXT),
               ("error", "The hosted UI's refusal, if it refused.", _TEXT),
               ("error_description", "Its explanation (not shown).", _TEXT)),
        cookies=(OAUTH_STATE_COOKIE,), html_errors=True),
    ("/logout", "get"): RouteAnswers(
        "Sign out, here and at the hosted UI", "hosted UI",
        {"302": _redirect("The refresh token is revoked, both cookies cleared; on to the hosted UI's `/logout`."),
         "200": _page("Arrived from another site (without the Strict refresh cookie): a page that comes "
                      "straight back to `/logout?again=1` with it.")},
        errors=("InvalidRequest", "HostedUiOff"),
        query=(("again", "Set by the page that brings the refresh cookie along.", _TEXT),),
        cookies=(REFRESH_COOKIE, BROWSER_SESSION_COOKIE), html_errors=True),
    ("/me", "get"): RouteAnswers(
        "Who is signed in, for the page", "hosted UI",
        {"200": _json("`signed_in`, and when someone is: their email, nickname and groups.", {
            "type": "object",
            "properties": {"signed_in": {"type": "boolean"}, "email": {"type": ["string", "null"]},
                           "nickname": {"type": ["string", "null"]},
                           "groups": {"type": "array", "items": {"type": "string"}}},
            "required": ["signed_in"], "additionalProperties": False},
            **{"Set-Cookie": SET_COOKIE_HEADER})},
        errors=("InvalidToken", "TokenExpired", *COGNITO_TROUBLE),
        cookies=(REFRESH_COOKIE, BROWSER_SESSION_COOKIE), html_errors=True),
    ("/healthz", "get"): RouteAnswers(
        "Liveness", "health", {"200": _json("The process answers.", _STATUS)}),
    ("/readyz", "get"): RouteAnswers(
        "Readiness: configured, not stopping, and Cognito answers", "health",
        {"200": _json("Ready.", _STATUS)}, errors=("Stopping", "CognitoUnavailable")),
    ("/openapi.json", "get"): RouteAnswers(
        "This document", "documents", {"200": _json("The OpenAPI document.", {"type": "object"})}),
    ("/photos", "get"): RouteAnswers(
        "The caller's photos, newest first", "photos",
        {"200": _json("The photos.", {"type": "object", "properties": {"photos": {"type": "array",
                                                                                  "items": _ref("Photo")}},
                                      "required": ["photos"], "additionalProperties": False})},
        errors=(*CALLER_CHECK, *COGNITO_TROUBLE, "StorageUnavailable"), signed_in=True),
    ("/photos", "post"): RouteAnswers(
        "Upload a photo", "photos",
        {"201": _json("Stored, with its thumbnail.", {"type": "object", "properties": {"photo": _ref("Photo")},
                                                      "required": ["photo"], "additionalProperties": False})},
        errors=("InvalidRequest", "MissingField", "InvalidField", "NotAnImage", "PhotoTooLarge", *CALLER_CHECK,
                *COGNITO_TROUBLE, "StorageUnavailable"),
        signed_in=True,
        request_body={"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object",
            "properties": {
                "photo": {"type": "string", "format": "binary",
                          "description": "A JPEG, PNG, GIF or WebP picture (checked by decoding it, whatever its "
                                         f"name or stated type), at most {MAX_PHOTO_BYTES // 2 ** 20} MiB and "
                                         f"{MAX_PIXELS:,} pixels."},
                "description": {"type": "string", "maxLength": MAX_DESCRIPTION_CHARACTERS,
                                "description": "Plain text: no control characters but line breaks and tabs."},
            },
            "required": ["photo"],
        }}}}),
    ("/photos/{photo_id}", "delete"): RouteAnswers(
        "Delete a photo: its bytes, then its record", "photos",
        {"200": _json("Deleted.", {"type": "object", "maxProperties": 0})},
        errors=(*CALLER_CHECK, *COGNITO_TROUBLE, "PhotoNotFound", "StorageUnavailable"), signed_in=True),
    ("/photos/{photo_id}/{kind}", "get"): RouteAnswers(
        "A photo's bytes, as uploaded, or its thumbnail", "photos",
        {"200": {"description": "The picture.", "headers": {"X-Request-Id": REQUEST_ID_HEADER},
                 "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}}}},
        errors=(*CALLER_CHECK, *COGNITO_TROUBLE, "PhotoNotFound", "StorageUnavailable"), signed_in=True),
}


def _photo_schema() -> dict:
    return {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "description": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "image_url": {"type": "string"},
            "thumbnail_url": {"type": "string"},
            "content_type": {"type": "string"},
            "width": {"type": "integer"},
            "height": {"type": "integer"},
            "size": {"type": "integer"},
        },
        "required": ["id", "description", "created_at", "image_url", "thumbnail_url", "content_type",
                     "width", "height", "size"],
        "additionalProperties": False,
    }


def _cookie_parameters(*names: str) -> list[dict]:
    return [{"name": name, "in": "cookie", "required": False, "schema": {"type": "string"},
             "description": "Set by this server (signed); a browser sends it back by itself."} for name in names]


@dataclasses.dataclass(frozen=True)
class Route:
    """One route of the application: its OpenAPI path, its path parameters, its handler."""

    path: str
    parameters: tuple[dict, ...]
    handler: type


def _path_parameter(name: str, group: str) -> dict:
    if re.fullmatch(r"[\w-]+(\|[\w-]+)+", group):
        schema: dict[str, Any] = {"type": "string", "enum": group.split("|")}
    elif group == ".*":
        schema = {"type": "string"}
    else:
        schema = {"type": "string", "pattern": f"^(?:{group})$"}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _handler_methods(handler: type) -> list[str]:
    return [m for m in _LISTED_METHODS
            if getattr(handler, m) is not getattr(tornado.web.RequestHandler, m)]


def routes_of(application: tornado.web.Application) -> Iterator[Route]:
    """The application's routes whose path can be written as an OpenAPI path (no nested groups)."""
    for rule in application.wildcard_router.rules:
        pattern = rule.matcher.regex.pattern.removeprefix("^").removesuffix("$")
        groups = re.findall(r"\(([^()]*)\)", pattern)
        if pattern.count("(") != len(groups) or not isinstance(rule.target, type):
            continue
        handler = rule.target
        methods = _handler_methods(handler)
        if not methods:
            continue
        # Path parameters are named as the handler's own arguments (``photo_id``, ``kind``).
        arguments = list(inspect.signature(getattr(handler, methods[0])).parameters)[1:1 + len(groups)]
        names = [*arguments, *(f"part{i}" for i in range(len(arguments), len(groups)))]
        pieces = re.split(r"\([^()]*\)", pattern)
        path = tornado.util.re_unescape(pieces[0]) + "".join(
            f"{{{name}}}" + tornado.util.re_unescape(piece) for name, piece in zip(names, pieces[1:]))
        yield Route(path, tuple(_path_parameter(n, g) for n, g in zip(names, groups)), handler)


def _own_docstring(thing: Any) -> str:
    """The docstring written on ``thing`` itself: one inherited from a base class (which
    ``inspect.getdoc`` would give) speaks of that class, not of this route."""
    doc = vars(thing).get("__doc__") if isinstance(thing, type) else getattr(thing, "__doc__", None)
    return inspect.cleandoc(doc) if doc else ""


def _route_operation(route: Route, method: str) -> dict:
    handler = route.handler
    described = OTHER_ROUTES.get((route.path, method))
    docstring = _own_docstring(getattr(handler, method)) or _own_docstring(handler)
    if described is None:
        # A route nobody described yet: listed all the same, with its answers left open.
        return {"summary": docstring.splitlines()[0] if docstring else route.path,
                "parameters": list(route.parameters),
                "responses": {"2XX": {"description": "Done."}, "4XX": {"description": "Refused."},
                              "5XX": {"description": "Failed."}}}
    parameters = [*route.parameters,
                  *({"name": name, "in": "query", "required": False, "schema": schema, "description": text}
                    for name, text, schema in described.query),
                  *_cookie_parameters(*described.cookies)]
    errors = list(described.errors)
    if described.json_handler and "InternalError" not in errors:
        errors.append("InternalError")  # the last resort of every JSON route
    operation: dict[str, Any] = {
        "tags": [described.tag],
        "summary": described.summary,
        **({"description": docstring} if docstring else {}),
        "parameters": parameters,
        "responses": {**described.answers,
                      **_error_answers(errors, described.html_errors,
                                       no_route=described.json_handler and bool(route.parameters))},
    }
    if described.request_body is not None:
        operation["requestBody"] = described.request_body
    if described.signed_in:
        operation["security"] = [{"bearer": []}, {"browserSession": []}]
    return operation


# --- the document -------------------------------------------------------------------------------

def build_document(application: tornado.web.Application, title: str) -> dict:
    """The OpenAPI document of ``application``'s routes and the registry's methods."""
    paths: dict[str, dict] = {}
    for route in routes_of(application):
        for method in _handler_methods(route.handler):
            if (route.path, method) == ("/", "post"):
                operation = _endpoint_operation()
            else:
                operation = _route_operation(route, method)
            paths.setdefault(route.path, {})[method] = operation
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": title,
            "version": DOCUMENT_VERSION,
            "description": "Amazon Cognito sign-in behind one JSON endpoint (`POST /`, in the tutorial's "
                           "envelope or JSON-RPC 2.0), hosted-UI sign-in for browsers, and a photos API. "
                           "Every JSON answer carries `X-Request-Id` and `Cache-Control: no-store`; an "
                           "HTTP method a route does not take is 405 `MethodNotAllowed`, a path that is "
                           "no route 404 `UnknownMethod`.",
        },
        "tags": [{"name": "methods"}, {"name": "hosted UI"}, {"name": "photos"}, {"name": "page"},
                 {"name": "health"}, {"name": "documents"}],
        "paths": paths,
        "components": {
            "schemas": {**_endpoint_schemas(), **_catalogue_schemas(), "Photo": _photo_schema()},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                           "description": "The access token `signIn` answers."},
                "browserSession": {"type": "apiKey", "in": "cookie", "name": BROWSER_SESSION_COOKIE,
                                   "description": "The hosted-UI session, from this site's own pages only."},
            },
        },
    }

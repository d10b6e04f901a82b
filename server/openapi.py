"""The document ``GET /openapi.json`` serves: this server's HTTP surface as OpenAPI 3.1, assembled
from the code. Nothing here describes a route; it gathers what the code says:

- The routes come from the application's route table: paths, path parameters (named as their
  handler's arguments), HTTP methods, docstrings, and what each handler declares beside its code (its
  ``openapi``: an ``Operation`` per HTTP method, see ``server.route_description``). A route that
  declares nothing is still listed, loosely.
- ``POST /``'s request bodies come from the method registry: each method (its fields, their JSON
  types, which are required and which may be null, the extra fields it takes) becomes a request
  schema for each envelope, the tutorial's ``{"env": ...}`` and JSON-RPC 2.0.
- Error answers come from the error catalogue: one response per HTTP status with the codes of that
  status a route declares.

``handlers.documents`` builds the document at its first request and keeps it for the application's
lifetime.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from typing import Any, Iterator

import tornado.routing
import tornado.util
import tornado.web

from server.browser_session import BROWSER_SESSION_COOKIE
from server.endpoint import JsonHandler
from server.errors import CATALOGUE
from server.registry import METHODS, Method
from server.route_description import RETRY_AFTER_HEADER, Operation, ref

OPENAPI_VERSION = "3.1.0"
DOCUMENT_VERSION = "1"

# HTTP methods a route is listed with. HEAD repeats GET, and OPTIONS is the CORS preflight every
# JSON route answers alike: neither adds anything a client needs to read.
_LISTED_METHODS = ("get", "post", "put", "patch", "delete")
# A path whose parameters match no route is answered by the application's default handler.
NO_ROUTE = (404, "UnknownMethod")


# --- POST /: the methods of the registry (their fields' schemas are the registry's) ------------


def _method_description(method: Method) -> str:
    first = next(name for name, other in METHODS.items() if other.handler is method.handler)
    if first != method.name:
        return f"Another name for `{first}`."
    return inspect.getdoc(method.handler) or ""


def _env_schema(method: Method) -> dict:
    schema = method.by_name_schema()
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
            "params": {"oneOf": [method.by_name_schema(), method.positional_schema()]},
            "id": ref("RpcId"),
        },
        "required": ["jsonrpc", "method"],
        "additionalProperties": False,
    }


def _method_line(method: Method) -> str:
    """``- `name` (fields): the first paragraph of its docstring``, for the list of methods."""
    fields = ", ".join(f"`{f.name}`" if f.required else f"*`{f.name}`*" for f in method.fields)
    extra = ", other fields" if method.extra_type is not None else ""
    summary = " ".join(_method_description(method).split("\n\n")[0].split())
    return f"- `{method.name}` ({fields or 'no fields'}{extra})" + (f": {summary}" if summary else "")


def _registry_schemas() -> dict[str, dict]:
    """Each method's request in each envelope, and either envelope as one of them."""
    schemas: dict[str, dict] = {}
    for name, method in METHODS.items():
        schemas[f"env.{name}"] = _env_schema(method)
        schemas[f"rpc.{name}"] = _rpc_schema(method)
    schemas["EnvRequest"] = {
        "description": "The tutorial's envelope: `env` names the method, the other members are its fields.",
        "oneOf": [ref(f"env.{name}") for name in METHODS],
        "discriminator": {
            "propertyName": "env",
            "mapping": {name: f"#/components/schemas/env.{name}" for name in METHODS},
        },
    }
    schemas["RpcRequest"] = {
        "description": "A JSON-RPC 2.0 request; without `id` it is a notification, which gets no answer.",
        "oneOf": [ref(f"rpc.{name}") for name in METHODS],
        "discriminator": {
            "propertyName": "method",
            "mapping": {name: f"#/components/schemas/rpc.{name}" for name in METHODS},
        },
    }
    return schemas


# --- error answers, from the error catalogue ---------------------------------------------------


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


def _error_answers(codes: list[str], headers: dict, html: bool = False, no_route: bool = False) -> dict[str, dict]:
    """One response per status the codes carry, with ``headers`` (those every answer of the handler
    carries); JSON, or also a short page for browsers. With ``no_route``, path parameters that match
    no route are answered 404 ``UnknownMethod``."""
    answers = {}
    statuses = _by_status(codes)
    if no_route:
        statuses.setdefault(NO_ROUTE[0], []).append(NO_ROUTE[1])
    for status, status_codes in sorted(statuses.items()):
        status_headers = {**headers, **({"Retry-After": RETRY_AFTER_HEADER} if status == 429 else {})}
        content = {"application/json": {"schema": _error_schema(status_codes, status >= 500)}}
        if html:
            content["text/html"] = {"schema": {"type": "string"}}
        description = _code_list([c for c in status_codes if (status, c) != NO_ROUTE])
        if no_route and status == NO_ROUTE[0]:
            description += f"\n- `{NO_ROUTE[1]}`: there is no route at this address."
        answers[str(status)] = {"description": description.strip(), "headers": status_headers, "content": content}
    return answers


def _catalogue_schemas() -> dict[str, dict]:
    return {
        "ErrorCode": {
            "type": "string",
            "enum": list(CATALOGUE),
            "description": "\n".join(f"- `{code}` ({kind.status}): {kind.message}" for code, kind in CATALOGUE.items()),
        },
        "Error": _error_schema(list(CATALOGUE), with_request_id=False),
    }


# --- the routes ---------------------------------------------------------------------------------


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
    return [m for m in _LISTED_METHODS if getattr(handler, m) is not getattr(tornado.web.RequestHandler, m)]


def routes_of(application: tornado.web.Application) -> Iterator[Route]:
    """The application's routes whose path can be written as an OpenAPI path (no nested groups)."""
    for rule in application.wildcard_router.rules:
        if not isinstance(rule.matcher, tornado.routing.PathMatches):
            continue
        pattern = rule.matcher.regex.pattern.removeprefix("^").removesuffix("$")
        groups = re.findall(r"\(([^()]*)\)", pattern)
        if pattern.count("(") != len(groups) or not isinstance(rule.target, type):
            continue
        handler = rule.target
        methods = _handler_methods(handler)
        if not methods:
            continue
        # Path parameters are named as the handler's own arguments (``photo_id``, ``kind``).
        arguments = list(inspect.signature(getattr(handler, methods[0])).parameters)[1 : 1 + len(groups)]
        names = [*arguments, *(f"part{i}" for i in range(len(arguments), len(groups)))]
        pieces = re.split(r"\([^()]*\)", pattern)
        path = tornado.util.re_unescape(pieces[0]) + "".join(
            f"{{{name}}}" + tornado.util.re_unescape(piece) for name, piece in zip(names, pieces[1:])
        )
        yield Route(path, tuple(_path_parameter(n, g) for n, g in zip(names, groups)), handler)


def _own_docstring(thing: Any) -> str:
    """The docstring written on ``thing`` itself: one inherited from a base class (which
    ``inspect.getdoc`` would give) speaks of that class, not of this route."""
    doc = vars(thing).get("__doc__") if isinstance(thing, type) else getattr(thing, "__doc__", None)
    return inspect.cleandoc(doc) if doc else ""


def _declared(handler: type, method: str) -> Operation | None:
    """The ``Operation`` the handler, or the nearest of its bases, declares for ``method``."""
    for klass in handler.__mro__:
        operation = vars(klass).get("openapi", {}).get(method)
        if operation is not None:
            return operation
    return None


def _cookie_parameters(*names: str) -> list[dict]:
    return [
        {
            "name": name,
            "in": "cookie",
            "required": False,
            "schema": {"type": "string"},
            "description": "Set by this server (signed); a browser sends it back by itself.",
        }
        for name in names
    ]


def _with_headers(answer: dict, headers: dict) -> dict:
    """``answer`` with ``headers`` (those every answer of its handler carries) before its own."""
    if not headers:
        return answer
    return {
        "description": answer["description"],
        "headers": {**headers, **answer.get("headers", {})},
        **{key: value for key, value in answer.items() if key not in ("description", "headers")},
    }


def _operation(route: Route, method: str) -> dict:
    handler = route.handler
    described = _declared(handler, method)
    docstring = _own_docstring(getattr(handler, method)) or _own_docstring(handler)
    if described is None:
        # A route nobody described yet: listed all the same, with its answers left open.
        return {
            "summary": docstring.splitlines()[0] if docstring else route.path,
            "parameters": list(route.parameters),
            "responses": {
                "2XX": {"description": "Done."},
                "4XX": {"description": "Refused."},
                "5XX": {"description": "Failed."},
            },
        }
    # A JsonHandler answers whatever fails as JSON (InternalError at worst), and path parameters
    # that match no route with its 404.
    json_route = issubclass(handler, JsonHandler)
    headers = getattr(handler, "openapi_headers", {})
    parameters = [
        *route.parameters,
        *(
            {"name": name, "in": "query", "required": False, "schema": schema, "description": text}
            for name, text, schema in described.query
        ),
        *_cookie_parameters(*described.cookies),
    ]
    errors = list(described.errors)
    if json_route and "InternalError" not in errors:
        errors.append("InternalError")
    description = docstring if described.description is None else described.description
    if described.calls_methods:
        description += "\n\nMethods (optional fields in italics):\n\n" + "\n".join(
            _method_line(m) for m in METHODS.values()
        )
    operation: dict[str, Any] = {
        **({"operationId": described.operation_id} if described.operation_id else {}),
        "tags": [described.tag],
        "summary": described.summary,
        **({"description": description} if description else {}),
        "parameters": parameters,
        **({"requestBody": described.request_body} if described.request_body is not None else {}),
        "responses": {
            **{status: _with_headers(answer, headers) for status, answer in described.answers.items()},
            **_error_answers(errors, headers, described.html_errors, no_route=json_route and bool(route.parameters)),
        },
    }
    if described.signed_in:
        operation["security"] = [{"bearer": []}, {"browserSession": []}]
    return operation


def _route_methods(application: tornado.web.Application) -> Iterator[tuple[Route, str]]:
    """Each route of the application with each HTTP method it is listed with."""
    for route in routes_of(application):
        for method in _handler_methods(route.handler):
            yield route, method


def described_operations(application: tornado.web.Application) -> list[tuple[str, str]]:
    """(path, HTTP method) of each operation of the application that declares what it answers."""
    return [
        (route.path, method)
        for route, method in _route_methods(application)
        if _declared(route.handler, method) is not None
    ]


def _declared_schemas(application: tornado.web.Application) -> dict[str, dict]:
    """The schemas the routes' operations refer to, by name; one name, one schema."""
    schemas: dict[str, dict] = {}
    for route, method in _route_methods(application):
        described = _declared(route.handler, method)
        for name, schema in (described.schemas if described else {}).items():
            if schemas.setdefault(name, schema) != schema:
                raise ValueError(f"two different schemas are named {name!r}")
    return schemas


# --- the document -------------------------------------------------------------------------------


def build_document(application: tornado.web.Application, title: str) -> dict:
    """The OpenAPI document of ``application``'s routes and the registry's methods."""
    paths: dict[str, dict] = {}
    for route, method in _route_methods(application):
        paths.setdefault(route.path, {})[method] = _operation(route, method)
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
        "tags": [
            {"name": "methods"},
            {"name": "hosted UI"},
            {"name": "photos"},
            {"name": "page"},
            {"name": "health"},
            {"name": "documents"},
        ],
        "paths": paths,
        "components": {
            "schemas": {**_registry_schemas(), **_declared_schemas(application), **_catalogue_schemas()},
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "The access token `signIn` answers.",
                },
                "browserSession": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": BROWSER_SESSION_COOKIE,
                    "description": "The hosted-UI session, from this site's own pages only.",
                },
            },
        },
    }

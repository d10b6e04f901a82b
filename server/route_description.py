"""How a route describes itself for ``/openapi.json``, beside the code that answers.

Each handler class declares what its HTTP methods answer in a class attribute, ``openapi``: an
``Operation`` per HTTP method (``{"get": Operation(...)}``), with what the code cannot say by itself:
a summary, a tag, the successful answers, the catalogue codes of its errors, query parameters,
cookies, a request body and the schemas it refers to. For a method it declares nothing of, a handler
has its nearest base's description. ``server.openapi`` walks the application's route table, reads
these, and adds what the code does say: paths, path parameters, docstrings, the error answers of
each code, and the headers every answer of the handler carries (its ``openapi_headers``).

Also here: the pieces several routes' descriptions share.
"""

from __future__ import annotations

import dataclasses

from server.browser_session import BROWSER_SESSION_COOKIE
from server.refresh_cookie import REFRESH_COOKIE

# Any call to Cognito, or to the pool's JWKS, can end in one of these.
COGNITO_TROUBLE = ("TooManyRequests", "CognitoUnavailable", "CognitoTimeout", "CognitoError")

RETRY_AFTER_HEADER = {
    "description": "Seconds to wait before trying again.",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}
SET_COOKIE_HEADER = {
    "description": f"`{REFRESH_COOKIE}` (the refresh token) and `{BROWSER_SESSION_COOKIE}` (the hosted-UI "
    "session): set, renewed or cleared. HttpOnly, Secure, never readable by page scripts.",
    "schema": {"type": "string"},
}


@dataclasses.dataclass(frozen=True)
class Operation:
    """What one HTTP method of a route answers, besides what its path, handler and docstring say."""

    summary: str
    tag: str
    answers: dict[str, dict]  # the successful answers (and redirects), by status
    errors: tuple[str, ...] = ()  # the catalogue codes it can answer
    query: tuple[tuple[str, str, dict], ...] = ()  # (name, what it is, its schema)
    cookies: tuple[str, ...] = ()  # the cookies it reads
    signed_in: bool = False  # a Bearer token or the browser session
    html_errors: bool = False  # errors are a short page when the request accepts text/html
    request_body: dict | None = None
    schemas: dict[str, dict] = dataclasses.field(default_factory=dict)  # the components it refers to
    operation_id: str | None = None
    description: str | None = None  # instead of the handler's docstring
    # Its request body calls one of the registry's methods: the document lists them after the
    # description and gives each its request schemas.
    calls_methods: bool = False


def ref(name: str) -> dict:
    """A reference to the schema ``name`` of the document's components."""
    return {"$ref": f"#/components/schemas/{name}"}


def json_answer(description: str, schema: dict, headers: dict | None = None) -> dict:
    return {"description": description, "headers": headers or {}, "content": {"application/json": {"schema": schema}}}


def page_answer(description: str) -> dict:
    return {"description": description, "headers": {}, "content": {"text/html": {"schema": {"type": "string"}}}}

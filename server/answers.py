"""What a route answers before it becomes HTTP: an ``Answer`` (status, JSON body, Retry-After, and
the method that ran, for the access log), and ``error_body``, the JSON every error is answered with.

The dispatcher behind ``POST /`` and every other JSON route make these; ``server.endpoint`` is the
one place that writes them as HTTP.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from server.errors import ApiError


@dataclasses.dataclass
class Answer:
    status: int
    body: Any  # None: no body at all
    retry_after: int | None = None
    method: str | None = None  # for the access log: which method ran (never the body)


def error_body(error: ApiError, request_id: str) -> dict:
    """``{"message", "error"}``, the field the error is about when there is one, and the request id
    of a server-side failure, to find it in the log."""
    body = {"message": error.message, "error": error.code}
    if error.field is not None:
        body["field"] = error.field  # so a form can point at the field
    if error.status >= 500:
        body["request_id"] = request_id
    return body

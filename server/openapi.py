"""``GET /openapi.json``: the HTTP surface described as OpenAPI (placeholder)."""

from __future__ import annotations

from server.dispatch import Answer
from server.endpoint import JsonHandler


class OpenApiHandler(JsonHandler):
    allowed_methods = "GET"

    def get(self) -> None:
        self.write_answer(Answer(200, {"openapi": "3.1.0"}))


ROUTES = [(r"/openapi.json", OpenApiHandler)]

"""``GET /openapi.json``: this server's HTTP surface as an OpenAPI 3.1 document, which
``server.openapi`` assembles from the route table, the method registry and the error catalogue."""

from __future__ import annotations

import json

from server import openapi
from server.endpoint import JsonHandler
from server.route_description import Operation, json_answer


class OpenApiHandler(JsonHandler):
    """The document, as JSON."""

    allowed_methods = "GET"
    openapi = {
        "get": Operation(
            "This document", "documents", {"200": json_answer("The OpenAPI document.", {"type": "object"})}
        )
    }

    def get(self) -> None:
        # Built once per application: its routes and the registry do not change while it serves.
        if self.application.openapi_document is None:
            self.application.openapi_document = json.dumps(
                openapi.build_document(self.application, self.services.config.app_name)
            ).encode()
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(self.application.openapi_document)


ROUTES = [(r"/openapi.json", OpenApiHandler)]

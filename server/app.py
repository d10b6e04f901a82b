"""The application factory: routes, settings and the access log, over the shared services; and
the count of requests in flight, so a stopping server lets them finish."""

from __future__ import annotations

import asyncio
import logging
import time

import tornado.web

import handlers  # noqa: F401  (fills the method registry)
from handlers import documents, health, hosted_ui, page, photos
from server.endpoint import NotFoundHandler
from server.services import Services

access_log = logging.getLogger("server.access")


def log_request(handler: tornado.web.RequestHandler) -> None:
    """One line per request: method name (never the body), status, duration, request id. The path
    is logged without its query string, which can hold an authorization code (/callback)."""
    request = handler.request
    fields = {"http_method": request.method, "path": request.path,
              "rpc": getattr(handler, "method_name", None) or "-", "status": handler.get_status(),
              "duration_ms": round(1000.0 * request.request_time(), 1),
              "request_id": getattr(handler, "request_id", "-")}
    access_log.info("%(http_method)s %(path)s %(rpc)s %(status)d %(duration_ms).1fms request_id=%(request_id)s",
                    fields, extra=fields)


class ServerApplication(tornado.web.Application):
    """The app, with the connections whose request is being answered (JsonHandler adds its
    connection when it starts and removes it when it has answered or the connection has closed),
    and the OpenAPI document once it is built."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.busy_connections: set = set()
        self.openapi_document: bytes | None = None
        # The /readyz check running now, or the last one (handlers/health.py): a problem's code, or None.
        self.cognito_check: asyncio.Future[str | None] | None = None

    async def requests_finished(self, timeout: float) -> bool:  # noqa: ASYNC109 (polls; no single await to bound)
        """Wait until no request is in flight; False if some still were after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while self.busy_connections:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.05)
        return True


def make_app(services: Services) -> ServerApplication:
    return ServerApplication(
        [(r"/", page.PageHandler, {"services": services}),
         *((path, handler, {"services": services})
           for path, handler in hosted_ui.ROUTES + photos.ROUTES + health.ROUTES + documents.ROUTES),
         *page.ROUTES],
        default_handler_class=NotFoundHandler,
        default_handler_args={"services": services},
        log_function=log_request,
        xsrf_cookies=False,
        services=services,
    )

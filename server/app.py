"""The application factory: routes, settings and the access log, over the shared services; the
count of requests in flight, so a stopping server lets them finish; and each request's numbers for
/metrics (``server.metrics``), counted under its route's pattern."""

from __future__ import annotations

import asyncio
import logging
import time

import tornado.web

import handlers  # noqa: F401  (fills the method registry)
from handlers import documents, health, hosted_ui, page, photos
from handlers import metrics as metrics_route
from server import openapi
from server.endpoint import NotFoundHandler
from server.metrics import NO_ROUTE, Instruments, instruments
from server.services import Services

access_log = logging.getLogger("server.access")


def log_request(handler: tornado.web.RequestHandler) -> None:
    """One line per request: method name (never the body), status, duration, request id. The path
    is logged without its query string, which can hold an authorization code (/callback). Scrapes of
    /metrics are counted but not logged: one every few seconds would bury the requests that matter."""
    request = handler.request
    application = handler.application
    assert isinstance(application, ServerApplication)  # the only application that logs with this function
    if application.metrics is not None:
        application.metrics.request_answered(
            application.route_names.get(type(handler), NO_ROUTE),
            request.method,
            handler.get_status(),
            request.request_time(),
        )
    if isinstance(handler, metrics_route.MetricsHandler):
        return
    fields = {
        "http_method": request.method,
        "path": request.path,
        "rpc": getattr(handler, "method_name", None) or "-",
        "status": handler.get_status(),
        "duration_ms": round(1000.0 * request.request_time(), 1),
        "request_id": getattr(handler, "request_id", "-"),
    }
    access_log.info(
        "%(http_method)s %(path)s %(rpc)s %(status)d %(duration_ms).1fms request_id=%(request_id)s",
        fields,
        extra=fields,
    )


class ServerApplication(tornado.web.Application):
    """The app, with the connections whose request is being answered (JsonHandler adds its
    connection when it starts and removes it when it has answered or the connection has closed),
    and the OpenAPI document once it is built."""

    def __init__(self, *args, metrics: Instruments | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.busy_connections: set = set()
        self.openapi_document: bytes | None = None
        # The /readyz check running now, or the last one (handlers/health.py): a problem's code, or None.
        self.cognito_check: asyncio.Future[str | None] | None = None
        self.storage_check: asyncio.Future[str | None] | None = None  # the same for the photo records' store
        self.metrics = metrics
        # Each handler's route as /metrics names it: the pattern, never a path with its ids.
        self.route_names = {route.handler: route.path for route in reversed(list(openapi.routes_of(self)))}

    def request_began(self, connection) -> None:
        if connection not in self.busy_connections:
            self.busy_connections.add(connection)
            if self.metrics is not None:
                self.metrics.in_flight.inc()

    def request_ended(self, connection) -> None:
        if connection in self.busy_connections:
            self.busy_connections.discard(connection)
            if self.metrics is not None:
                self.metrics.in_flight.dec()

    async def requests_finished(self, timeout: float) -> bool:  # noqa: ASYNC109 (polls; no single await to bound)
        """Wait until no request is in flight; False if some still were after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while self.busy_connections:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.05)
        return True


def make_app(services: Services | None) -> ServerApplication:
    """The application; ``services`` None only to read its routes (the OpenAPI tests)."""
    config = services.config if services is not None else None
    # /metrics is served here unless it is off or has a port of its own (``metrics_app``).
    metrics_here = config is None or (config.metrics and config.metrics_port is None)
    return ServerApplication(
        [
            (r"/", page.PageHandler, {"services": services}),
            *(
                (path, handler, {"services": services})
                for path, handler in hosted_ui.ROUTES
                + photos.ROUTES
                + health.ROUTES
                + documents.ROUTES
                + (metrics_route.ROUTES if metrics_here else [])
            ),
            *page.ROUTES,
        ],
        default_handler_class=NotFoundHandler,
        default_handler_args={"services": services},
        log_function=log_request,
        xsrf_cookies=False,
        services=services,
        metrics=instruments() if config is not None and config.metrics else None,
    )


def metrics_app(services: Services) -> ServerApplication:
    """/metrics alone, for METRICS_PORT: every other path is 404."""
    return ServerApplication(
        [(path, handler, {"services": services}) for path, handler in metrics_route.ROUTES],
        default_handler_class=NotFoundHandler,
        default_handler_args={"services": services},
        log_function=log_request,
        xsrf_cookies=False,
        services=services,
        metrics=instruments(),
    )

"""The application factory: routes, settings and the access log, over the shared services."""

from __future__ import annotations

import logging

import tornado.web

import handlers  # noqa: F401  (fills the method registry)
from handlers import hosted_ui, page, photos
from server import health, openapi
from server.endpoint import NotFoundHandler
from server.services import Services

access_log = logging.getLogger("server.access")


def log_request(handler: tornado.web.RequestHandler) -> None:
    """One line per request: method name (never the body), status, duration, request id."""
    request = handler.request
    access_log.info("%s %s %s %d %.1fms request_id=%s",
                    request.method, request.path, getattr(handler, "method_name", None) or "-",
                    handler.get_status(), 1000.0 * request.request_time(),
                    getattr(handler, "request_id", "-"))


def make_app(services: Services) -> tornado.web.Application:
    return tornado.web.Application(
        [(r"/", page.PageHandler, {"services": services}),
         *((path, handler, {"services": services}) for path, handler in hosted_ui.ROUTES + photos.ROUTES + health.ROUTES
                                                       + openapi.ROUTES),
         *page.ROUTES],
        default_handler_class=NotFoundHandler,
        default_handler_args={"services": services},
        log_function=log_request,
        xsrf_cookies=False,
        services=services,
    )

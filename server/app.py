"""The application factory: routes, shared services, settings and the access log."""

from __future__ import annotations

import dataclasses
import logging

import tornado.web

import handlers  # noqa: F401  (fills the method registry)
from server.cognito import CognitoClient
from server.config import Config
from server.cookies import RefreshCookieCodec, SessionCookies
from server.endpoint import EndpointHandler, NotFoundHandler

access_log = logging.getLogger("server.access")


@dataclasses.dataclass
class Services:
    """What every handler shares: built once per process, handed to handlers by the app."""

    config: Config
    cognito: CognitoClient
    refresh_cookie: RefreshCookieCodec

    def session_cookies(self, cookie_header: str) -> SessionCookies:
        return SessionCookies(self.refresh_cookie, cookie_header)


def log_request(handler: tornado.web.RequestHandler) -> None:
    """One line per request: method name (never the body), status, duration, request id."""
    request = handler.request
    access_log.info("%s %s %s %d %.1fms request_id=%s",
                    request.method, request.path, getattr(handler, "method_name", None) or "-",
                    handler.get_status(), 1000.0 * request.request_time(),
                    getattr(handler, "request_id", "-"))


def make_app(config: Config, cognito: CognitoClient) -> tornado.web.Application:
    services = Services(
        config=config,
        cognito=cognito,
        refresh_cookie=RefreshCookieCodec(config.cookie_secrets, config.refresh_cookie_days),
    )
    return tornado.web.Application(
        [(r"/", EndpointHandler, {"services": services})],
        default_handler_class=NotFoundHandler,
        default_handler_args={"services": services},
        log_function=log_request,
        xsrf_cookies=False,
        services=services,
    )

"""``GET /``: the single page (web/index.html) and its scripts and styles under ``/static/``.

The page is plain HTML and JavaScript with no build step: its script is a set of ES modules
(``web/main.js`` imports the others), served as they are. It talks only to this server: the JSON
endpoint (``POST /``), the hosted-UI routes and the photos API. The headers keep it from being framed
and from running any script that is not one of its own files.
"""

from __future__ import annotations

import tornado.web

from server.endpoint import EndpointHandler, log_exception_without_query
from server.page_identity import PAGE_FILE, WEB_DIR
from server.route_description import Operation, page_answer


# Only the page's own files run; images may also be blob: URLs (photos fetched with the token)
# and data: URLs (the authenticator QR code).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)


def set_page_headers(handler: tornado.web.RequestHandler) -> None:
    handler.set_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    handler.set_header("X-Frame-Options", "DENY")
    handler.set_header("X-Content-Type-Options", "nosniff")
    handler.set_header("Referrer-Policy", "same-origin")


def read_page() -> bytes:
    with open(PAGE_FILE, "rb") as page:
        return page.read()


class PageHandler(EndpointHandler):
    """``/``: the page for GET, the JSON endpoint for POST."""

    allowed_methods = "GET, POST"
    page = read_page()  # read once, at start-up, not on the IOLoop
    openapi = {
        "get": Operation(  # POST is the endpoint's
            "The page: sign-up, sign-in, authenticator set-up and the photos",
            "page",
            {
                "200": page_answer(
                    "The single page (no build step), with a Content-Security-Policy allowing only its own files."
                )
            },
        )
    }

    async def get(self) -> None:
        body = self.page
        set_page_headers(self)
        self.set_header("Cache-Control", "no-cache")
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(body)


class StaticHandler(tornado.web.StaticFileHandler):
    """The page's scripts and styles, revalidated on each load so an update is seen at once."""

    openapi = {
        "get": Operation(
            "The page's scripts and styles",
            "page",
            {
                "200": {"description": "The file.", "content": {"*/*": {"schema": {"type": "string"}}}},
                "403": {
                    "description": "Not a file of the page.",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                },
                "404": {"description": "No such file.", "content": {"text/html": {"schema": {"type": "string"}}}},
            },
        )
    }

    def set_extra_headers(self, path: str) -> None:
        set_page_headers(self)
        self.set_header("Cache-Control", "no-cache")

    def get_content_type(self) -> str:
        # Browsers run a module script only when it is served as JavaScript. Left to the platform's
        # type table, .js can come out as text/plain (on Windows the table is read from the registry).
        if self.absolute_path is not None and self.absolute_path.endswith(".js"):
            return "text/javascript"
        return super().get_content_type()

    def parse_url_path(self, url_path: str) -> str:
        if "\x00" in url_path:  # no file has one, and the file system refuses to look
            raise tornado.web.HTTPError(404)
        return super().parse_url_path(url_path)

    def log_exception(self, typ, value, tb) -> None:
        log_exception_without_query(self, typ, value, tb)


ROUTES = [
    (r"/static/(.*)", StaticHandler, {"path": WEB_DIR}),
]

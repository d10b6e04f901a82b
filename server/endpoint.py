"""``POST /``: the HTTP side of the endpoint, and the one place where an answer becomes HTTP.

It reads the body (any Content-Type; at most 64 KiB, streamed so a larger one is refused with 413
before it is read whole), hands it to the dispatcher, and writes the answer with the refresh cookie,
CORS headers for allowed origins, ``X-Request-Id`` and ``Retry-After``. Whatever goes wrong, the
client gets JSON with a stable code: never a traceback.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import re
import secrets
import urllib.parse
from typing import TYPE_CHECKING, Any, Awaitable, Callable

import tornado.web

from server import tracing
from server.answers import Answer, error_body
from server.browser_session import BROWSER_SESSION_COOKIE
from server.call import Call
from server.dispatch import ENVELOPE_SCHEMAS, dispatch
from server import languages
from server.errors import CATALOGUE, ApiError
from server.refresh_cookie import REFRESH_COOKIE
from server.route_description import RETRY_AFTER_HEADER, SET_COOKIE_HEADER, Operation, json_answer, ref

if TYPE_CHECKING:
    from server.app import ServerApplication

log = logging.getLogger("server.endpoint")

MAX_BODY_BYTES = 64 * 1024
# A request id a proxy sends (nginx's $request_id, a trace id) is kept when it looks like one.
FORWARDED_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,128}")
# The request headers a cross-origin page may send.
ALLOWED_REQUEST_HEADERS = "Authorization, Content-Type, X-Request-Id"
# Codes POST / never answers: those of hosted-UI sign-in, the photos API and readiness, and of an
# HTTP method a route does not take. Every other code of the catalogue can answer it.
NOT_FROM_POST = frozenset(
    {
        "HostedUiOff",
        "InvalidNext",
        "InvalidProvider",
        "SignInStateMismatch",
        "SignInFailed",
        "PhotoNotFound",
        "NotAnImage",
        "PhotoTooLarge",
        "StorageUnavailable",
        "Stopping",
        "MethodNotAllowed",
    }
)


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, as browsers write it in Origin."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _trusted(address: str, proxies: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_address(peer: str, forwarded_for: list[str], proxies: tuple) -> str:
    """Walk X-Forwarded-For from the right (the entries the proxies themselves added) while the
    hop is a trusted proxy; the first other hop is the client. Entries further left were written by
    the client and prove nothing."""
    if not proxies:
        return peer
    hop = peer
    hops = [part.strip() for header in forwarded_for for part in header.split(",")]
    while _trusted(hop, proxies) and hops:
        candidate = hops.pop()
        try:
            hop = str(ipaddress.ip_address(candidate))
        except ValueError:
            break  # a malformed entry: stop at the last hop we can name
    return hop


def log_exception_without_query(handler: tornado.web.RequestHandler, typ, value, tb) -> None:
    """Tornado's own logs name the full URI, and a query string can hold an authorization code
    (/callback): these name the path only, and the request id."""
    request = handler.request
    if isinstance(value, tornado.web.HTTPError):
        if value.log_message:
            log.warning(
                "%d %s %s (request %s)",
                value.status_code,
                request.method,
                request.path,
                getattr(handler, "request_id", "-"),
            )
        return
    log.error(
        "Uncaught exception in %s %s (request %s)",
        request.method,
        request.path,
        getattr(handler, "request_id", "-"),
        exc_info=(typ, value, tb),
    )


def guarded(route_method: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """For a route method of a JsonHandler (``get``, ``post``...): an ApiError it raises becomes the
    answer, as the handler writes errors; anything else reaches write_error. The method keeps its
    name, signature and docstring, which the OpenAPI document reads."""

    @functools.wraps(route_method)
    async def answer_errors(handler: JsonHandler, *args: Any, **kwargs: Any) -> None:
        try:
            await route_method(handler, *args, **kwargs)
        except ApiError as error:
            handler.write_api_error(error)

    return answer_errors


class JsonHandler(tornado.web.RequestHandler):
    """Shared by every JSON route: request id, CORS, and JSON answers for every error."""

    application: ServerApplication  # the app serving it: the requests in flight, the OpenAPI document
    request_id: str
    method_name: str | None = None
    language = languages.DEFAULT_LANGUAGE  # the request's, once ``prepare`` has chosen it
    # What the route answers (and OPTIONS): the Allow header of a 405, and what CORS allows.
    allowed_methods = "POST"
    # The headers every answer carries, as /openapi.json describes them.
    openapi_headers = {
        "X-Request-Id": {
            "description": "This request's id, as in the server's log. A proxy's own id is kept when it looks like one.",
            "required": True,
            "schema": {"type": "string", "pattern": "^" + FORWARDED_REQUEST_ID.pattern + "$"},
        }
    }

    def initialize(self, services: Any) -> None:
        self.services = services

    def prepare(self) -> None:
        self.application.request_began(self.request.connection)  # a stopping server waits for it
        forwarded = self.request.headers.get("X-Request-Id", "")
        self.request_id = forwarded if FORWARDED_REQUEST_ID.fullmatch(forwarded) else secrets.token_hex(16)
        if tracing.tracer is not None:
            tracing.note_request_id(self.request_id)
        # The language of every error's sentence in this request's answer (server/languages.py).
        self.language = languages.choose(
            self.request.headers.get("Accept-Language"), self.get_cookie(languages.LANGUAGE_COOKIE)
        )
        languages.use(self.language)
        self._common_headers()

    def on_finish(self) -> None:
        self.application.request_ended(self.request.connection)

    def on_connection_close(self) -> None:
        self.application.request_ended(self.request.connection)
        super().on_connection_close()

    def client_address(self) -> str:
        """The caller's address. X-Forwarded-For counts only when the peer is a trusted proxy: the
        address is then the last one in it that is not itself a trusted proxy."""
        return client_address(
            self.request.remote_ip or "",
            self.request.headers.get_list("X-Forwarded-For"),
            self.services.config.trusted_proxies,
        )

    def _common_headers(self) -> None:
        self.set_header("X-Request-Id", self.request_id)
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self._cors_headers()

    def _cors_headers(self) -> None:
        self.set_header("Vary", "Origin")
        origin = self.request.headers.get("Origin")
        if origin and origin.rstrip("/") in self.services.config.allowed_origins:
            self.set_header("Access-Control-Allow-Origin", origin)
            self.set_header("Access-Control-Allow-Credentials", "true")

    def options(self, *args: Any) -> None:
        """CORS preflight: allowed origins get the methods and headers they may use."""
        if self._headers.get("Access-Control-Allow-Origin"):
            self.set_header("Access-Control-Allow-Methods", f"{self.allowed_methods}, OPTIONS")
            self.set_header("Access-Control-Allow-Headers", ALLOWED_REQUEST_HEADERS)
            self.set_header("Access-Control-Max-Age", "600")
        self.set_status(204)
        self.finish()

    def trusted_origin(self) -> bool:
        """Whether the request comes from this site's own pages, an allowed origin, or no page at all.

        Browsers name the page that sends a request: Origin (on every POST, and on cross-origin
        fetches) and Sec-Fetch-Site (on every request, in browsers since 2020-2023). A page of
        another origin on the same host (another port, a sibling subdomain) is the same *site*, so
        the Strict cookies go with its requests; only the origin tells it apart. So an Origin that is
        this site's (``BASE_URL``'s) or in ``ALLOWED_ORIGINS`` is trusted; otherwise Sec-Fetch-Site
        decides, and only ``same-origin`` (and ``none``: the person typed the address) is this site:
        ``same-site`` is exactly the page on another port. An older browser without Sec-Fetch-Site is
        judged by Origin alone: this site's, or, without ``BASE_URL``, one naming the host the
        request was sent to. A request with neither header is not from a page (curl, Postman, a
        server), which cannot carry a person's cookies without having them."""
        config = self.services.config
        origin = self.request.headers.get("Origin")
        own = origin_of(config.base_url) if config.base_url else None
        if origin is not None and (origin.rstrip("/") in config.allowed_origins or origin == own):
            return True
        site = self.request.headers.get("Sec-Fetch-Site")
        if site is not None:
            return site in ("same-origin", "none")
        if origin is not None:
            return own is None and urllib.parse.urlsplit(origin).netloc.lower() == self.request.host.lower()
        return True

    def new_call(self) -> Call:
        cookie_header = ";".join(self.request.headers.get_list("Cookie"))
        refresh_cookie = self.services.refresh_cookie(cookie_header)
        trusted = self.trusted_origin()
        browser_session = self.services.browser_session(cookie_header, refresh_cookie, trusted)
        return Call(
            services=self.services,
            refresh_cookie=refresh_cookie,
            browser_session=browser_session,
            request_id=self.request_id,
            client_address=self.client_address(),
            trusted_origin=trusted,
            device_cookie=self.services.device_cookie(cookie_header),
        )

    def add_cookie_headers(self, call: Call) -> None:
        """The Set-Cookie headers the call's refresh cookie, browser session and device cookie ask
        for, if any."""
        device = call.device_cookie.set_cookie if call.device_cookie is not None else None
        for header in (call.refresh_cookie.set_cookie, call.browser_session.set_cookie, device):
            if header:
                self.add_header("Set-Cookie", header)

    def write_answer(self, answer: Answer) -> None:
        self.method_name = answer.method
        self.set_status(answer.status)
        if answer.retry_after is not None:
            self.set_header("Retry-After", str(answer.retry_after))
        if answer.body is None:
            self.finish()
            return
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(answer.body))

    def write_api_error(self, error: ApiError) -> None:
        self.write_answer(Answer(error.status, error_body(error, self.request_id), error.retry_after))

    def log_exception(self, typ, value, tb) -> None:
        log_exception_without_query(self, typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Tornado's last resort (an exception outside the dispatcher): JSON, never a traceback."""
        # send_error() has cleared the headers: put back the ones every answer carries.
        if not hasattr(self, "request_id"):
            self.request_id = secrets.token_hex(16)
        self._common_headers()
        if status_code == 405:
            self.set_header("Allow", f"{self.allowed_methods}, OPTIONS")
            error = ApiError(
                "MethodNotAllowed",
                None if self.allowed_methods == "POST" else f"This address takes {self.allowed_methods}.",
            )
        elif status_code == 404:
            error = ApiError("UnknownMethod", "There is nothing at this address. POST JSON to /.", status=404)
        elif status_code < 500:
            error = ApiError("InvalidRequest", "The request could not be read.", status=status_code)
        else:
            error = ApiError("InternalError")
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(error_body(error, self.request_id)))


@tornado.web.stream_request_body
class BoundedBodyHandler(JsonHandler):
    """Reads a request body of at most ``max_body_bytes``, streamed, so that a larger one is refused
    with ``too_large`` (413) without being held in memory. A body up to ``drain_bytes`` is read to
    its end and dropped before the answer, because a client still sending when the server answers
    and closes sees a reset connection instead of the 413; a larger announced one is answered at once."""

    max_body_bytes = MAX_BODY_BYTES
    drain_bytes = 1024 * 1024
    too_large = "BodyTooLarge"

    def prepare(self) -> None:
        super().prepare()
        self._chunks: list[bytes] = []
        self._received = 0
        self._discarding = False
        length = self.request.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > max(self.max_body_bytes, self.drain_bytes):
            self.write_api_error(ApiError(self.too_large))

    def discard_body(self) -> None:
        """Read the body to its end but keep none of it (the answer is known already)."""
        self._discarding = True
        self._chunks.clear()

    def data_received(self, chunk: bytes) -> None:
        self._received += len(chunk)
        if self._received > self.max_body_bytes or self._discarding:
            self._chunks.clear()
        else:
            self._chunks.append(chunk)

    def body(self) -> bytes:
        if self._received > self.max_body_bytes:
            raise ApiError(self.too_large)
        return b"".join(self._chunks)


class EndpointHandler(BoundedBodyHandler):
    """``POST /`` with either envelope."""

    openapi = {
        "post": Operation(
            "Call a method, in the tutorial's envelope or in JSON-RPC 2.0",
            "methods",
            {
                "200": json_answer(
                    "The tutorial's envelope: the method's results. JSON-RPC: its response, or a batch's responses "
                    "(whatever the outcome).",
                    {"anyOf": [ref("Result"), ref("RpcResponse"), ref("RpcBatchResponse")]},
                    headers={
                        "Set-Cookie": SET_COOKIE_HEADER,
                        "Retry-After": {
                            **RETRY_AFTER_HEADER,
                            "required": False,
                            "description": "When a JSON-RPC call was refused for too many requests: seconds to wait.",
                        },
                    },
                ),
                "204": {
                    "description": "JSON-RPC: the request held only notifications.",
                    "headers": {"Set-Cookie": SET_COOKIE_HEADER},
                },
            },
            errors=tuple(code for code in CATALOGUE if code not in NOT_FROM_POST),
            cookies=(REFRESH_COOKIE, BROWSER_SESSION_COOKIE),
            request_body={
                "required": True,
                "content": {
                    "application/json": {"schema": {"oneOf": [ref("EnvRequest"), ref("RpcRequest"), ref("RpcBatch")]}}
                },
            },
            schemas=ENVELOPE_SCHEMAS,
            operation_id="call",
            description=(
                f"The body is JSON whatever its Content-Type, at most {MAX_BODY_BYTES // 1024} KiB. "
                '`{"env": "<method>", ...fields}` is answered with `{"message": "OK", ...results}` or an '
                "error and its HTTP status; a JSON-RPC 2.0 request or batch is answered with HTTP 200 (204 when "
                "it held only notifications), its errors in `error` with our code in `error.data`. Fields are "
                "checked before Cognito is called."
            ),
            calls_methods=True,
        )
    }

    async def post(self) -> None:
        try:
            body = self.body()
        except ApiError as error:
            self.write_api_error(error)
            return
        call = self.new_call()
        answer = await dispatch(body, call)
        self.add_cookie_headers(call)
        self.write_answer(answer)


class NotFoundHandler(JsonHandler):
    def prepare(self) -> None:
        super().prepare()
        raise tornado.web.HTTPError(404)

"""A stand-in Cognito whose answers a test sets, the configuration of a server pointed at one, and
an access token as such a stand-in hands it out."""

from __future__ import annotations

import asyncio
import json

import jwt
import tornado.web

from server.background import BackgroundServer

# A real-pool configuration for a server pointed at a stand-in (add COGNITO_ENDPOINT_URL). A stand-in
# answers at once, so the answers that must not tell who has an account need no time floor (the
# tests of that floor set their own UNIFORM_ANSWER_SECONDS).
STAND_IN_POOL = {
    "COGNITO_REGION_NAME": "us-east-1",
    "COGNITO_USER_POOL_ID": "us-east-1_stand1n",
    "COGNITO_USER_CLIENT_ID": "standinclient",
    "COGNITO_CLIENT_SECRET": "standin-secret",
    "COOKIE_SECRET": "test-cookie-secret",
    "UNIFORM_ANSWER_SECONDS": "0",
}


def issued_access_token(username: str = "5e0f-sub-id") -> str:
    """An access token as a stand-in Cognito hands it out: the server reads the claims of a token
    Cognito has just issued without checking its signature, so any key will do."""
    return jwt.encode({"username": username, "token_use": "access"}, "k" * 32, algorithm="HS256")


class StandInCognito:
    """A Cognito-compatible endpoint whose answers a test sets: per operation, a status and body,
    and an optional delay. Records the operations and parameters it was sent."""

    def __init__(self):
        self.answers: dict[str, tuple[int, dict, float]] = {}
        self.received: list[tuple[str, dict]] = []
        self.headers: list[dict[str, str]] = []
        stand_in = self

        class Handler(tornado.web.RequestHandler):
            async def post(self):
                operation = self.request.headers.get("X-Amz-Target", "").split(".")[-1]
                stand_in.received.append((operation, json.loads(self.request.body or b"{}")))
                stand_in.headers.append(dict(self.request.headers))
                status, body, delay = stand_in.answers.get(operation, (200, {}, 0.0))
                if delay:
                    await asyncio.sleep(delay)
                self.set_status(status)
                self.set_header("Content-Type", "application/x-amz-json-1.1")
                self.finish(json.dumps(body))

        async def build(port: int):
            return tornado.web.Application([(r"/", Handler)]), None

        self._server = BackgroundServer(build).start()
        self.url = self._server.url

    def answer(self, operation: str, status: int = 200, body: dict | None = None, delay: float = 0.0):
        self.answers[operation] = (status, body or {}, delay)

    def fail(self, operation: str, cognito_code: str, status: int = 400, message: str = "secret details"):
        self.answer(operation, status, {"__type": cognito_code, "message": message})

    def stop(self):
        self._server.stop()

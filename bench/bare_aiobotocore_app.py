"""Reference 2: the floor. A bare Tornado handler making the same InitiateAuth call as the server.

It uses the async client library the server uses (aiobotocore, unsigned, with the server's timeouts,
retries and connection pool: ``server/cognito.py``) and nothing else the server does: no field
checks, no cookie, no request id, no access log. What the server costs beyond it is the price of
its features. It reads the pool from the same variables as the server (``COGNITO_ENDPOINT_URL``, ...).

    python bench/bare_aiobotocore_app.py --port 8002
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import hashlib
import hmac
import json
import os

import aiobotocore.session
import tornado.web
from aiobotocore.config import AioConfig
from botocore import UNSIGNED

# server/serving.py's collector threshold (not imported: this process loads nothing of the server).
GC_THRESHOLD = 20_000
CLIENT_ID = os.environ["COGNITO_USER_CLIENT_ID"]
CLIENT_SECRET = os.environ["COGNITO_CLIENT_SECRET"]


def secret_hash(username: str) -> str:
    digest = hmac.new(CLIENT_SECRET.encode(), (username + CLIENT_ID).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class SignInHandler(tornado.web.RequestHandler):
    def initialize(self, cognito) -> None:
        self.cognito = cognito

    async def post(self) -> None:
        data = json.loads(self.request.body)
        response = await self.cognito.initiate_auth(
            ClientId=CLIENT_ID,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={
                "USERNAME": data["user"],
                "PASSWORD": data["pass"],
                "SECRET_HASH": secret_hash(data["user"]),
            },
        )
        result = response["AuthenticationResult"]
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(
            json.dumps(
                {
                    "message": "OK",
                    "access_token": result["AccessToken"],
                    "id_token": result["IdToken"],
                    "expires_in": result["ExpiresIn"],
                    "token_type": result["TokenType"],
                }
            )
        )


async def serve(host: str, port: int) -> None:
    # The server's client settings (server/config.py defaults), so only the work around the call differs.
    config = AioConfig(
        signature_version=UNSIGNED,
        connect_timeout=3.0,
        read_timeout=5.0,
        retries={"mode": "standard", "total_max_attempts": 1},
        max_pool_connections=256,
    )
    session = aiobotocore.session.get_session()
    async with session.create_client(
        "cognito-idp",
        region_name=os.environ["COGNITO_REGION_NAME"],
        endpoint_url=os.environ.get("COGNITO_ENDPOINT_URL"),
        config=config,
    ) as cognito:
        app = tornado.web.Application([(r"/", SignInHandler, {"cognito": cognito})], log_function=lambda handler: None)
        app.listen(port, address=host)
        # The server's process settings too (server/serving.py), so only the work per request differs.
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD)
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    options = parser.parse_args()
    asyncio.run(serve(options.host, options.port))


if __name__ == "__main__":
    main()

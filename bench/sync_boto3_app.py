"""Reference 1: the tutorial's design, a Tornado handler calling boto3 synchronously.

``initiate_auth`` blocks the IOLoop for the whole Cognito round trip, so requests are served one at
a time. The boto3 client is made once at start-up (making one per request would cost far more).
It reads the pool from the same variables as the server (``COGNITO_ENDPOINT_URL``, ...).

    python bench/sync_boto3_app.py --port 8001
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os

import boto3
import tornado.ioloop
import tornado.web

cognito = boto3.client(
    "cognito-idp", region_name=os.environ["COGNITO_REGION_NAME"], endpoint_url=os.environ.get("COGNITO_ENDPOINT_URL")
)
CLIENT_ID = os.environ["COGNITO_USER_CLIENT_ID"]
CLIENT_SECRET = os.environ["COGNITO_CLIENT_SECRET"]


def get_secret_hash(username: str) -> str:
    message = bytes(username + CLIENT_ID, "utf-8")
    digest = hmac.new(bytes(CLIENT_SECRET, "utf-8"), message, digestmod=hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class MainHandler(tornado.web.RequestHandler):
    def post(self) -> None:
        data = json.loads(self.request.body)
        if data.get("env") != "signIn":
            self.set_status(400)
            self.write({"message": "unknown env"})
            return
        response = cognito.initiate_auth(
            ClientId=CLIENT_ID,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={
                "USERNAME": data["user"],
                "PASSWORD": data["pass"],
                "SECRET_HASH": get_secret_hash(data["user"]),
            },
        )
        result = response["AuthenticationResult"]
        self.write(
            {
                "message": "OK",
                "access_token": result["AccessToken"],
                "id_token": result["IdToken"],
                "refresh_token": result["RefreshToken"],
                "expires_in": result["ExpiresIn"],
            }
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    options = parser.parse_args()
    # No access log: nothing is configured to show it, as in the tutorial.
    app = tornado.web.Application([(r"/", MainHandler)], log_function=lambda handler: None)
    app.listen(options.port, address=options.host)
    tornado.ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()

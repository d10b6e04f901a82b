"""A stand-in Cognito that checks SRP sign-ins with pycognito's functions, not the server's own maths.

It answers InitiateAuth USER_SRP_AUTH and RespondToAuthChallenge PASSWORD_VERIFIER for one user whose
password it knows, as Cognito's documented flow goes, and checks everything the server sends: both
SECRET_HASHes (each on the name that step sends), the TIMESTAMP's format and time, and the
PASSWORD_CLAIM_SIGNATURE. Its hashing, padding, k, u, x and key derivation are pycognito's
(``pycognito.aws_srp``, the Python port of amazon-cognito-identity-js); the server's side of SRP-6a
is the textbook equation S = (A * v^u)^b mod N, written here. None of it comes from server/srp.py.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import os
import re

import jwt
import tornado.web
from pycognito import aws_srp

from server.background import BackgroundServer

TIMESTAMP = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"[1-9][0-9]? [0-2][0-9]:[0-5][0-9]:[0-5][0-9] UTC [0-9]{4}"
)


class SrpStandIn:
    """One user (``email``, whose sub is ``sub``) in the pool ``pool_id`` of the app client
    ``client_id`` with ``client_secret``. ``received`` keeps (operation, parameters); ``refusals``
    says why each refused request was refused."""

    def __init__(
        self,
        pool_id: str,
        client_id: str,
        client_secret: str,
        email: str,
        password: str,
        sub: str = "3f1c0d52-0b7e-4c55-9d1b-4d1a7e5b2c10",
    ):
        self.pool_name = pool_id.split("_")[1]
        self.client_id, self.client_secret = client_id, client_secret
        self.email, self.sub = email, sub
        self.big_n, self.g = aws_srp.hex_to_long(aws_srp.N_HEX), aws_srp.hex_to_long(aws_srp.G_HEX)
        self.k = aws_srp.hex_to_long(aws_srp.hex_hash("00" + aws_srp.N_HEX + "0" + aws_srp.G_HEX))
        self.salt = aws_srp.pad_hex(aws_srp.get_random(16))
        inner = aws_srp.hash_sha256(f"{self.pool_name}{sub}:{password}".encode())
        x = aws_srp.hex_to_long(aws_srp.hex_hash(self.salt + inner))
        self.verifier = pow(self.g, x, self.big_n)
        self.pending: dict[str, tuple[int, int, int]] = {}  # secret block -> (A, b, B)
        self.received: list[tuple[str, dict]] = []
        self.refusals: list[str] = []
        stand_in = self

        class Handler(tornado.web.RequestHandler):
            def post(self):
                operation = self.request.headers.get("X-Amz-Target", "").split(".")[-1]
                params = json.loads(self.request.body or b"{}")
                stand_in.received.append((operation, params))
                status, body = stand_in.answer(operation, params)
                self.set_status(status)
                self.set_header("Content-Type", "application/x-amz-json-1.1")
                self.finish(json.dumps(body))

        async def build(port: int):
            return tornado.web.Application([(r"/", Handler)]), None

        self._server = BackgroundServer(build).start()
        self.url = self._server.url

    def stop(self) -> None:
        self._server.stop()

    def _hash_ok(self, name: str, given) -> bool:
        return given == aws_srp.AWSSRP.get_secret_hash(name, self.client_id, self.client_secret)

    def _refuse(self, why: str) -> tuple[int, dict]:
        self.refusals.append(why)
        return 400, {"__type": "NotAuthorizedException", "message": "Incorrect username or password."}

    def answer(self, operation: str, params: dict) -> tuple[int, dict]:
        if operation == "InitiateAuth" and params.get("AuthFlow") == "USER_SRP_AUTH":
            auth = params["AuthParameters"]
            if auth.get("USERNAME") != self.email or not self._hash_ok(self.email, auth.get("SECRET_HASH")):
                return self._refuse("InitiateAuth: user name or SECRET_HASH")
            large_a = aws_srp.hex_to_long(auth["SRP_A"])
            small_b = aws_srp.get_random(128) % self.big_n
            large_b = (self.k * self.verifier + pow(self.g, small_b, self.big_n)) % self.big_n
            secret_block = base64.b64encode(os.urandom(64)).decode()
            self.pending[secret_block] = (large_a, small_b, large_b)
            return 200, {
                "ChallengeName": "PASSWORD_VERIFIER",
                "ChallengeParameters": {
                    "SALT": self.salt,
                    "SRP_B": aws_srp.long_to_hex(large_b),
                    "SECRET_BLOCK": secret_block,
                    "USERNAME": self.sub,
                    "USER_ID_FOR_SRP": self.sub,
                },
            }
        if operation == "RespondToAuthChallenge" and params.get("ChallengeName") == "PASSWORD_VERIFIER":
            return self._claim(params["ChallengeResponses"])
        return 400, {"__type": "InvalidParameterException", "message": f"not served: {operation}"}

    def _claim(self, responses: dict) -> tuple[int, dict]:
        if responses.get("USERNAME") != self.sub or not self._hash_ok(self.sub, responses.get("SECRET_HASH")):
            return self._refuse("RespondToAuthChallenge: USERNAME or SECRET_HASH not on USER_ID_FOR_SRP")
        timestamp = responses.get("TIMESTAMP", "")
        if not TIMESTAMP.fullmatch(timestamp):
            return self._refuse(f"TIMESTAMP format: {timestamp!r}")
        sent = datetime.datetime.strptime(timestamp.replace(" UTC ", " "), "%a %b %d %H:%M:%S %Y")
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        if abs((now - sent).total_seconds()) > 300:
            return self._refuse(f"TIMESTAMP time: {timestamp!r}")
        pending = self.pending.pop(responses.get("PASSWORD_CLAIM_SECRET_BLOCK", ""), None)
        if pending is None:
            return self._refuse("secret block")
        large_a, small_b, large_b = pending
        u = aws_srp.calculate_u(large_a, large_b)
        shared = pow(large_a * pow(self.verifier, u, self.big_n), small_b, self.big_n)
        key = aws_srp.compute_hkdf(
            bytearray.fromhex(aws_srp.pad_hex(shared)), bytearray.fromhex(aws_srp.pad_hex(aws_srp.long_to_hex(u)))
        )
        message = (
            self.pool_name.encode()
            + self.sub.encode()
            + base64.b64decode(responses["PASSWORD_CLAIM_SECRET_BLOCK"])
            + timestamp.encode()
        )
        expected = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()
        if responses.get("PASSWORD_CLAIM_SIGNATURE") != expected:
            return self._refuse("signature")
        access = jwt.encode({"username": self.sub, "sub": self.sub, "token_use": "access"}, "k" * 32, algorithm="HS256")
        return 200, {
            "ChallengeParameters": {},
            "AuthenticationResult": {
                "AccessToken": access,
                "IdToken": access,
                "RefreshToken": "stand-in-refresh-token",
                "ExpiresIn": 3600,
                "TokenType": "Bearer",
            },
        }

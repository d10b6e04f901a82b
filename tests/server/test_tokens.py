"""The token verifier against a JWKS served over real HTTP: what it accepts, what it refuses, and
how it fetches keys (once, again for a new kid, never in a storm)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid

import pytest
import tornado.web
from cryptography.hazmat.primitives import serialization

from local_cognito.tokens import TokenSigner
from server.background import BackgroundServer
from server.errors import ApiError
from server.tokens import TokenVerifier

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TESTPOOL"
CLIENT_ID = "client-123"


class JwksServer:
    """Serves the JWKS of whichever signers a test gives it, and counts the fetches."""

    def __init__(self, *signers: TokenSigner):
        self.signers = list(signers)
        self.hits = 0
        self.status = 200
        jwks = self

        class Handler(tornado.web.RequestHandler):
            def get(self):
                jwks.hits += 1
                self.set_status(jwks.status)
                keys = [key for signer in jwks.signers for key in signer.jwks()["keys"]]
                self.finish(json.dumps({"keys": keys}))

        async def build(port):
            return tornado.web.Application([(r"/jwks.json", Handler)]), None

        self._server = BackgroundServer(build).start()
        self.url = self._server.url + "/jwks.json"

    def stop(self):
        self._server.stop()


@pytest.fixture(scope="module")
def signer(tmp_path_factory):
    return TokenSigner(str(tmp_path_factory.mktemp("key") / "key.pem"))


@pytest.fixture(scope="module")
def other_signer(tmp_path_factory):
    return TokenSigner(str(tmp_path_factory.mktemp("other") / "key.pem"))


@pytest.fixture
def jwks(signer):
    server = JwksServer(signer)
    yield server
    server.stop()


def access_claims(**changes):
    now = int(time.time())
    claims = {
        "sub": str(uuid.uuid4()),
        "iss": ISSUER,
        "token_use": "access",
        "client_id": CLIENT_ID,
        "iat": now,
        "exp": now + 300,
        "username": "u",
        "cognito:groups": ["admin"],
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def verify(verifier, token, use="access", **kwargs):
    async def run():
        if use == "access":
            return await verifier.verify_access_token(token)
        return await verifier.verify_id_token(token, **kwargs)

    return asyncio.run(run())


def refused(verifier, token, use="access", **kwargs) -> str:
    with pytest.raises(ApiError) as caught:
        verify(verifier, token, use, **kwargs)
    return caught.value.code


def make_verifier(jwks, **kwargs):
    return TokenVerifier(jwks_url=jwks.url, issuer=ISSUER, client_id=CLIENT_ID, **kwargs)


def test_a_valid_access_token_gives_its_claims(jwks, signer):
    claims = access_claims()
    assert verify(make_verifier(jwks), signer.sign(claims))["sub"] == claims["sub"]


@pytest.mark.parametrize(
    "changes, code",
    [
        ({"exp": int(time.time()) - 65}, "TokenExpired"),  # beyond the 60 s clock-skew allowance
        ({"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OTHER"}, "InvalidToken"),
        ({"client_id": "another-client"}, "InvalidToken"),
        ({"token_use": "id"}, "InvalidToken"),
        ({"exp": None}, "InvalidToken"),
        ({"iat": None}, "InvalidToken"),
    ],
)
def test_claims_that_do_not_fit_are_refused(jwks, signer, changes, code):
    assert refused(make_verifier(jwks), signer.sign(access_claims(**changes))) == code


def test_a_token_signed_by_another_key_with_our_kid_is_refused(jwks, signer, other_signer):
    import jwt

    forged = jwt.encode(access_claims(), other_signer._key, algorithm="RS256", headers={"kid": signer.kid})
    assert refused(make_verifier(jwks), forged) == "InvalidToken"


def test_unsigned_symmetric_and_garbage_tokens_are_refused(jwks, signer):
    import jwt

    verifier = make_verifier(jwks)
    header = {"kid": signer.kid}
    assert refused(verifier, jwt.encode(access_claims(), None, algorithm="none", headers=header)) == "InvalidToken"
    # The public key's PEM used as an HMAC secret: the classic algorithm-confusion forgery.
    pem = signer._public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = b".".join(
        base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=")
        for part in ({"alg": "HS256", "typ": "JWT", "kid": signer.kid}, access_claims())
    )
    mac = base64.urlsafe_b64encode(hmac.new(pem, signing_input, hashlib.sha256).digest()).rstrip(b"=")
    assert refused(verifier, (signing_input + b"." + mac).decode()) == "InvalidToken"
    for garbage in ("", "abc", "a.b.c", "e30.e30.", "." * 3000):
        assert refused(verifier, garbage) == "InvalidToken"


def test_id_tokens_need_the_audience_and_the_nonce(jwks, signer):
    verifier = make_verifier(jwks)
    identity = access_claims(token_use="id", client_id=None, aud=CLIENT_ID, nonce="n-1")
    assert verify(verifier, signer.sign(identity), use="id", nonce="n-1")["aud"] == CLIENT_ID
    assert refused(verifier, signer.sign(identity), use="id", nonce="n-2") == "InvalidToken"
    assert refused(verifier, signer.sign(dict(identity, aud="other")), use="id") == "InvalidToken"
    assert refused(verifier, signer.sign(access_claims()), use="id") == "InvalidToken"


def test_keys_are_fetched_once_and_kept(jwks, signer):
    verifier = make_verifier(jwks)

    async def many():
        tokens = [signer.sign(access_claims()) for _ in range(20)]
        return await asyncio.gather(*(verifier.verify_access_token(t) for t in tokens))

    assert len(asyncio.run(many())) == 20
    assert jwks.hits == 1  # concurrent first uses share one fetch


def test_a_new_kid_is_fetched_again_once(jwks, signer, other_signer):
    verifier = make_verifier(jwks, refetch_seconds=0)
    verify(verifier, signer.sign(access_claims()))
    assert refused(verifier, other_signer.sign(access_claims())) == "InvalidToken"
    assert jwks.hits == 2  # the unknown kid made one more fetch, not a loop
    jwks.signers.append(other_signer)  # the pool rotates its keys
    verify(verifier, other_signer.sign(access_claims()))
    verify(verifier, signer.sign(access_claims()))
    assert jwks.hits == 3


def test_made_up_kids_cannot_make_the_server_hammer_the_jwks(jwks, signer, other_signer):
    verifier = make_verifier(jwks, refetch_seconds=60)
    verify(verifier, signer.sign(access_claims()))
    for _ in range(25):
        assert refused(verifier, other_signer.sign(access_claims())) == "InvalidToken"
    assert jwks.hits == 1


def test_an_unreachable_jwks_is_503_not_401(jwks, signer):
    jwks.status = 500
    verifier = make_verifier(jwks)
    assert refused(verifier, signer.sign(access_claims())) == "CognitoUnavailable"
    # Still 503 while fetches are held back, not a 401 that would make clients drop good tokens.
    assert refused(verifier, signer.sign(access_claims())) == "CognitoUnavailable"
    jwks.status = 200
    verifier.refetch_seconds = 0
    assert verify(verifier, signer.sign(access_claims()))["token_use"] == "access"
    nowhere = TokenVerifier(jwks_url="http://127.0.0.1:9/jwks.json", issuer=ISSUER, client_id=CLIENT_ID)
    assert refused(nowhere, signer.sign(access_claims())) == "CognitoUnavailable"

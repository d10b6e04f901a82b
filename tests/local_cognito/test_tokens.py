"""The local Cognito's tokens (local_cognito/tokens.py): JWTs signed with the pool's own key, which
verify against its JWKS, and a forged one refused."""

from __future__ import annotations

import jwt

from tests.support.local_pool import error_code, password_auth, signed_up


def test_tokens_verify_against_the_pool_jwks(local_pool_idp, email, config):
    idp = local_pool_idp
    signed_up(idp, email)
    result = password_auth(idp, email)["AuthenticationResult"]
    keys = jwt.PyJWKClient(config.jwks_url)
    access = jwt.decode(
        result["AccessToken"],
        keys.get_signing_key_from_jwt(result["AccessToken"]).key,
        algorithms=["RS256"],
        issuer=f"{config.endpoint_url}/{config.user_pool_id}",
    )
    assert access["token_use"] == "access" and access["client_id"] == config.client_id
    identity = jwt.decode(
        result["IdToken"],
        keys.get_signing_key_from_jwt(result["IdToken"]).key,
        algorithms=["RS256"],
        audience=config.client_id,
    )
    assert identity["email"] == email and identity["email_verified"] is True
    assert identity["cognito:username"] == access["username"] == access["sub"]
    forged = jwt.encode(dict(access, sub="someone-else"), "k" * 32, algorithm="HS256")
    assert error_code(idp.get_user, AccessToken=forged) == "NotAuthorizedException"

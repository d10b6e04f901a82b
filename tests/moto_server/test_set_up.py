"""The set-up against moto's server: the pool made as docs/production.md's checklist says, our
server's health checks, its hosted-UI routes off without a Cognito domain, and the issuer moto's
tokens name."""

from __future__ import annotations

import json
import os
import urllib.request

import jwt

from server.config import load_config
from tests.support import ROOT, Client
from tests.support.against_moto import assert_clean_error, signed_up
from tests.support.hosted_ui import me_answer


def test_the_pool_is_made_as_the_production_checklist_says(idp, pool):
    """What make_pool sets is what docs/production.md asks for, and moto keeps it."""
    with open(os.path.join(ROOT, "docs", "production.md"), encoding="utf-8") as file:
        checklist = file.read().split("## A real user pool", 1)[1].split("\n## ", 1)[0]
    for item in (
        "UsernameAttributes: [email]",
        "AutoVerifiedAttributes: [email]",
        "AccountRecoverySetting",
        "verified_email",
        "MinimumLength` 8",
        "MfaConfiguration: OPTIONAL",
        "SoftwareTokenMfaConfiguration",
        "ADMIN_GROUP",
        "GenerateSecret",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
        "PreventUserExistenceErrors: ENABLED",
        "EnableTokenRevocation",
    ):
        assert item in checklist, item
    client = idp.describe_user_pool_client(UserPoolId=pool.id, ClientId=pool.client_id)["UserPoolClient"]
    assert client["ClientSecret"] == pool.client_secret
    assert set(client["ExplicitAuthFlows"]) == {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert client["PreventUserExistenceErrors"] == "ENABLED" and client["EnableTokenRevocation"] is True
    described = idp.describe_user_pool(UserPoolId=pool.id)["UserPool"]
    assert described["UsernameAttributes"] == ["email"] and described["AutoVerifiedAttributes"] == ["email"]
    assert described["AccountRecoverySetting"] == {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]}
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 8
    # The rules the page lists (GET /me) are this pool's, as moto describes it.
    policy = described["Policies"]["PasswordPolicy"]
    assert me_answer()["password_policy"] == {
        "min_length": policy["MinimumLength"],
        "require_lowercase": policy["RequireLowercase"],
        "require_uppercase": policy["RequireUppercase"],
        "require_numbers": policy["RequireNumbers"],
        "require_symbols": policy["RequireSymbols"],
    }
    mfa = idp.get_user_pool_mfa_config(UserPoolId=pool.id)
    assert mfa["MfaConfiguration"] == "OPTIONAL" and mfa["SoftwareTokenMfaConfiguration"] == {"Enabled": True}
    assert idp.get_group(UserPoolId=pool.id, GroupName="admin")["Group"]["GroupName"] == "admin"


def test_health_answers_against_moto(server):
    client = Client(server)
    assert client.request("GET", "/healthz").json == {"status": "alive"}
    ready = client.request("GET", "/readyz")  # fetches the pool's JWKS from moto
    assert ready.status == 200 and ready.json == {"status": "ready"}


def test_hosted_ui_routes_answer_hosted_ui_off_without_cognito_domain(server):
    client = Client(server)
    for path in ("/login", "/callback?code=c&state=s", "/logout"):
        assert_clean_error(client.request("GET", path), 503, "HostedUiOff")
    me = client.request("GET", "/me")
    assert me.status == 200 and me.json == me_answer()


def test_moto_tokens_name_aws_as_issuer(moto, server, pool):
    """moto's tokens carry AWS's issuer whatever its address, and its JWKS (one fixed key, "dummy")
    verifies them: so the server needs COGNITO_ISSUER, and takes the JWKS from COGNITO_ENDPOINT_URL."""
    _, _, tokens = signed_up(server)
    for token in (tokens["access_token"], tokens["id_token"]):
        assert jwt.decode(token, options={"verify_signature": False})["iss"] == pool.issuer
    settings = pool.settings(moto)
    assert load_config(settings).issuer == pool.issuer
    jwks_url = load_config(settings).jwks_url
    assert jwks_url == f"{moto.url}/{pool.id}/.well-known/jwks.json"
    with urllib.request.urlopen(jwks_url, timeout=5) as answer:
        (key,) = json.load(answer)["keys"]
    claims = jwt.decode(tokens["access_token"], jwt.PyJWK(key).key, algorithms=["RS256"], issuer=pool.issuer)
    assert jwt.get_unverified_header(tokens["access_token"])["kid"] == key["kid"] == "dummy"
    assert claims["token_use"] == "access" and claims["client_id"] == pool.client_id

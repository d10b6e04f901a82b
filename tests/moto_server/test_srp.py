"""Our app with SIGN_IN_FLOW=srp on moto's server (the checklist's pool), over real HTTP: the account is
made, confirmed and signed in with USER_SRP_AUTH and PASSWORD_VERIFIER, whose steps moto's server
answers in Cognito's shape (SALT, SRP_B, SECRET_BLOCK, USERNAME, USER_ID_FOR_SRP).

moto only plays the steps: its SRP_B and SALT are random hex, it checks neither the claim nor the
app client's ExplicitAuthFlows. The local Cognito checks both (tests/local_cognito/test_srp.py), and
pycognito and amazon-cognito-identity-js vouch for its checks.
"""

from __future__ import annotations

import pytest

from server.config import load_config
from server.cognito import secret_hash
from tests.support import PASSWORD, Client, serve_app
from tests.support.against_moto import new_email, signed_up


@pytest.fixture(scope="module")
def srp_server(moto, pool, tmp_path_factory):
    folder = tmp_path_factory.mktemp("srp")
    running = serve_app(
        load_config({**pool.settings(moto), "PHOTOS_DATA": str(folder / "photos"), "SIGN_IN_FLOW": "srp"})
    )
    yield f"http://localhost:{running.port}"
    running.stop()


def test_sign_in_with_srp_on_moto(srp_server):
    _, email, confirmed = signed_up(srp_server)  # confirmAccount signs in with SRP too
    assert confirmed["access_token"]
    client = Client(srp_server)
    reply = client.call("signIn", user=email, **{"pass": PASSWORD})
    assert reply.status == 200 and reply.json["token_type"] == "Bearer"
    assert client.call("getUser", access_token=reply.json["access_token"]).json["attributes"]["email"] == email
    assert client.call("refresh").status == 200


def test_moto_gap_srp_claims_are_not_checked(srp_server):
    """Cognito refuses a claim made with the wrong password (NotAuthorizedException); moto's server
    accepts any claim, so on moto a wrong password signs in with SRP."""
    _, email, _ = signed_up(srp_server)
    reply = Client(srp_server).call("signIn", user=email, **{"pass": "not-" + PASSWORD})
    assert reply.status == 200 and reply.json["access_token"]


def test_moto_gap_explicit_auth_flows_are_not_enforced(moto, idp, pool):
    """Cognito refuses USER_PASSWORD_AUTH on an app client that allows SRP only ("USER_PASSWORD_AUTH
    flow not enabled for this client"); moto's server signs in anyway."""
    client = idp.create_user_pool_client(
        UserPoolId=pool.id,
        ClientName="srp-only",
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    email = new_email()
    hashed = secret_hash(email, client["ClientId"], client["ClientSecret"])
    idp.sign_up(ClientId=client["ClientId"], SecretHash=hashed, Username=email, Password=PASSWORD)
    idp.admin_confirm_sign_up(UserPoolId=pool.id, Username=email)
    answer = idp.initiate_auth(
        ClientId=client["ClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD, "SECRET_HASH": hashed},
    )
    assert answer["AuthenticationResult"]["AccessToken"]

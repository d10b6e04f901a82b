"""The Login with Amazon set-up docs/hosted-ui.md asks for on AWS, made at moto's own server (which
models Cognito's API): the identity provider named and typed ``LoginWithAmazon``, the scope
``profile``, the mapping the local Cognito's stand-in applies (``local_cognito/federation.py``), and
the app client offering it. So the local Cognito's names and mapping are the ones Cognito's API takes,
not only the ones it uses itself."""

from __future__ import annotations

from local_cognito.federation import ATTRIBUTE_MAPPING, LOGIN_WITH_AMAZON
from tests.support.moto_server import make_pool


def test_the_documented_login_with_amazon_set_up_is_one_cognitos_api_takes(idp):
    pool = make_pool(idp, "amazon")
    created = idp.create_identity_provider(
        UserPoolId=pool.id,
        ProviderName=LOGIN_WITH_AMAZON,
        ProviderType=LOGIN_WITH_AMAZON,
        ProviderDetails={
            "client_id": "amzn1.application-oa2-client.example",
            "client_secret": "secret",
            "authorize_scopes": "profile",
        },
        AttributeMapping=ATTRIBUTE_MAPPING[LOGIN_WITH_AMAZON],
    )["IdentityProvider"]
    assert created["ProviderType"] == LOGIN_WITH_AMAZON
    # Cognito's AttributeMapping: the pool's attribute -> the provider's ("nickname" <- Amazon's "name").
    described = idp.describe_identity_provider(UserPoolId=pool.id, ProviderName=LOGIN_WITH_AMAZON)
    assert described["IdentityProvider"]["AttributeMapping"] == {"email": "email", "nickname": "name"}
    client = idp.update_user_pool_client(
        UserPoolId=pool.id,
        ClientId=pool.client_id,
        SupportedIdentityProviders=["COGNITO", LOGIN_WITH_AMAZON],
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "profile"],
        CallbackURLs=["https://app.example/callback"],
    )["UserPoolClient"]
    assert client["SupportedIdentityProviders"] == ["COGNITO", LOGIN_WITH_AMAZON]

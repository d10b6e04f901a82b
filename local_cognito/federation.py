"""Users who sign in through an identity provider of the pool (Login with Amazon), as Cognito keeps them.

Cognito's developer guide ("Adding social identity providers to a user pool", "Mapping IdP
attributes to profiles and tokens"): the first sign-in through a provider makes a user whose name is
the provider's name and the provider's id for the person (``LoginWithAmazon_amzn1.account...``),
whose status is ``EXTERNAL_PROVIDER``, and whose ``identities`` attribute (a JSON array) names the
provider and that id. The user has no password: they sign in only through the provider. The
provider's attributes are mapped onto the pool's, and the mapped attributes are written again at
every sign-in through the provider ("Amazon Cognito updates mapped attributes when users sign in to
your application through an IdP", SchemaAttributeType in the API reference). A pool that requires an
attribute the mapping leaves empty refuses the sign-in.

The local pool has one such provider, the Login with Amazon stand-in (``amazon_stand_in.py``), with
the mapping docs/hosted-ui.md asks for on AWS: Amazon's ``email`` to ``email``, ``name`` to
``nickname``. A federated user's sub is derived from their user name (a UUID, as Cognito's are), so
the user is found again by that name without another index.
"""

from __future__ import annotations

import json
from typing import Mapping

from moto.cognitoidp.models import CognitoIdpUser

from local_cognito.faults import CognitoFault
from local_cognito.pool import UserPool
from local_cognito.schema import missing
from local_cognito.user_table import EXTERNAL_PROVIDER, federated_sub

LOGIN_WITH_AMAZON = "LoginWithAmazon"  # Cognito's name for the provider (ProviderName and ProviderType)
# The pool's attribute <- the provider's field: what docs/hosted-ui.md asks for on AWS.
ATTRIBUTE_MAPPING = {LOGIN_WITH_AMAZON: {"email": "email", "nickname": "name"}}
MAX_ATTRIBUTE_LENGTH = 2048  # Cognito's limit on a string attribute's value


class FederatedUsers:
    """Sign-ins through a provider: the user they make the first time, and update every time."""

    def __init__(self, pool: UserPool) -> None:
        self.pool = pool

    def find(self, username: str) -> CognitoIdpUser | None:
        """The federated user named ``username`` (``LoginWithAmazon_...``), None if there is none."""
        user = self.pool.users.get(federated_sub(self.pool.pool_id, username))
        return user if user is not None and user.username == username else None

    def signed_in(self, provider: str, profile: Mapping[str, object]) -> CognitoIdpUser:
        """The user of a sign-in through ``provider`` whose profile (the provider's answer) is
        ``profile``: made the first time, their mapped attributes written again every time.
        CognitoFault when the pool cannot take them (a required attribute is not mapped, a disabled user)."""
        provider_id = profile.get("user_id")
        if not isinstance(provider_id, str) or not provider_id:
            raise CognitoFault("InvalidParameterException", "The identity provider gave no user id.")
        mapped = {
            attribute: str(profile[field])[:MAX_ATTRIBUTE_LENGTH]
            for attribute, field in ATTRIBUTE_MAPPING[provider].items()
            if isinstance(profile.get(field), str) and profile[field]
        }
        username = f"{provider}_{provider_id}"
        user = self.find(username)
        lacking = missing(
            ("email", *self.pool.required_attributes), dict(user.attribute_lookup if user else {}, **mapped)
        )
        if lacking:
            raise CognitoFault(
                "InvalidParameterException",
                "The identity provider did not give the attributes the pool requires: " + ", ".join(lacking) + ".",
            )
        if user is None:
            user = self._new_user(provider, provider_id, username)
        elif not user.enabled:
            raise CognitoFault("NotAuthorizedException", "User is disabled.")
        user.update_attributes([{"Name": name, "Value": value} for name, value in mapped.items()])
        user.last_modified_date = self.pool.now()
        self.pool.users[user.id] = user
        return user

    def _new_user(self, provider: str, provider_id: str, username: str) -> CognitoIdpUser:
        now_ms = str(int(self.pool.clock() * 1000))
        identities = [
            {
                "dateCreated": now_ms,
                "userId": provider_id,
                "providerName": provider,
                "providerType": provider,
                "issuer": None,
                "primary": "true",
            }
        ]
        user = CognitoIdpUser(
            self.pool.pool_id,
            username,
            None,
            EXTERNAL_PROVIDER,  # type: ignore[arg-type]
            [
                {"Name": "identities", "Value": json.dumps(identities, separators=(",", ":"))},
                # The provider vouches for no address: unverified unless mapped.
                {"Name": "email_verified", "Value": "false"},
            ],
        )
        user.id = federated_sub(self.pool.pool_id, username)
        user.update_attributes([{"Name": "sub", "Value": user.id}])
        user.create_date = self.pool.now()
        return user

"""The hosted UI's side of a sign-in through an identity provider: to the provider, and back at ``/oauth2/idpresponse``.

As Cognito's hosted UI does (developer guide, "Adding social identity providers to a user pool" and
"IdP authorization endpoint"): ``/oauth2/authorize?identity_provider=LoginWithAmazon`` (or the sign-in
page's "Continue with Login with Amazon") sends the browser to the provider's authorization
endpoint, with the pool's client id at the provider, the scope ``profile``, the return URL
``/oauth2/idpresponse`` and a ``state`` that carries the app's authorize request, signed (so it
cannot be altered) and good for an hour. Back at ``/oauth2/idpresponse`` the pool redeems the
provider's code at its token endpoint and reads the person's profile, over HTTP, before the request's
transaction begins (nothing may wait inside one); then the federated user is made or updated
(``federation.py``), a hosted-UI session starts, and the browser goes back to the app with an
authorization code, like any other sign-in. The provider's refusal (the person cancelled) goes back
to the app as ``error=access_denied``; a pool that cannot take the user (a required attribute not
mapped, a disabled user) sends ``error=invalid_request`` with Cognito's description.

The one provider is the Login with Amazon stand-in (``amazon_stand_in.py``), offered only when the
app client lists ``LoginWithAmazon`` among its identity providers (``LOCAL_COGNITO_LOGIN_WITH_AMAZON``).
"""

from __future__ import annotations

import json
import logging
import urllib.parse

from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from local_cognito.amazon_stand_in import PROFILE_PATH, TOKEN_PATH, AmazonStandIn, stand_in_routes
from local_cognito.faults import CognitoFault
from local_cognito.federation import LOGIN_WITH_AMAZON
from local_cognito.hosted_ui import (
    EXPIRED_FORM,
    IDP_RESPONSE_PATH,
    PROVIDER_STEP,
    HostedUi,
    PageHandler,
    answers_with_pages,
)
from local_cognito.oauth.errors import ErrorPage
from local_cognito.oauth.parameters import as_lists

log = logging.getLogger("local_cognito")

PROVIDER_TIMEOUT_SECONDS = 10


class ProviderFailure(Exception):
    """The provider did not give a profile for the code (refused it, or did not answer)."""


async def provider_profile(ui: HostedUi, stand_in: AmazonStandIn, code: str) -> dict:
    """The code redeemed at the provider's token endpoint, and the profile its access token reads."""
    client = AsyncHTTPClient()
    form = urllib.parse.urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": stand_in.redirect_uri,
            "client_id": stand_in.client_id,
            "client_secret": stand_in.client_secret,
        }
    )
    try:
        tokens = await client.fetch(
            ui.base_url + TOKEN_PATH,
            method="POST",
            body=form,
            request_timeout=PROVIDER_TIMEOUT_SECONDS,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        access_token = json.loads(tokens.body)["access_token"]
        profile = await client.fetch(
            ui.base_url + PROFILE_PATH,
            request_timeout=PROVIDER_TIMEOUT_SECONDS,
            headers={"Authorization": f"Bearer {access_token}"},
        )
        answer = json.loads(profile.body)
    except HTTPClientError as refused:
        raise ProviderFailure(f"the provider answered {refused.code}") from None
    except (OSError, ValueError, KeyError, TypeError) as failure:
        raise ProviderFailure(type(failure).__name__) from None
    if not isinstance(answer, dict):
        raise ProviderFailure("the profile is not an object")
    return answer


class IdpResponseHandler(PageHandler):
    """``/oauth2/idpresponse``: the provider's answer, then back to the app with a code."""

    def initialize(self, ui: HostedUi) -> None:
        super().initialize(ui)
        self.stand_in = ui.stand_in
        self.profile: dict | None = None

    def _state(self) -> dict | None:
        payload = self.ui.forms.decode(self.get_query_argument("state", ""))
        if (
            not isinstance(payload, dict)
            or payload.get("step") != PROVIDER_STEP
            or not isinstance(payload.get("request"), dict)
        ):
            return None
        return payload

    async def prepare(self) -> None:
        # The exchange with the provider, before the transaction: nothing awaits inside one.
        code = self.get_query_argument("code", None)
        if code and self._state() is not None:
            try:
                self.profile = await provider_profile(self.ui, self.stand_in, code)
            except ProviderFailure as failure:
                log.warning("Login with Amazon gave no profile for a sign-in: %s.", failure)
        await super().prepare()

    @answers_with_pages
    def get(self) -> None:
        payload = self._state()
        if payload is None:
            raise ErrorPage(EXPIRED_FORM)
        request = self.pool.oauth.authorize_request(as_lists(payload["request"]))
        # The app client may have stopped offering the provider since the person left for it.
        self.pool.oauth.check_identity_provider({"identity_provider": [LOGIN_WITH_AMAZON]})
        if self.get_query_argument("error", None) is not None:
            self.redirect(
                request.redirect(error="access_denied", error_description="The identity provider refused the sign-in.")
            )
            return
        if self.profile is None:
            raise ErrorPage("The identity provider did not confirm the sign-in. Go back to the app and try again.")
        try:
            user = self.pool.federation.signed_in(LOGIN_WITH_AMAZON, self.profile)
        except CognitoFault as fault:
            self.redirect(request.redirect(error="invalid_request", error_description=fault.message))
            return
        self.sign_in_done(request, user)


def federation_routes(ui: HostedUi) -> list:
    return [(IDP_RESPONSE_PATH, IdpResponseHandler, {"ui": ui}), *stand_in_routes(ui.stand_in)]

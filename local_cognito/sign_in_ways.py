"""Which ways of signing in the local user pool allows, as Cognito's pool and app client settings say.

Cognito's choice-based sign-in (InitiateAuth with the USER_AUTH flow) needs, on a real pool:

- the app client's ExplicitAuthFlows to include ALLOW_USER_AUTH (the local app client's do,
  ``pool_settings.CLIENT_CONFIG``);
- the pool's feature plan (UserPoolTier) to be ESSENTIALS or PLUS for anything but a password:
  "To activate this setting [SignInPolicy], your user pool must be in the Essentials tier or
  higher" (SignInPolicyType, Amazon Cognito API reference);
- the pool's SignInPolicy AllowedFirstAuthFactors to list each way (PASSWORD, EMAIL_OTP, WEB_AUTHN);
- for passkeys, a relying party id (WebAuthnConfiguration RelyingPartyId): without one Cognito answers
  WebAuthnConfigurationMissingException ("a user pool doesn't have a configured relying party id").

``SignInWays`` holds the local pool's values. Start-up sets them from the configuration
(LOCAL_COGNITO_FEATURE_PLAN, LOCAL_COGNITO_FIRST_AUTH_FACTORS, and the relying party id from
BASE_URL's host); tests set them to see each refusal.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import urllib.parse

from local_cognito.faults import CognitoFault

FEATURE_PLANS = ("LITE", "ESSENTIALS", "PLUS")
# The first factors this local pool can offer, in the order AvailableChallenges lists them.
FIRST_FACTORS = ("PASSWORD", "EMAIL_OTP", "WEB_AUTHN")
PASSWORDLESS = ("EMAIL_OTP", "WEB_AUTHN")
USER_AUTH_FLOW = "ALLOW_USER_AUTH"


@dataclasses.dataclass
class SignInWays:
    """The pool's feature plan, its allowed first factors, and its passkey settings."""

    feature_plan: str = "ESSENTIALS"
    first_factors: tuple[str, ...] = FIRST_FACTORS
    relying_party_id: str | None = None
    user_verification: str = "preferred"  # WebAuthnConfiguration UserVerification: required or preferred

    def allowed(self) -> tuple[str, ...]:
        """The first factors users may choose: on the Lite plan, only a password."""
        if self.feature_plan == "LITE":
            return tuple(f for f in self.first_factors if f not in PASSWORDLESS)
        return tuple(f for f in FIRST_FACTORS if f in self.first_factors)

    def check_passkeys(self) -> str:
        """The relying party id, when the pool lets users register and use passkeys; Cognito's
        refusal otherwise."""
        if "WEB_AUTHN" not in self.allowed():
            raise CognitoFault("WebAuthnNotEnabledException", "Passkeys are not enabled for this user pool.")
        if not self.relying_party_id:
            raise CognitoFault(
                "WebAuthnConfigurationMissingException",
                "The user pool has no relying party id configured for passkeys.",
            )
        return self.relying_party_id

    def origin_allowed(self, origin: str) -> bool:
        """Whether a ceremony at ``origin`` may use the relying party id: the origin's host is the id or
        one of its subdomains, over https (http only on localhost, as browsers allow)."""
        rp_id = self.relying_party_id or ""
        try:
            parts = urllib.parse.urlsplit(origin)
            host = parts.hostname or ""
        except ValueError:
            return False
        if host != rp_id and not host.endswith("." + rp_id):
            return False
        return parts.scheme == "https" or (
            parts.scheme == "http" and (host == "localhost" or host.endswith(".localhost"))
        )


def relying_party_id(base_url: str | None) -> str | None:
    """The relying party id for a site at ``base_url``: its host name. An IP address cannot be one
    (WebAuthn's relying party id is a domain): then the pool has none, and refuses passkeys."""
    host = urllib.parse.urlsplit(base_url).hostname if base_url else None
    if not host:
        return None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    return None

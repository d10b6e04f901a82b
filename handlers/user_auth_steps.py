"""The steps of choice-based sign-in (Cognito's USER_AUTH flow) as answers and as challenge responses:
what ``handlers.sign_in`` adds to a step's answer, and what ``respondToChallenge`` sends back.

- SELECT_CHALLENGE: the answer lists ``available_challenges`` (Cognito's AvailableChallenges); the
  client answers with ``answer`` (EMAIL_OTP, WEB_AUTHN or PASSWORD, then also ``pass``).
- EMAIL_OTP: a code was emailed; the answer says where (``delivery``), the client answers with
  ``totp`` (the code, as for the other code steps).
- WEB_AUTHN: the answer holds ``credential_request_options`` (Cognito's CREDENTIAL_REQUEST_OPTIONS,
  for navigator.credentials.get()); the client answers with ``credential``, the JSON of what that
  gave.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
from typing import Any

from server.errors import ApiError

log = logging.getLogger("handlers.passkeys")

SELECT_CHALLENGE = "SELECT_CHALLENGE"
EMAIL_OTP = "EMAIL_OTP"
WEB_AUTHN = "WEB_AUTHN"
# The ways SELECT_CHALLENGE may choose that this server can go on with.
CHOICES = ("EMAIL_OTP", "WEB_AUTHN", "PASSWORD")
# The steps answered with ``answer`` or ``credential`` (EMAIL_OTP is a code step).
STEPS = (SELECT_CHALLENGE, WEB_AUTHN)
MAX_CREDENTIAL_CHARACTERS = 16384


def step_details(challenge: str, parameters: dict, response: dict) -> dict:
    """What a client needs to answer ``challenge``, besides its session."""
    if challenge == SELECT_CHALLENGE:
        return {"available_challenges": [c for c in response.get("AvailableChallenges") or [] if isinstance(c, str)]}
    if challenge == EMAIL_OTP and parameters.get("CODE_DELIVERY_DESTINATION"):
        return {
            "delivery": {
                "destination": parameters.get("CODE_DELIVERY_DESTINATION"),
                "medium": parameters.get("CODE_DELIVERY_DELIVERY_MEDIUM", "EMAIL"),
            }
        }
    if challenge == WEB_AUTHN:
        try:
            options = json.loads(parameters.get("CREDENTIAL_REQUEST_OPTIONS") or "null")
        except (TypeError, ValueError):
            options = None
        if not isinstance(options, dict):
            raise ApiError("CognitoError")  # Cognito's WEB_AUTHN step always carries them
        return {"credential_request_options": options}
    return {}


def credential_json(credential: str) -> dict:
    """The ``credential`` field: a JSON object, as the page makes it from a PublicKeyCredential."""
    if len(credential) > MAX_CREDENTIAL_CHARACTERS:
        raise ApiError("InvalidCredential", field="credential")
    try:
        parsed = json.loads(credential)
    except ValueError:
        parsed = None
    if (
        not isinstance(parsed, dict)
        or not isinstance(parsed.get("id"), str)
        or not isinstance(parsed.get("response"), dict)
    ):
        raise ApiError("InvalidCredential", field="credential")
    return parsed


def step_responses(challenge: str, answer: str | None, credential: str | None, password: str | None) -> dict[str, str]:
    """ChallengeResponses (besides USERNAME and SECRET_HASH) for a SELECT_CHALLENGE or WEB_AUTHN step."""
    if challenge == WEB_AUTHN:
        if credential is None:
            raise ApiError(
                "MissingField", 'The sign-in step WEB_AUTHN needs the field "credential".', field="credential"
            )
        return {"CREDENTIAL": json.dumps(credential_json(credential))}
    if answer is None:
        raise ApiError("MissingField", 'The sign-in step SELECT_CHALLENGE needs the field "answer".', field="answer")
    if answer not in CHOICES:
        raise ApiError("InvalidField", f'"answer" must be one of {", ".join(CHOICES)}.', field="answer")
    if answer == "PASSWORD":
        if password is None:
            raise ApiError("MissingField", 'Answering PASSWORD needs the field "pass".', field="pass")
        return {"ANSWER": answer, "PASSWORD": password}
    return {"ANSWER": answer}


def check_relying_party(base_url: str | None, rp_id: Any) -> None:
    """403 PasskeysNotEnabled when the pool's relying party id (in the options Cognito gave) is not
    this site's host, BASE_URL's, nor a domain above it: browsers would refuse every ceremony here.
    The log tells whoever runs the server what to set. Without BASE_URL there is nothing to compare."""
    host = urllib.parse.urlsplit(base_url).hostname if base_url else None
    if host is None or (isinstance(rp_id, str) and (host == rp_id or host.endswith("." + rp_id))):
        return
    log.error(
        "The user pool's passkey relying party id %r does not cover this site's host %r (BASE_URL): set the "
        "pool's WebAuthnRelyingPartyID to %r",
        str(rp_id)[:256],
        host,
        host,
    )
    raise ApiError("PasskeysNotEnabled")


def not_taken(challenge: str, **given: str | None) -> None:
    """InvalidField for a field of the passwordless steps sent to a step that does not take it."""
    for name, value in given.items():
        if value is not None:
            name = name.rstrip("_")
            raise ApiError("InvalidField", f'The sign-in step {challenge[:64]} does not take "{name}".', field=name)

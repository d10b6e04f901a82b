"""The local Cognito's choice-based sign-in, driven with boto3 (whose model of cognito-idp, which we
did not write, shapes every request and parses every answer): USER_AUTH with emailed codes and
passkeys, SELECT_CHALLENGE, the WebAuthn credential operations, GetUserAuthFactors, and the refusals
of each way the pool or its app client has not allowed, with Cognito's documented error codes."""

from __future__ import annotations

import json
import urllib.request

import botocore.session
import pytest
from botocore.validate import ParamValidator

from local_cognito.service import LocalUserPool
from tests.support import CODE, PASSWORD
from tests.support.local_pool import error_code, new_email, signed_in, signed_up
from tests.support.passkeys import SoftAuthenticator

ORIGIN = "http://localhost:3006"


@pytest.fixture(autouse=True)
def ways(pool):
    """The pool as start-up makes it for http://localhost: every way allowed, passkeys for localhost;
    put back after each test."""
    ways = pool.sign_in_ways
    saved = (ways.feature_plan, ways.first_factors, ways.relying_party_id)
    ways.relying_party_id = "localhost"
    flows = list(pool.client.extended_config["ExplicitAuthFlows"])
    yield ways
    ways.feature_plan, ways.first_factors, ways.relying_party_id = saved
    pool.client.extended_config["ExplicitAuthFlows"] = flows


def user_auth(idp, email, preferred=None, **more):
    parameters = {"USERNAME": email, "SECRET_HASH": idp.hash(email), **more}
    if preferred:
        parameters["PREFERRED_CHALLENGE"] = preferred
    return idp.initiate_auth(ClientId=idp.client_id, AuthFlow="USER_AUTH", AuthParameters=parameters)


def respond(idp, started, name, **responses):
    user = started["ChallengeParameters"]["USER_ID_FOR_SRP"]
    return idp.respond_to_auth_challenge(
        ClientId=idp.client_id,
        ChallengeName=name,
        Session=started["Session"],
        ChallengeResponses={"USERNAME": user, "SECRET_HASH": idp.hash(user), **responses},
    )


def registered(idp, token, authenticator=None, origin=ORIGIN, **kwargs):
    authenticator = authenticator or SoftAuthenticator()
    options = idp.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    idp.complete_web_authn_registration(AccessToken=token, Credential=authenticator.create(options, origin, **kwargs))
    return authenticator


def test_an_emailed_code_signs_in_once(idp, pool):
    email = new_email()
    signed_up(idp, email)
    started = user_auth(idp, email, "EMAIL_OTP")
    assert started["ChallengeName"] == "EMAIL_OTP"
    assert started["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    assert started["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "m***@e***"
    assert (
        error_code(respond, idp=idp, started=started, name="EMAIL_OTP", EMAIL_OTP_CODE="999999")
        == "CodeMismatchException"
    )
    result = respond(idp, started, "EMAIL_OTP", EMAIL_OTP_CODE=CODE)["AuthenticationResult"]
    sub = started["ChallengeParameters"]["USER_ID_FOR_SRP"]
    assert idp.get_user(AccessToken=result["AccessToken"])["Username"] == sub
    assert (
        error_code(respond, idp=idp, started=started, name="EMAIL_OTP", EMAIL_OTP_CODE=CODE) == "NotAuthorizedException"
    )


def test_without_a_preference_the_pool_offers_its_ways(idp):
    email = new_email()
    signed_up(idp, email)
    started = user_auth(idp, email)
    assert (started["ChallengeName"], started["AvailableChallenges"]) == (
        "SELECT_CHALLENGE",
        ["PASSWORD", "EMAIL_OTP", "WEB_AUTHN"],
    )
    code_step = respond(idp, started, "SELECT_CHALLENGE", ANSWER="EMAIL_OTP")
    assert code_step["ChallengeName"] == "EMAIL_OTP"
    assert respond(idp, code_step, "EMAIL_OTP", EMAIL_OTP_CODE=CODE)["AuthenticationResult"]["AccessToken"]
    started = user_auth(idp, email)
    assert respond(idp, started, "SELECT_CHALLENGE", ANSWER="PASSWORD", PASSWORD=PASSWORD)["AuthenticationResult"]
    assert user_auth(idp, email, "PASSWORD", PASSWORD=PASSWORD)["AuthenticationResult"]["IdToken"]


def test_a_passkey_registers_and_signs_in_with_a_growing_sign_counter(idp, pool):
    user = signed_in(idp)
    authenticator = registered(idp, user["AccessToken"])
    listed = idp.list_web_authn_credentials(AccessToken=user["AccessToken"])["Credentials"]
    assert [(c["RelyingPartyId"], c["AuthenticatorTransports"], c["AuthenticatorAttachment"]) for c in listed] == [
        ("localhost", ["internal"], "platform")
    ]
    factors = idp.get_user_auth_factors(AccessToken=user["AccessToken"])
    assert factors["ConfiguredUserAuthFactors"] == ["PASSWORD", "EMAIL_OTP", "WEB_AUTHN"]
    assert factors["Username"] == user["sub"]
    for _ in range(2):
        started = user_auth(idp, user["email"], "WEB_AUTHN")
        options = json.loads(started["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
        assert options["rpId"] == "localhost"
        answer = authenticator.get(options, ORIGIN)
        assert respond(idp, started, "WEB_AUTHN", CREDENTIAL=json.dumps(answer))["AuthenticationResult"]
    stored = pool.db.one("SELECT record FROM webauthn_credentials WHERE key = ?", (listed[0]["CredentialId"],))
    assert json.loads(stored[0])["sign_count"] == 2  # kept in the database
    # An assertion replayed (the counter no longer grows) is refused, even on a fresh challenge.
    authenticator.counts = False
    started = user_auth(idp, user["email"], "WEB_AUTHN")
    stale = authenticator.get(json.loads(started["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"]), ORIGIN)
    assert (
        error_code(respond, idp=idp, started=started, name="WEB_AUTHN", CREDENTIAL=json.dumps(stale))
        == "NotAuthorizedException"
    )


def test_deleting_a_passkey_and_deleting_the_user_remove_it(idp, pool):
    user = signed_in(idp)
    registered(idp, user["AccessToken"])
    registered(idp, user["AccessToken"])
    credentials = idp.list_web_authn_credentials(AccessToken=user["AccessToken"], MaxResults=1)
    assert len(credentials["Credentials"]) == 1 and credentials["NextToken"]
    first = credentials["Credentials"][0]["CredentialId"]
    idp.delete_web_authn_credential(AccessToken=user["AccessToken"], CredentialId=first)
    assert (
        error_code(idp.delete_web_authn_credential, AccessToken=user["AccessToken"], CredentialId=first)
        == "ResourceNotFoundException"
    )
    assert len(idp.list_web_authn_credentials(AccessToken=user["AccessToken"])["Credentials"]) == 1
    idp.delete_user(AccessToken=user["AccessToken"])
    assert pool.db.one("SELECT count(*) FROM webauthn_credentials WHERE sub = ?", (user["sub"],))[0] == 0


def test_registration_refuses_another_relying_party_origin_or_challenge(idp):
    token = signed_in(idp)["AccessToken"]
    assert error_code(registered, idp=idp, token=token, rp_id="example.org") == "WebAuthnRelyingPartyMismatchException"
    assert (
        error_code(registered, idp=idp, token=token, origin="https://example.org")
        == "WebAuthnOriginNotAllowedException"
    )
    assert (
        error_code(registered, idp=idp, token=token, origin="http://sub.localhost.example")
        == "WebAuthnOriginNotAllowedException"
    )
    made = SoftAuthenticator().create({"rp": {"id": "localhost"}, "user": {"id": "eA"}, "challenge": "AAAA"}, ORIGIN)
    assert (
        error_code(idp.complete_web_authn_registration, AccessToken=token, Credential=made)
        == "WebAuthnChallengeNotFoundException"
    )


def test_a_registration_challenge_lasts_five_minutes(idp, clock):
    token = signed_in(idp)["AccessToken"]
    options = idp.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    clock.advance(301)
    token = signed_in(idp)["AccessToken"]  # a fresh token for a fresh user: the old challenge is another's
    assert (
        error_code(
            idp.complete_web_authn_registration,
            AccessToken=token,
            Credential=SoftAuthenticator().create(options, ORIGIN),
        )
        == "WebAuthnChallengeNotFoundException"
    )


def test_a_client_without_allow_user_auth_refuses_the_flow(idp, pool):
    email = new_email()
    signed_up(idp, email)
    pool.client.extended_config["ExplicitAuthFlows"].remove("ALLOW_USER_AUTH")
    with pytest.raises(Exception) as caught:
        user_auth(idp, email, "EMAIL_OTP")
    assert caught.value.response["Error"] == {
        "Code": "InvalidParameterException",
        "Message": "USER_AUTH flow not enabled for this client",
    }


def test_the_lite_plan_refuses_passwordless_ways_and_passkeys(idp, ways):
    email = new_email()
    signed_up(idp, email)
    token = signed_in(idp)["AccessToken"]
    ways.feature_plan = "LITE"
    assert error_code(user_auth, idp=idp, email=email, preferred="EMAIL_OTP") == "FeatureUnavailableInTierException"
    assert error_code(user_auth, idp=idp, email=email, preferred="WEB_AUTHN") == "FeatureUnavailableInTierException"
    assert user_auth(idp, email)["AvailableChallenges"] == ["PASSWORD"]
    assert error_code(idp.start_web_authn_registration, AccessToken=token) == "WebAuthnNotEnabledException"


def test_first_factors_the_pool_does_not_allow_are_refused(idp, ways):
    email = new_email()
    signed_up(idp, email)
    token = signed_in(idp)["AccessToken"]
    ways.first_factors = ("PASSWORD", "EMAIL_OTP")
    assert error_code(user_auth, idp=idp, email=email, preferred="WEB_AUTHN") == "InvalidParameterException"
    assert error_code(idp.start_web_authn_registration, AccessToken=token) == "WebAuthnNotEnabledException"
    assert idp.get_user_auth_factors(AccessToken=token)["ConfiguredUserAuthFactors"] == ["PASSWORD", "EMAIL_OTP"]
    ways.first_factors = ("PASSWORD", "WEB_AUTHN")
    assert error_code(user_auth, idp=idp, email=email, preferred="EMAIL_OTP") == "InvalidParameterException"
    ways.relying_party_id = None
    assert error_code(idp.start_web_authn_registration, AccessToken=token) == "WebAuthnConfigurationMissingException"


def test_an_unknown_user_gets_the_same_steps(idp):
    nobody = new_email()
    started = user_auth(idp, nobody, "EMAIL_OTP")
    assert started["ChallengeName"] == "EMAIL_OTP" and started["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"]
    assert (
        error_code(respond, idp=idp, started=started, name="EMAIL_OTP", EMAIL_OTP_CODE=CODE) == "CodeMismatchException"
    )
    started = user_auth(idp, nobody, "WEB_AUTHN")
    assert json.loads(started["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])["allowCredentials"] == []
    # The user id it is given is the same at every try, as a real user's sub is.
    ids = {user_auth(idp, nobody, way)["ChallengeParameters"]["USER_ID_FOR_SRP"] for way in (None, "EMAIL_OTP")}
    assert len(ids) == 1 and ids == {started["ChallengeParameters"]["USER_ID_FOR_SRP"]}


def test_passkeys_survive_a_restart(idp, pool, tmp_path):
    user = signed_in(idp)
    registered(idp, user["AccessToken"])
    again = LocalUserPool(pool.store.folder)
    assert [key for key, _ in again.passkeys.of_user(user["sub"])] == [
        c["CredentialId"] for c in idp.list_web_authn_credentials(AccessToken=user["AccessToken"])["Credentials"]
    ]
    again.db.close()


def raw_answer(local, operation: str, body: dict) -> dict:
    """The local Cognito's JSON answer itself, before any client parses it."""
    request = urllib.request.Request(
        local.endpoint_url,
        data=json.dumps(body).encode(),
        headers={
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def test_the_answers_have_the_shapes_of_botocores_model(idp, local):
    """botocore's validator, with its model of cognito-idp (AWS's, not ours), finds nothing wrong in
    the answers as the local Cognito sends them."""
    model = botocore.session.get_session().get_service_model("cognito-idp")
    user = signed_in(idp)
    token = user["AccessToken"]
    answers = {"StartWebAuthnRegistration": raw_answer(local, "StartWebAuthnRegistration", {"AccessToken": token})}
    idp.complete_web_authn_registration(
        AccessToken=token,
        Credential=SoftAuthenticator().create(
            answers["StartWebAuthnRegistration"]["CredentialCreationOptions"], ORIGIN
        ),
    )
    answers["ListWebAuthnCredentials"] = raw_answer(local, "ListWebAuthnCredentials", {"AccessToken": token})
    answers["GetUserAuthFactors"] = raw_answer(local, "GetUserAuthFactors", {"AccessToken": token})
    started = {
        "ClientId": idp.client_id,
        "AuthFlow": "USER_AUTH",
        "AuthParameters": {"USERNAME": user["email"], "SECRET_HASH": idp.hash(user["email"])},
    }
    answers["InitiateAuth"] = raw_answer(local, "InitiateAuth", started)
    for operation, answer in answers.items():
        report = ParamValidator().validate(answer, model.operation_model(operation).output_shape)
        assert not report.has_errors(), (operation, report.generate_report())
    assert answers["InitiateAuth"]["AvailableChallenges"] == ["PASSWORD", "EMAIL_OTP", "WEB_AUTHN"]

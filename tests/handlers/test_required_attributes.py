"""Pools that require attributes besides the email: the server names what is missing, the
NEW_PASSWORD_REQUIRED step lists what the user must give and takes it, and the local Cognito
(``LOCAL_COGNITO_REQUIRED_ATTRIBUTES``) asks for them as Cognito does.

Witnesses we did not write: real answers of Cognito quoted in public issues (the parsing of its
messages), botocore's model of cognito-idp (the challenge's parameter names, and that
AdminCreateUser takes a user without them), and moto's own server (which keeps the setting but
enforces nothing: a known gap, asserted as such).
"""

from __future__ import annotations

import html.parser
import urllib.parse
import uuid

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from playwright.sync_api import expect

from local_cognito import start_local_cognito
from server.cognito import secret_hash
from server.cognito_errors import from_exception, missing_attribute_names
from server.config import ConfigError, load_config
from server.signing import SignedValues
from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD, CODE, PASSWORD, Client, local_config, serve_app
from tests.support.chromium import chromium_page
from tests.support.hosted_ui import hosted_sign_in_page
from tests.support.moto_server import MotoServer

PASS = {"pass": PASSWORD}
TEMPORARY = "Temporary_pass_1"
MODEL = botocore.session.get_session().get_service_model("cognito-idp")


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:12]}@example.com"


# --- the setting --------------------------------------------------------------------------------------


def test_the_setting_lists_standard_attributes():
    config = load_config({"LOCAL_COGNITO_REQUIRED_ATTRIBUTES": " nickname, given_name email nickname"})
    assert config.local_required_attributes == ("nickname", "given_name")  # the email is required anyway
    assert load_config({}).local_required_attributes == ()


@pytest.mark.parametrize("value", ["nick", "custom:team", "nickname,sub"])
def test_the_setting_refuses_what_a_pool_cannot_require(value):
    with pytest.raises(ConfigError) as refused:
        load_config({"LOCAL_COGNITO_REQUIRED_ATTRIBUTES": value})
    assert "LOCAL_COGNITO_REQUIRED_ATTRIBUTES" in str(refused.value)
    assert repr(value.split(",")[-1]) in str(refused.value)


# --- the server over HTTP, on a local Cognito that requires nickname and given_name ------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data = tmp_path_factory.mktemp("required-attributes")
    local, config = start_local_cognito(
        load_config(
            local_config(
                str(data),
                LOCAL_COGNITO_REQUIRED_ATTRIBUTES="nickname,given_name",
                LOCAL_ADMIN_EMAIL=ADMIN_EMAIL,
                LOCAL_ADMIN_PASSWORD=ADMIN_PASSWORD,
            )
        )
    )
    server = serve_app(config, config.port)
    yield config
    server.stop()
    local.stop()


@pytest.fixture
def client(served):
    return Client(served.base_url)


@pytest.fixture(scope="module")
def admin_token(served):
    reply = Client(served.base_url).call("signIn", user=ADMIN_EMAIL, **{"pass": ADMIN_PASSWORD})
    assert reply.status == 200, reply.body
    return reply.json["access_token"]


def assert_missing(reply, *names: str) -> None:
    """400 MissingAttribute naming exactly ``names`` (the first as ``field``), in our words."""
    assert (reply.status, reply.json["error"]) == (400, "MissingAttribute"), reply.body
    assert reply.json["field"] == names[0]
    message = reply.json["message"]
    for name in ("nickname", "given_name"):
        assert (f'"{name}"' in message) == (name in names), message
    # Cognito's own text is not passed on.
    assert "conform" not in message and "Invalid attributes" not in message


def test_create_account_without_the_required_attributes_names_them(client):
    assert_missing(client.call("createAccount", user=new_email(), **PASS), "given_name", "nickname")
    assert_missing(client.call("createAccount", user=new_email(), nickname="Sam", **PASS), "given_name")
    assert_missing(client.call("createAccount", user=new_email(), given_name="Sam", **PASS), "nickname")
    assert_missing(client.call("createAccount", user=new_email(), given_name="Sam", nickname="", **PASS), "nickname")


def test_create_account_with_them_makes_the_account(client):
    email = new_email()
    reply = client.call("createAccount", user=email, nickname="Sam", given_name="Samantha", **PASS)
    assert reply.status == 200, reply.body
    reply = client.call("confirmAccount", user=email, conf_code=CODE, **PASS)
    assert reply.status == 200, reply.body
    attributes = client.call("getUser", access_token=reply.json["access_token"]).json["attributes"]
    assert (attributes["nickname"], attributes["given_name"]) == ("Sam", "Samantha")


def test_a_required_attribute_can_be_changed_but_not_emptied(client):
    email = new_email()
    assert client.call("createAccount", user=email, nickname="Sam", given_name="Samantha", **PASS).status == 200
    token = client.call("confirmAccount", user=email, conf_code=CODE, **PASS).json["access_token"]
    assert client.call("updateUser", access_token=token, nickname="Sammy").status == 200
    # Cognito: "Invalid user attributes: nickname: Required attribute cannot be deleted."
    reply = client.call("updateUser", access_token=token, nickname="")
    assert (reply.status, reply.json["error"]) == (400, "InvalidParameter")
    assert "deleted" not in reply.json["message"]
    assert client.call("getUser", access_token=token).json["attributes"]["nickname"] == "Sammy"


def admin_created(served, admin_token, **attributes: str) -> str:
    email = new_email()
    reply = Client(served.base_url).call(
        "adminCreateUser", access_token=admin_token, user=email, temp_pass=TEMPORARY, suppress_email=True, **attributes
    )
    # As Cognito documents: AdminCreateUser takes a user without the required attributes, and the
    # user gives them at the first sign-in.
    assert reply.status == 200, reply.body
    assert reply.json["user"]["status"] == "FORCE_CHANGE_PASSWORD"
    return email


def first_sign_in(client: Client, email: str) -> dict:
    reply = client.call("signIn", user=email, **{"pass": TEMPORARY})
    assert reply.status == 200 and reply.json["challenge"] == "NEW_PASSWORD_REQUIRED", reply.body
    return reply.json


def test_an_admin_created_user_gives_them_with_the_new_password(served, admin_token, client):
    email = admin_created(served, admin_token)
    step = first_sign_in(client, email)
    assert step["message"] == "NEW_PASSWORD_REQUIRED"
    assert sorted(step["required_attributes"]) == ["given_name", "nickname"]
    # Both are named: the server checks them itself (Cognito's answer would name only one).
    assert_missing(
        client.call("respondToChallenge", session=step["session"], new_pass="A_new_password_1"),
        "given_name",
        "nickname",
    )
    assert_missing(
        client.call("respondToChallenge", session=step["session"], new_pass="A_new_password_1", nickname="Nick"),
        "given_name",
    )
    reply = client.call(
        "respondToChallenge", session=step["session"], new_pass="A_new_password_1", nickname="Nick", given_name="Nicola"
    )
    assert reply.status == 200 and reply.json["access_token"], reply.body
    attributes = client.call("getUser", access_token=reply.json["access_token"]).json["attributes"]
    assert (attributes["nickname"], attributes["given_name"]) == ("Nick", "Nicola")
    assert client.call("signIn", user=email, **{"pass": "A_new_password_1"}).status == 200


def test_without_the_list_in_its_session_cognitos_answer_names_the_attribute(served, admin_token, client):
    """A session from a server that did not carry the list: Cognito's own refusal ("Invalid
    attributes given, given_name is missing") is read for the name, and only the name."""
    email = admin_created(served, admin_token)
    step = first_sign_in(client, email)
    challenges = SignedValues(served.cookie_secrets, "challenge", 1)
    unlisted = challenges.decode(step["session"])
    del unlisted["r"]
    reply = client.call(
        "respondToChallenge", session=challenges.encode(unlisted), new_pass="A_new_password_1", nickname="Nick"
    )
    assert_missing(reply, "given_name")


def test_a_user_created_with_them_is_asked_for_nothing_more(served, admin_token, client):
    email = admin_created(served, admin_token, nickname="Nick", given_name="Nicola")
    step = first_sign_in(client, email)
    assert step["required_attributes"] == []
    # "In a NEW_PASSWORD_REQUIRED challenge response, you can't modify a required attribute that
    # already has a value" (RespondToAuthChallenge's reference).
    reply = client.call("respondToChallenge", session=step["session"], new_pass="A_new_password_1", nickname="Another")
    assert (reply.status, reply.json["error"]) == (400, "InvalidParameter")
    reply = client.call("respondToChallenge", session=step["session"], new_pass="A_new_password_1")
    assert reply.status == 200 and reply.json["access_token"], reply.body


def test_respond_to_challenge_takes_only_attributes(served, admin_token, client):
    step = first_sign_in(client, admin_created(served, admin_token))
    reply = client.call(
        "respondToChallenge", session=step["session"], new_pass="A_new_password_1", favourite_colour="blue"
    )
    assert (reply.status, reply.json["error"], reply.json["field"]) == (400, "UnknownField", "favourite_colour")


def test_the_local_cognito_answers_in_cognitos_words(served):
    """What botocore receives from the local Cognito, which the server then reads."""
    idp = boto3.client(
        "cognito-idp",
        region_name="us-east-1",
        endpoint_url=served.endpoint_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    email = new_email()
    with pytest.raises(ClientError) as refused:
        idp.sign_up(
            ClientId=served.client_id,
            Username=email,
            Password=PASSWORD,
            SecretHash=secret_hash(email, served.client_id, served.client_secret),
            UserAttributes=[{"Name": "nickname", "Value": "Sam"}],
        )
    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidParameterException"
    assert error["Message"] == "Attributes did not conform to the schema: given_name: The attribute is required\n"


# --- Cognito's messages, as real answers quoted in public issues show them --------------------------


@pytest.mark.parametrize(
    "message,names",
    [
        # aws-amplify/amplify-js#935 (SignUp, the issue shows it cut short after "given_name: The at"),
        # and the same answer for several attributes, one per line, as quoted with it.
        ("Attributes did not conform to the schema: given_name: The attribute is required\n", ["given_name"]),
        (
            "Attributes did not conform to the schema: name: The attribute is required\npicture: The attribute is "
            "required\ngender: The attribute is required\nbirthdate: The attribute is required\n",
            ["name", "picture", "gender", "birthdate"],
        ),
        # The same as some clients print it, on one line.
        (
            "Attributes did not conform to the schema: name: The attribute is required family_name: The attribute "
            "is required",
            ["name", "family_name"],
        ),
        # The wording that repeats the name.
        ("Attributes did not conform to the schema: nickname: The attribute nickname is required", ["nickname"]),
        # aws/aws-sdk-js#1290 (AdminRespondToAuthChallenge, NEW_PASSWORD_REQUIRED).
        ("Invalid attributes given, name is missing", ["name"]),
        # amazon-archives/aws-cognito-angular-quickstart#116 (completeNewPasswordChallenge).
        ("Invalid attributes given, given_name is missing", ["given_name"]),
        # thedistance/ra-cognito#5, as the issue wraps it.
        ("Invalid attributes given,\naddress is missing", ["address"]),
        # pmill/aws-cognito#25 (its spelling).
        ("Invalid attributes given, name and adress is missing", ["name", "adress"]),
    ],
)
def test_cognitos_missing_attribute_answers_are_read_for_the_names(message, names):
    assert missing_attribute_names(message) == names
    error = from_exception(
        "SignUp",
        ClientError(
            {
                "Error": {"Code": "InvalidParameterException", "Message": message},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            },
            "SignUp",
        ),
    )
    assert (error.code, error.status, error.field) == ("MissingAttribute", 400, names[0])
    assert all(f'"{name}"' in error.message for name in names)
    assert "conform" not in error.message and "Invalid attributes" not in error.message


@pytest.mark.parametrize(
    "message",
    [
        # aws-amplify/amplify-js#5532: an attribute the schema does not have is another complaint.
        "Attributes did not conform to the schema: phone: Attribute does not exist in the schema.\n",
        # aws-amplify/amplify-flutter#509.
        "Attributes did not conform to the schema: custom:firstName: Attribute does not exist in the schema.\n"
        "custom:dateOfBirth: Attribute does not exist in the schema.\ncustom:lastName: Attribute does not exist "
        "in the schema.\n",
        # A missing attribute beside another complaint: not only missing attributes.
        "Attributes did not conform to the schema: nickname: The attribute is required\n"
        "phone: Attribute does not exist in the schema.\n",
        # agentlang-ai/agentlang#240: names no Cognito attribute has (and no field could carry).
        "Attributes did not conform to the schema: name.givenName: The attribute name.givenName is required,\n"
        "name.familyName: The attribute name.familyName is required",
        # The local Cognito's, and Cognito's, other InvalidParameterExceptions.
        "Username should be an email.",
        "Invalid attributes given, new password should be given with key NEW_PASSWORD.",
        "Cannot reset password for the user as there is no registered/verified email or phone_number",
    ],
)
def test_anything_else_stays_the_generic_invalid_parameter(message):
    assert missing_attribute_names(message) is None
    error = from_exception(
        "SignUp",
        ClientError(
            {
                "Error": {"Code": "InvalidParameterException", "Message": message},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            },
            "SignUp",
        ),
    )
    assert (error.code, error.field) == ("InvalidParameter", None)


# --- botocore's model ---------------------------------------------------------------------------------


def test_botocores_model_names_the_challenge_parameters_the_server_uses():
    from handlers.sign_in import USER_ATTRIBUTE_PREFIX, required_attributes

    responses = MODEL.operation_model("RespondToAuthChallenge").input_shape.members["ChallengeResponses"]
    assert '"userAttributes.[attribute_name]": "[attribute_value]"' in responses.documentation
    assert USER_ATTRIBUTE_PREFIX == "userAttributes."
    for operation in ("InitiateAuth", "RespondToAuthChallenge"):
        name_doc = MODEL.operation_model(operation).output_shape.members["ChallengeName"].documentation
        assert "<code>requiredAttributes</code> parameter" in name_doc
    # aws/aws-sdk-js#1290 quotes the parameter as Cognito sends it.
    assert required_attributes({"requiredAttributes": '["userAttributes.family_name","userAttributes.name"]'}) == [
        "family_name",
        "name",
    ]
    assert required_attributes({"requiredAttributes": "not json"}) == []
    assert required_attributes({"requiredAttributes": '["userAttributes.<b>", 5, "email_verified"]'}) == []


def test_botocores_model_says_admin_create_user_takes_a_user_without_them():
    documentation = MODEL.operation_model("AdminCreateUser").input_shape.members["UserAttributes"].documentation
    assert "You can create a user without specifying any attributes other than <code>Username</code>" in documentation
    assert "or the user should supply" in documentation


# --- moto's own server --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moto_idp(tmp_path_factory):
    moto = MotoServer(str(tmp_path_factory.mktemp("moto") / "moto_server.log"))
    idp = moto.client()
    pool = idp.create_user_pool(
        PoolName="required",
        UsernameAttributes=["email"],
        Schema=[
            {"Name": "email", "AttributeDataType": "String", "Required": True},
            {"Name": "nickname", "AttributeDataType": "String", "Required": True},
        ],
    )["UserPool"]
    client = idp.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="app",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    yield idp, pool["Id"], client["ClientId"]
    moto.stop()


def test_moto_server_keeps_the_required_setting(moto_idp):
    idp, pool_id, _ = moto_idp
    schema = {a["Name"]: a for a in idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["SchemaAttributes"]}
    assert schema["nickname"]["Required"] is True


def test_moto_server_does_not_enforce_required_attributes_a_known_gap(moto_idp):
    """moto accepts a SignUp without the required nickname (Cognito refuses it with
    InvalidParameterException), and its NEW_PASSWORD_REQUIRED lists no requiredAttributes and takes
    an answer without them. The local Cognito does what Cognito does (the tests above)."""
    idp, pool_id, client_id = moto_idp
    signed_up = idp.sign_up(ClientId=client_id, Username=new_email(), Password="Moto_password_1")
    assert signed_up["UserSub"]  # Cognito: "Attributes did not conform to the schema: nickname: ..."
    # AdminCreateUser without it: here moto and Cognito's documentation agree.
    email = new_email()
    idp.admin_create_user(
        UserPoolId=pool_id, Username=email, TemporaryPassword="Temporary_pass_1", MessageAction="SUPPRESS"
    )
    step = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": "Temporary_pass_1"},
    )
    assert step["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert "requiredAttributes" not in step["ChallengeParameters"]  # Cognito: '["userAttributes.nickname"]'
    done = idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": "Moto_password_2"},
    )
    assert done["AuthenticationResult"]["AccessToken"]  # Cognito: "Invalid attributes given, nickname is missing"


# --- the local Cognito's hosted UI ----------------------------------------------------------------------


class FormFields(html.parser.HTMLParser):
    """The first form of a page: its action and its inputs (name, type, required)."""

    def __init__(self, page: str):
        super().__init__()
        self.action, self.inputs, self._state = None, {}, "before"
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self._state == "before":
            self.action, self._state = attrs.get("action"), "in"
        elif tag == "input" and self._state == "in" and attrs.get("name"):
            self.inputs[attrs["name"]] = {
                "type": attrs.get("type"),
                "value": attrs.get("value", ""),
                "required": "required" in attrs,
            }

    def handle_endtag(self, tag):
        if tag == "form" and self._state == "in":
            self._state = "after"


def post_form(browser: Client, page_url: str, form: FormFields, **values: str):
    fields = {name: values.get(name, field["value"]) for name, field in form.inputs.items()}
    return browser.request(
        "POST",
        urllib.parse.urljoin(page_url, form.action),
        urllib.parse.urlencode(fields).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )


def test_the_hosted_ui_sign_up_asks_for_the_required_attributes(served):
    browser = Client(served.base_url)
    sign_in = hosted_sign_in_page(browser)
    signup_url = urllib.parse.urljoin(sign_in.url, "/signup?" + urllib.parse.urlsplit(sign_in.url).query)
    page = browser.request("GET", signup_url, headers={"Accept": "text/html"})
    form = FormFields(page.body.decode())
    assert form.inputs["nickname"]["required"] and form.inputs["given_name"]["required"]
    assert b"Given name" in page.body
    email = new_email()
    # Sent without one (as a browser ignoring "required" would): the page says which, keeps the rest.
    refused = post_form(browser, signup_url, form, email=email, password=PASSWORD, nickname="Sam")
    assert refused.status == 400 and b"given_name" in refused.body
    assert FormFields(refused.body.decode()).inputs["nickname"]["value"] == "Sam"
    done = post_form(browser, signup_url, form, email=email, password=PASSWORD, nickname="Sam", given_name="Samantha")
    assert done.status == 200 and b"confirmation code" in done.body, done.body[:500]


def test_the_hosted_ui_asks_an_admin_created_user_for_them_with_the_new_password(served, admin_token):
    email = admin_created(served, admin_token, nickname="Nick")
    browser = Client(served.base_url)
    sign_in = hosted_sign_in_page(browser)
    page = post_form(browser, sign_in.url, FormFields(sign_in.body.decode()), email=email, password=TEMPORARY)
    form = FormFields(page.body.decode())
    assert page.status == 200 and form.action == "/login/new-password", page.body[:500]
    assert form.inputs["given_name"]["required"] and "nickname" not in form.inputs  # it has one already
    refused = post_form(browser, sign_in.url, form, password="A_new_password_1")
    assert refused.status == 400 and b"given_name is missing" in refused.body
    reply = post_form(
        browser, sign_in.url, FormFields(refused.body.decode()), password="A_new_password_1", given_name="Nicola"
    )
    assert reply.status == 302 and "/callback?" in reply.headers["Location"], reply.body[:500]


# --- the page, in a browser -------------------------------------------------------------------------------


def test_the_page_names_an_attribute_its_form_cannot_ask_for_and_focuses_one_it_can(served):
    with chromium_page() as page:
        page.goto(served.base_url + "/")
        page.click("#tab-sign-up")
        page.fill("#sign-up-email", new_email())
        page.fill("#sign-up-password", PASSWORD)
        page.fill("#sign-up-nickname", "Sam")
        page.click("#sign-up-form button[type=submit]")
        # The pool also requires given_name, which the page's form has no field for.
        expect(page.locator("#sign-up-message")).to_contain_text("“given_name”")

        # Cognito names the nickname (a pool may check its value too): its field gets the focus.
        page.route(
            served.base_url + "/",
            lambda route: (
                route.fulfill(
                    status=400,
                    content_type="application/json",
                    body='{"message": "x", "error": "MissingAttribute", "field": "nickname"}',
                )
                if route.request.method == "POST"
                else route.continue_()
            ),
        )
        page.click("#sign-up-form button[type=submit]")
        expect(page.locator("#sign-up-message")).to_have_text("Please fill in “Nickname”.")
        expect(page.locator("#sign-up-nickname")).to_be_focused()
        assert page.get_attribute("#sign-up-nickname", "aria-invalid") == "true"

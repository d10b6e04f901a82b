"""``GET /openapi.json``: a valid OpenAPI document of every method, error code and route, and a live
server that answers as it says, for requests schemathesis generates from it and for real calls."""

from __future__ import annotations

import uuid
from http.cookies import SimpleCookie

import hypothesis
import jsonschema_rs
import pyotp
import pytest
import schemathesis
import tornado.web
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local_cognito import start_local_cognito
from server import openapi
from server.app import make_app
from server.config import load_config
from server.endpoint import JsonHandler
from server.errors import CATALOGUE
from server.registry import METHODS
from tests.support import CODE, PASSWORD, Client, Photos, local_config, picture, serve_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
OPERATIONS = openapi.described_operations(make_app(None))
JSON_TYPES = {str: "string", int: "integer", bool: "boolean"}


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    """A server on a pool of its own: generated requests create accounts and sign people out, which
    must not reach the shared pool the other tests use. Its rate limits are off, so that the real
    calls after hundreds of generated ones still reach Cognito."""
    data = tmp_path_factory.mktemp("openapi-cognito")
    local, config = start_local_cognito(
        load_config(local_config(str(data), RATE_LIMIT_PER_ADDRESS="off", RATE_LIMIT_PER_USER="off"))
    )
    server = serve_app(config, config.port)
    yield config.base_url
    server.stop()
    local.stop()


@pytest.fixture(scope="module")
def document(own_server):
    reply = Client(own_server).request("GET", "/openapi.json")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert reply.headers["X-Request-Id"]
    return reply.json


@pytest.fixture(scope="module")
def api_schema(own_server):
    """The document the server serves, as schemathesis reads it."""
    config = schemathesis.Config.from_dict({"base-url": own_server})
    return schemathesis.openapi.from_url(own_server + "/openapi.json", config=config)


@pytest.fixture(scope="module")
def photo_owner(own_server):
    """A signed-in person with one photo, so the photos routes have something to answer."""
    client = Client(own_server)
    email = f"photos-{uuid.uuid4().hex[:8]}@example.com"
    assert client.call("createAccount", user=email, **{"pass": PASSWORD}).status == 200
    reply = client.call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD})
    assert reply.status == 200, reply.body
    token = reply.json["access_token"]
    assert Photos(client, token).upload(picture(), "a red and blue picture").status == 201
    return token


def remember_cookies(set_cookie_headers: list[str], cookies: dict[str, str]) -> None:
    """Keep what Set-Cookie sets, and drop what it clears, as a browser on localhost does."""
    for header in set_cookie_headers:
        jar = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            if morsel["max-age"] == "0":
                cookies.pop(name, None)
            else:
                cookies[name] = morsel.value


def request_validator(document: dict) -> jsonschema_rs.Validator:
    """What ``POST /`` takes, as JSON Schema (its references resolved in the document's components)."""
    schema = document["paths"]["/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return jsonschema_rs.Draft202012Validator({**schema, "components": document["components"]})


# --- the document ---------------------------------------------------------------------------------


def test_schemathesis_reads_a_valid_openapi_3_1_document(api_schema, document):
    assert document["openapi"] == "3.1.0"
    api_schema.validate()  # raises when the document breaks the OpenAPI 3.1 schema
    labels = {result.ok().label for result in api_schema.get_all_operations()}
    # Schemathesis leaves out the operation that serves the document itself.
    assert labels == {f"{method.upper()} {path}" for path, method in OPERATIONS} - {"GET /openapi.json"}


def test_the_document_is_built_once(own_server, document, monkeypatch):
    built = []
    monkeypatch.setattr(openapi, "build_document", lambda *args: built.append(args) or {})
    assert Client(own_server).request("GET", "/openapi.json").json == document
    assert built == []


def test_every_route_of_the_app_is_documented(document):
    listed = {(path, method) for path, operations in document["paths"].items() for method in operations}
    # A route that does not declare what it answers would be listed here, but not in OPERATIONS.
    assert listed == set(OPERATIONS)


def test_a_route_nobody_described_is_listed_from_its_handler():
    class Gadgets(JsonHandler):
        def get(self, gadget_id: str) -> None:
            """One gadget."""

    document = openapi.build_document(tornado.web.Application([(r"/gadgets/([0-9]+)", Gadgets)]), "Gadgets")
    operation = document["paths"]["/gadgets/{gadget_id}"]["get"]
    assert operation["summary"] == "One gadget."
    assert operation["parameters"] == [
        {"name": "gadget_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^(?:[0-9]+)$"}}
    ]


def test_path_parameters_come_from_the_route_table(document):
    parameters = {p["name"]: p for p in document["paths"]["/photos/{photo_id}/{kind}"]["get"]["parameters"]}
    assert parameters["kind"]["schema"] == {"type": "string", "enum": ["image", "thumbnail"]}
    assert parameters["photo_id"]["schema"]["pattern"] == "^(?:[A-Za-z0-9_-]{1,64})$"
    assert parameters["photo_id"]["in"] == "path" and parameters["photo_id"]["required"] is True


def test_every_method_has_a_schema_in_both_envelopes(document):
    schemas = document["components"]["schemas"]
    assert set(schemas["EnvRequest"]["discriminator"]["mapping"]) == set(METHODS)
    assert set(schemas["RpcRequest"]["discriminator"]["mapping"]) == set(METHODS)
    for name, method in METHODS.items():
        env, rpc = schemas[f"env.{name}"], schemas[f"rpc.{name}"]
        assert env["properties"]["env"] == {"const": name}
        assert rpc["properties"]["method"] == {"const": name}
        assert set(env["properties"]) == {"env", *(f.name for f in method.fields)}
        assert set(env["required"]) == {"env", *(f.name for f in method.fields if f.required)}
        for field in method.fields:
            kind = JSON_TYPES[field.type]
            assert env["properties"][field.name]["type"] == ([kind, "null"] if field.nullable else kind)
        if method.extra_type is None:
            assert env["additionalProperties"] is False
        else:
            assert env["additionalProperties"] == {"type": JSON_TYPES[method.extra_type]}
        by_name, by_position = rpc["properties"]["params"]["oneOf"]
        assert by_name["properties"] == {k: v for k, v in env["properties"].items() if k != "env"}
        assert by_position["maxItems"] == len(method.fields)


def test_the_methods_descriptions_are_their_handlers_docstrings(document):
    schemas = document["components"]["schemas"]
    assert schemas["env.deleteAcct"]["description"] == "Delete the signed-in user's account, then their photos."
    assert schemas["env.adminDeleteAcct"]["description"] == "Another name for `adminDeleteUser`."


@pytest.mark.parametrize(
    "body,valid",
    [
        ({"env": "signIn", "user": "sam@example.com", "pass": PASSWORD}, True),
        ({"env": "signIn", "user": "sam@example.com"}, False),
        ({"env": "signIn", "user": ["sam"], "pass": PASSWORD}, False),
        ({"env": "signIn", "user": "sam@example.com", "pass": PASSWORD, "pas": PASSWORD}, False),
        ({"env": "createAccount", "user": "sam@example.com", "pass": PASSWORD, "nickname": "Sam"}, True),
        ({"env": "createAccount", "user": "sam@example.com", "pass": PASSWORD, "nickname": 5}, False),
        ({"env": "createAccount", "user": "sam@example.com", "pass": PASSWORD, "pass_": "x"}, False),
        ({"env": "createAccount", "user": "sam@example.com", "pass": PASSWORD, "jsonrpc": "2.0"}, False),
        ({"env": "refresh"}, True),
        ({"env": "launchRockets"}, False),
        ({"env": "respondToChallenge", "session": "s", "totp": "123456", "new_pass": None}, True),
        ({"env": "adminListUsers", "access_token": "t", "limit": 20}, True),
        ({"env": "adminListUsers", "access_token": "t", "limit": "20"}, False),
        ({"env": "setMfa", "access_token": "t", "enabled": 1}, False),
        (
            {"jsonrpc": "2.0", "method": "signIn", "params": {"user": "sam@example.com", "pass": PASSWORD}, "id": 1},
            True,
        ),
        ({"jsonrpc": "2.0", "method": "signIn", "params": ["sam@example.com", PASSWORD], "id": "a"}, True),
        ({"jsonrpc": "2.0", "method": "signIn", "params": ["sam@example.com"], "id": 1}, False),
        ({"jsonrpc": "2.0", "method": "signIn", "params": ["sam@example.com", PASSWORD, "x"], "id": 1}, False),
        ({"jsonrpc": "2.0", "method": "signIn", "params": {"user": "sam@example.com"}, "id": 1}, False),
        ({"jsonrpc": "2.0", "method": "refresh"}, True),
        ({"jsonrpc": "1.0", "method": "refresh", "id": 1}, False),
        ([{"jsonrpc": "2.0", "method": "refresh", "id": 1}, {"jsonrpc": "2.0", "method": "signOut"}], True),
        ([], False),
    ],
)
def test_the_request_schema_takes_what_the_registry_takes(document, body, valid):
    assert request_validator(document).is_valid(body) is valid


def test_every_error_code_is_documented_with_its_status(document):
    assert document["components"]["schemas"]["ErrorCode"]["enum"] == list(CATALOGUE)
    answered = set()
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                codes = schema.get("properties", {}).get("error", {}).get("enum", [])
                answered |= {(code, int(status)) for code in codes}
                if status == "429":
                    assert response["headers"]["Retry-After"]["required"] is True
    # MethodNotAllowed answers the HTTP methods a route does not take, which no operation lists.
    assert {(code, kind.status) for code, kind in CATALOGUE.items() if code != "MethodNotAllowed"} <= answered


def test_post_lists_the_endpoints_codes_under_their_status(document):
    responses = document["paths"]["/"]["post"]["responses"]

    def codes(status: int) -> list[str]:
        return responses[str(status)]["content"]["application/json"]["schema"]["properties"]["error"]["enum"]

    for code in (
        "MissingField",
        "NotAuthorized",
        "Forbidden",
        "UserNotFound",
        "UsernameExists",
        "BodyTooLarge",
        "RateLimited",
        "InternalError",
        "CognitoError",
        "AdminUnavailable",
        "CognitoTimeout",
    ):
        assert code in codes(CATALOGUE[code].status)
    assert "PhotoNotFound" not in codes(404) and "HostedUiOff" not in codes(503)  # other routes' codes
    assert "405" not in responses
    assert responses["500"]["content"]["application/json"]["schema"]["required"] == ["message", "error", "request_id"]
    assert responses["429"]["headers"]["Retry-After"]["required"] is True


# --- the live server ------------------------------------------------------------------------------


@pytest.mark.parametrize("path,method", OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
def test_the_server_answers_generated_requests_as_documented(api_schema, photo_owner, path, method):
    operation = api_schema[path][method]
    # The photos routes get a real person's token; generated requests elsewhere need no sign-in.
    headers = {"Authorization": f"Bearer {photo_owner}"} if path.startswith("/photos") else {}
    cases = hypothesis.strategies.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )

    @hypothesis.given(case=cases)
    @hypothesis.settings(
        max_examples=200 if path == "/" else 30,
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    def answers_as_documented(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    answers_as_documented()


def test_real_calls_are_answered_as_documented(api_schema):
    """Successes a generator would not reach: an account, its tokens, a sign-in step, JSON-RPC."""
    operation = api_schema["/"]["post"]
    email = f"openapi-{uuid.uuid4().hex[:8]}@example.com"
    cookies: dict[str, str] = {}

    def call(body) -> dict | list | None:
        case = operation.Case(body=body, media_type="application/json")
        response = case.call(cookies=cookies)
        remember_cookies(response.headers.get("set-cookie", []), cookies)
        case.validate_response(response, checks=CHECKS)
        assert response.status_code in (200, 204), response.text
        return response.json() if response.content else None

    assert call({"env": "createAccount", "user": email, "pass": PASSWORD, "nickname": "Sam"})["message"] == "OK"
    token = call({"env": "confirmAccount", "user": email, "pass": PASSWORD, "conf_code": CODE})["access_token"]
    assert call({"env": "getUser", "access_token": token})["attributes"]["email"] == email
    assert call({"env": "refresh"})["token_type"] == "Bearer"
    secret = call({"env": "QR_init", "access_token": token, "user": email})["secret_code"]
    assert call({"env": "QR_TOTP", "access_token": token, "totp": pyotp.TOTP(secret).now()})["mfa_enabled"] is True
    step = call({"jsonrpc": "2.0", "method": "signIn", "params": [email, PASSWORD], "id": 7})
    assert step["result"]["message"] == "MFA_REQUIRED" and step["id"] == 7
    batch = call(
        [
            {"jsonrpc": "2.0", "method": "getUser", "params": {"access_token": token}, "id": "a"},
            5,
            {"jsonrpc": "2.0", "method": "nothing", "id": "b"},
            {"jsonrpc": "2.0", "method": "refresh"},
        ]
    )
    assert [answer["id"] for answer in batch] == ["a", None, "b"]
    assert call({"jsonrpc": "2.0", "method": "refresh"}) is None  # a notification only: 204
    # A password change of this account (codes on): every session ends, and the new sign-in's step.
    step = call({"env": "changePass", "old_pass": PASSWORD, "new_pass": PASSWORD + "_2", "access_token": token})
    assert step["other_sessions_ended"] is True and step["challenge"] == "SOFTWARE_TOKEN_MFA"

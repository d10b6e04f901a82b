"""Unit tests where the logic is pure: SECRET_HASH, configuration, field binding, error mapping,
and the refresh cookie's codec."""

from __future__ import annotations

import re
import time

import pytest
from botocore.exceptions import (ClientError, ConnectTimeoutError, EndpointConnectionError,
                                 ParamValidationError, ReadTimeoutError)
from tornado.web import create_signed_value

from server.cognito import secret_hash
from server.cognito_errors import COGNITO_TO_OURS, from_exception
from server.config import ConfigError, load_config
from server.cookies import read_cookie
from server.refresh_cookie import REFRESH_COOKIE, RefreshCookieCodec, StoredRefreshToken
from server.signing import SignedValues, key_version
from server.dispatch import parse_json
from server.errors import ApiError
from server.registry import METHODS, bind, field_name

import handlers  # noqa: F401


# --- SECRET_HASH --------------------------------------------------------------------------------

def test_secret_hash_matches_the_reference_vector():
    assert secret_hash("alice@example.com", "abc123clientid", "topsecret") == \
        "bXxy/dOfH+mr4mAW3CYDmFMsz8MbBWeIUA5prPOth48="


def test_secret_hash_depends_on_the_username():
    assert secret_hash("a@example.com", "c", "s") != secret_hash("b@example.com", "c", "s")


# --- configuration ------------------------------------------------------------------------------

REAL = {"COGNITO_REGION_NAME": "eu-west-1", "COGNITO_USER_POOL_ID": "eu-west-1_abc",
        "COGNITO_USER_CLIENT_ID": "client", "COGNITO_CLIENT_SECRET": "secret", "COOKIE_SECRET": "k1"}


def test_no_cognito_variables_means_local_mode():
    config = load_config({})
    assert config.local and config.port == 3006


def test_a_partial_configuration_names_what_is_missing():
    with pytest.raises(ConfigError) as caught:
        load_config({"COGNITO_REGION_NAME": "eu-west-1", "COGNITO_USER_POOL_ID": "p"})
    message = str(caught.value)
    for name in ("COGNITO_USER_CLIENT_ID", "COGNITO_CLIENT_SECRET", "COOKIE_SECRET"):
        assert name in message
    assert "COGNITO_REGION_NAME, COGNITO_USER_POOL_ID" in message  # what was found


def test_a_real_configuration_is_read_once_with_its_defaults():
    config = load_config(dict(REAL, PORT="8080", ALLOWED_ORIGINS="https://a.example, http://localhost:5173/",
                              COOKIE_SECRET="new old"))
    assert not config.local
    assert (config.port, config.region, config.client_id) == (8080, "eu-west-1", "client")
    assert config.allowed_origins == ("https://a.example", "http://localhost:5173")
    assert config.cookie_secrets == ("new", "old")
    assert config.jwks_url == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/jwks.json"
    assert "secret" not in repr(config)


def test_the_port_option_wins_and_the_endpoint_moves_the_jwks():
    config = load_config(dict(REAL, PORT="8080", COGNITO_ENDPOINT_URL="http://localhost:4566/"), port=9000)
    assert config.port == 9000
    assert config.jwks_url == "http://localhost:4566/eu-west-1_abc/.well-known/jwks.json"


def test_the_issuer_follows_the_endpoint_unless_given():
    assert load_config(REAL).issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
    local_stack = load_config(dict(REAL, COGNITO_ENDPOINT_URL="http://localhost:4566/"))
    assert local_stack.issuer == "http://localhost:4566/eu-west-1_abc"
    given = load_config(dict(REAL, COGNITO_ENDPOINT_URL="http://localhost:4566",
                             COGNITO_ISSUER="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/"))
    assert given.issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"


def test_admin_settings_are_read_and_secrets_kept_out_of_repr():
    config = load_config(dict(REAL, ADMIN_GROUP="staff", APP_NAME="Photo Share", STS_USER_CLIENT_ID="AKIAEXAMPLE",
                              STS_USER_CLIENT_SECRET="sts-secret-value", AWS_ENDPOINT_URL_STS="http://127.0.0.1:1/"))
    assert (config.admin_group, config.app_name) == ("staff", "Photo Share")
    assert (config.sts_access_key_id, config.sts_endpoint_url) == ("AKIAEXAMPLE", "http://127.0.0.1:1")
    assert "sts-secret-value" not in repr(config)
    assert load_config(REAL).admin_group == "admin"
    local = load_config({"LOCAL_ADMIN_EMAIL": "boss@example.com", "LOCAL_ADMIN_PASSWORD": "local-admin-pw"})
    assert local.local_admin_email == "boss@example.com" and "local-admin-pw" not in repr(local)


@pytest.mark.parametrize("env", [{"ROOT_USER_CLIENT_ID": "AKIAROOT"}, {"ROOT_USER_CLIENT_SECRET": "s"},
                                 dict(REAL, ROOT_USER_CLIENT_ID="AKIAROOT", ROOT_USER_CLIENT_SECRET="s")])
def test_root_account_keys_are_refused_with_the_reason(env):
    with pytest.raises(ConfigError) as caught:
        load_config(env)
    message = str(caught.value)
    for name in (n for n in env if n.startswith("ROOT_USER_")):
        assert name in message
    assert "root" in message and "IAM" in message and "STS_USER_CLIENT_ID" in message
    assert "AKIAROOT" not in message


@pytest.mark.parametrize("env,needle", [
    ({"WORKERS": "0"}, "WORKERS"), ({"WORKERS": "many"}, "WORKERS"), ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
    ({"TRUSTED_PROXIES": "nginx.local"}, "TRUSTED_PROXIES"), ({"RATE_LIMIT_PER_USER": "10"}, "RATE_LIMIT_PER_USER"),
    ({"RATE_LIMIT_PER_ADDRESS": "0/60"}, "RATE_LIMIT_PER_ADDRESS"), ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
    ({"REDIS_URL": "redis://localhost:notaport/0"}, "REDIS_URL"),
])
def test_production_settings_that_make_no_sense_stop_start_up_naming_them(env, needle):
    with pytest.raises(ConfigError, match=needle):
        load_config(env)


def test_production_settings_are_read():
    config = load_config({"WORKERS": "3", "LOG_FORMAT": "JSON", "TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8",
                          "RATE_LIMIT_PER_ADDRESS": "5/10", "RATE_LIMIT_PER_USER": "off",
                          "REDIS_URL": "redis://:pw@localhost:6379/0"}, workers=None)
    assert (config.workers, config.log_format, config.rate_limit_per_address, config.rate_limit_per_user) == (
        3, "json", (5, 10.0), None)
    assert [str(n) for n in config.trusted_proxies] == ["127.0.0.1/32", "10.0.0.0/8"]
    assert "pw" not in repr(config)
    assert load_config({"WORKERS": "3"}, workers=2).workers == 2
    with pytest.raises(ConfigError, match="WORKERS"):
        load_config({}, workers=0)


def test_hosted_ui_settings():
    config = load_config(dict(REAL, COGNITO_DOMAIN="app.auth.eu-west-1.amazoncognito.com",
                              BASE_URL="https://app.example/"))
    assert (config.hosted_ui_url, config.base_url, config.hosted_ui) == (
        "https://app.auth.eu-west-1.amazoncognito.com", "https://app.example", True)
    assert load_config(dict(REAL, BASE_URL="https://app.example")).hosted_ui is False
    local = load_config({"PORT": "4000"})
    assert (local.base_url, local.local_cognito_port) == ("http://localhost:4000", 4001)
    assert load_config({"LOCAL_COGNITO_PORT": "0"}).local_cognito_port == 0
    for domain in ("https://app.auth.eu-west-1.amazoncognito.com", "app.example/path"):
        with pytest.raises(ConfigError, match="COGNITO_DOMAIN"):
            load_config(dict(REAL, COGNITO_DOMAIN=domain))
    with pytest.raises(ConfigError, match="BASE_URL must start with https://"):
        load_config(dict(REAL, BASE_URL="http://app.example"))
    assert load_config(dict(REAL, BASE_URL="http://localhost:8000")).base_url == "http://localhost:8000"
    with pytest.raises(ConfigError, match="LOCAL_COGNITO_PORT"):
        load_config({"LOCAL_COGNITO_PORT": "99999"})


@pytest.mark.parametrize("given, missing", [("STS_USER_CLIENT_ID", "STS_USER_CLIENT_SECRET"),
                                           ("STS_USER_CLIENT_SECRET", "STS_USER_CLIENT_ID"),
                                           ("LOCAL_ADMIN_EMAIL", "LOCAL_ADMIN_PASSWORD"),
                                           ("LOCAL_ADMIN_PASSWORD", "LOCAL_ADMIN_EMAIL")])
def test_half_a_pair_of_settings_is_refused(given, missing):
    with pytest.raises(ConfigError, match=f"{given} is set but {missing} is not"):
        load_config({given: "value"})


@pytest.mark.parametrize("name,value", [("PORT", "eighty"), ("PORT", "70000"), ("REFRESH_COOKIE_DAYS", "-1"),
                                        ("COGNITO_ENDPOINT_URL", "localhost:4566"),
                                        ("AWS_ENDPOINT_URL_STS", "sts.local"), ("COGNITO_ISSUER", "issuer"),
                                        ("COOKIE_SECRET", " , ")])
def test_malformed_values_stop_start_up(name, value):
    with pytest.raises(ConfigError, match=name):
        load_config(dict(REAL, **{name: value}))


# --- binding fields to a method -----------------------------------------------------------------

def test_keyword_fields_are_declared_with_a_trailing_underscore():
    assert field_name("pass_") == "pass" and field_name("global_") == "global"
    assert field_name("access_token") == "access_token"


def test_bind_maps_the_tutorial_fields_to_parameters():
    arguments = bind(METHODS["signIn"], {"user": "a@example.com", "pass": "x"})
    assert arguments == {"user": "a@example.com", "pass_": "x"}


@pytest.mark.parametrize("params,code,field", [
    ({"user": "a@example.com"}, "MissingField", "pass"),
    ({"user": 5, "pass": "x"}, "InvalidField", "user"),
    ({"user": "a@example.com", "pass": None}, "InvalidField", "pass"),
    ({"user": "a@example.com", "pass": "x", "pas": "y"}, "UnknownField", "pas"),
    ({"user": "a@example.com", "pass_": "x"}, "UnknownField", "pass_"),
])
def test_bind_refuses_bad_fields_naming_them(params, code, field):
    with pytest.raises(ApiError) as caught:
        bind(METHODS["signIn"], params)
    assert caught.value.code == code and caught.value.field == field
    assert f'"{field}"' in caught.value.message


def test_bind_takes_positional_params_in_declared_order():
    assert bind(METHODS["signIn"], ["a@example.com", "x"]) == {"user": "a@example.com", "pass_": "x"}
    with pytest.raises(ApiError):
        bind(METHODS["signIn"], ["a", "b", "c"])


def test_bind_checks_booleans_strictly():
    assert bind(METHODS["signOut"], {"global": True}) == {"global_": True}
    with pytest.raises(ApiError):
        bind(METHODS["signOut"], {"global": "yes"})


def test_extra_attribute_fields_cannot_shadow_parameters():
    with pytest.raises(ApiError) as caught:
        bind(METHODS["createAccount"], {"user": "a@example.com", "pass": "x", "call": "y"})
    assert caught.value.code == "UnknownField"


@pytest.mark.parametrize("body", [b"{", b"nope", b'{"a": NaN}', b"\xff\xfe{", b"[" * 100000,
                                  b'{"a": "\\ud800"}', b'{"a": 1e400}', b'{"a": -Infinity}'])
def test_parse_json_refuses_what_is_not_strict_json(body):
    with pytest.raises(ApiError) as caught:
        parse_json(body)
    assert caught.value.code == "InvalidJson"


def test_parse_json_accepts_a_byte_order_mark():
    assert parse_json(b'\xef\xbb\xbf{"env": "x"}') == {"env": "x"}


# --- Cognito errors -----------------------------------------------------------------------------

def client_error(code: str, status: int = 400, message: str = "User alice@example.com does x") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")


@pytest.mark.parametrize("cognito_code,ours,status", [
    ("NotAuthorizedException", "NotAuthorized", 401),
    ("UserNotFoundException", "NotAuthorized", 401),
    ("UserNotConfirmedException", "UserNotConfirmed", 403),
    ("UsernameExistsException", "UsernameExists", 409),
    ("CodeMismatchException", "CodeMismatch", 400),
    ("ExpiredCodeException", "ExpiredCode", 400),
    ("InvalidPasswordException", "InvalidPassword", 400),
    ("InvalidParameterException", "InvalidParameter", 400),
    ("TooManyRequestsException", "TooManyRequests", 429),
    ("LimitExceededException", "LimitExceeded", 429),
])
def test_cognito_codes_map_to_ours(cognito_code, ours, status):
    error = from_exception("SignUp", client_error(cognito_code))
    assert (error.code, error.status) == (ours, status)
    assert "alice" not in error.message  # Cognito's text is never passed on
    if status == 429:
        assert error.retry_after and error.retry_after > 0


def test_unknown_user_and_wrong_password_are_the_same_error():
    wrong = from_exception("InitiateAuth", client_error("NotAuthorizedException"))
    unknown = from_exception("InitiateAuth", client_error("UserNotFoundException"))
    assert (wrong.code, wrong.status, wrong.message) == (unknown.code, unknown.status, unknown.message)


def test_unexpected_cognito_errors_are_internal_or_bad_gateway():
    assert from_exception("SignUp", client_error("SomethingNew")).status == 502
    assert from_exception("SignUp", client_error("SomethingNew", status=500)).code == "CognitoError"
    # A bare 503 or 504 (a load balancer's, not Cognito's JSON) keeps its meaning.
    assert from_exception("SignUp", client_error("SomethingNew", status=503)).code == "CognitoUnavailable"
    assert from_exception("SignUp", client_error("SomethingNew", status=504)).code == "CognitoTimeout"
    assert from_exception("SignUp", client_error("InternalErrorException", status=500)).status == 502


def test_transport_failures_map_to_503_and_504():
    assert from_exception("SignUp", EndpointConnectionError(endpoint_url="http://x")).status == 503
    assert from_exception("SignUp", ConnectTimeoutError(endpoint_url="http://x")).status == 503
    assert from_exception("SignUp", ReadTimeoutError(endpoint_url="http://x")).status == 504
    assert from_exception("SignUp", ParamValidationError(report="too short")).status == 400
    assert from_exception("SignUp", RuntimeError("boom")).code == "InternalError"


def test_every_mapped_code_is_in_the_catalogue():
    for ours in COGNITO_TO_OURS.values():
        ApiError(ours)  # raises KeyError for a code missing from the catalogue


# --- the refresh cookie -------------------------------------------------------------------------

SESSION = StoredRefreshToken(refresh_token="rt-123", username="3f1c-sub")


def test_cookie_round_trip_and_attributes():
    codec = RefreshCookieCodec(("s1",), 30)
    header = codec.set_cookie_header(SESSION)
    name, _, rest = header.partition("=")
    value, *attributes = rest.split("; ")
    assert name == REFRESH_COOKIE
    assert set(attributes) == {"Max-Age=2592000", "Path=/", "Secure", "HttpOnly", "SameSite=Strict"}
    assert "Domain" not in header  # the __Host- prefix forbids it
    assert codec.decode(value) == SESSION
    assert "rt-123" not in repr(codec.decode(value))


def test_cookie_tampering_is_refused():
    codec = RefreshCookieCodec(("s1",), 30)
    value = codec.encode(SESSION)
    assert codec.decode(value[:-2] + ("00" if not value.endswith("00") else "11")) is None
    assert codec.decode("garbage") is None
    assert RefreshCookieCodec(("other",), 30).decode(value) is None


def test_cookie_secret_rotation_keeps_old_cookies_valid():
    old = RefreshCookieCodec(("old",), 30).encode(SESSION)
    rotated = RefreshCookieCodec(("new", "old"), 30)
    assert rotated.decode(old) == SESSION  # signed with the old secret, still accepted
    fresh = rotated.encode(SESSION)
    assert RefreshCookieCodec(("new",), 30).decode(fresh) == SESSION  # signed with the new one
    assert RefreshCookieCodec(("old",), 30).decode(fresh) is None


def test_expired_cookie_is_refused():
    codec = RefreshCookieCodec(("s1",), 1)
    version = key_version("s1")
    stale = create_signed_value({version: "s1"}, REFRESH_COOKIE, '{"t":"rt","u":"u"}', version=2,
                                key_version=version, clock=lambda: time.time() - 2 * 86400).decode()
    assert codec.decode(stale) is None
    fresh = create_signed_value({version: "s1"}, REFRESH_COOKIE, '{"t":"rt","u":"u"}', version=2,
                                key_version=version).decode()
    assert codec.decode(fresh) == StoredRefreshToken("rt", "u")


def test_a_value_signed_for_one_purpose_is_refused_for_another():
    challenge = SignedValues(("s1",), "challenge", 1).encode({"t": "rt", "u": "u"})
    assert RefreshCookieCodec(("s1",), 30).decode(challenge) is None
    assert SignedValues(("s1",), "challenge", 1).decode(challenge) == {"t": "rt", "u": "u"}


def test_read_cookie_survives_other_malformed_cookies():
    assert read_cookie('a="unterminated; __Host-refresh=v1', REFRESH_COOKIE) == "v1"
    assert read_cookie("x=1; __Host-refresh=v2", REFRESH_COOKIE) == "v2"
    assert read_cookie("", REFRESH_COOKIE) is None


def test_the_error_table_in_docs_api_lists_every_code_with_its_status():
    import os
    from server.errors import CATALOGUE
    api_doc = open(os.path.join(os.path.dirname(__file__), "..", "docs", "api.md"), encoding="utf-8").read()
    table = dict((code, int(status)) for status, code in re.findall(r"^\| (\d{3}) \| `(\w+)` \|", api_doc, re.M))
    assert table == {code: kind.status for code, kind in CATALOGUE.items()}

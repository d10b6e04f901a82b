"""Configuration (server/config.py): local mode without Cognito settings, a real pool's settings read
once with their defaults, and start-up stopped, naming the setting, by what makes no sense."""

from __future__ import annotations

import pytest

from server.config import ConfigError, load_config


REAL = {
    "COGNITO_REGION_NAME": "eu-west-1",
    "COGNITO_USER_POOL_ID": "eu-west-1_abc",
    "COGNITO_USER_CLIENT_ID": "client",
    "COGNITO_CLIENT_SECRET": "secret",
    "COOKIE_SECRET": "k1",
}


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
    config = load_config(
        dict(REAL, PORT="8080", ALLOWED_ORIGINS="https://a.example, http://localhost:5173/", COOKIE_SECRET="new old")
    )
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
    given = load_config(
        dict(
            REAL,
            COGNITO_ENDPOINT_URL="http://localhost:4566",
            COGNITO_ISSUER="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/",
        )
    )
    assert given.issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"


def test_admin_settings_are_read_and_secrets_kept_out_of_repr():
    config = load_config(
        dict(
            REAL,
            ADMIN_GROUP="staff",
            APP_NAME="Photo Share",
            STS_USER_CLIENT_ID="AKIAEXAMPLE",
            STS_USER_CLIENT_SECRET="sts-secret-value",
            AWS_ENDPOINT_URL_STS="http://127.0.0.1:1/",
        )
    )
    assert (config.admin_group, config.app_name) == ("staff", "Photo Share")
    assert (config.sts_access_key_id, config.sts_endpoint_url) == ("AKIAEXAMPLE", "http://127.0.0.1:1")
    assert "sts-secret-value" not in repr(config)
    assert load_config(REAL).admin_group == "admin"
    local = load_config({"LOCAL_ADMIN_EMAIL": "boss@example.com", "LOCAL_ADMIN_PASSWORD": "local-admin-pw"})
    assert local.local_admin_email == "boss@example.com" and "local-admin-pw" not in repr(local)


@pytest.mark.parametrize(
    "env",
    [
        {"ROOT_USER_CLIENT_ID": "AKIAROOT"},
        {"ROOT_USER_CLIENT_SECRET": "s"},
        dict(REAL, ROOT_USER_CLIENT_ID="AKIAROOT", ROOT_USER_CLIENT_SECRET="s"),
    ],
)
def test_root_account_keys_are_refused_with_the_reason(env):
    with pytest.raises(ConfigError) as caught:
        load_config(env)
    message = str(caught.value)
    for name in (n for n in env if n.startswith("ROOT_USER_")):
        assert name in message
    assert "root" in message and "IAM" in message and "STS_USER_CLIENT_ID" in message
    assert "AKIAROOT" not in message


@pytest.mark.parametrize(
    "env,needle",
    [
        ({"WORKERS": "0"}, "WORKERS"),
        ({"WORKERS": "many"}, "WORKERS"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"TRUSTED_PROXIES": "nginx.local"}, "TRUSTED_PROXIES"),
        ({"RATE_LIMIT_PER_USER": "10"}, "RATE_LIMIT_PER_USER"),
        ({"RATE_LIMIT_PER_ADDRESS": "0/60"}, "RATE_LIMIT_PER_ADDRESS"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"REDIS_URL": "redis://localhost:notaport/0"}, "REDIS_URL"),
    ],
)
def test_production_settings_that_make_no_sense_stop_start_up_naming_them(env, needle):
    with pytest.raises(ConfigError, match=needle):
        load_config(env)


def test_production_settings_are_read():
    config = load_config(
        {
            "WORKERS": "3",
            "LOG_FORMAT": "JSON",
            "TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8",
            "RATE_LIMIT_PER_ADDRESS": "5/10",
            "RATE_LIMIT_PER_USER": "off",
            "REDIS_URL": "redis://:pw@localhost:6379/0",
        },
        workers=None,
    )
    assert (config.workers, config.log_format, config.rate_limit_per_address, config.rate_limit_per_user) == (
        3,
        "json",
        (5, 10.0),
        None,
    )
    assert [str(n) for n in config.trusted_proxies] == ["127.0.0.1/32", "10.0.0.0/8"]
    assert "pw" not in repr(config)
    assert load_config({"WORKERS": "3"}, workers=2).workers == 2
    with pytest.raises(ConfigError, match="WORKERS"):
        load_config({}, workers=0)


def test_hosted_ui_settings():
    config = load_config(
        dict(REAL, COGNITO_DOMAIN="app.auth.eu-west-1.amazoncognito.com", BASE_URL="https://app.example/")
    )
    assert (config.hosted_ui_url, config.base_url, config.hosted_ui) == (
        "https://app.auth.eu-west-1.amazoncognito.com",
        "https://app.example",
        True,
    )
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


@pytest.mark.parametrize(
    "given, missing",
    [
        ("STS_USER_CLIENT_ID", "STS_USER_CLIENT_SECRET"),
        ("STS_USER_CLIENT_SECRET", "STS_USER_CLIENT_ID"),
        ("LOCAL_ADMIN_EMAIL", "LOCAL_ADMIN_PASSWORD"),
        ("LOCAL_ADMIN_PASSWORD", "LOCAL_ADMIN_EMAIL"),
    ],
)
def test_half_a_pair_of_settings_is_refused(given, missing):
    with pytest.raises(ConfigError, match=f"{given} is set but {missing} is not"):
        load_config({given: "value"})


@pytest.mark.parametrize(
    "name,value",
    [
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("REFRESH_COOKIE_DAYS", "-1"),
        ("COGNITO_ENDPOINT_URL", "localhost:4566"),
        ("AWS_ENDPOINT_URL_STS", "sts.local"),
        ("COGNITO_ISSUER", "issuer"),
        ("COOKIE_SECRET", " , "),
    ],
)
def test_malformed_values_stop_start_up(name, value):
    with pytest.raises(ConfigError, match=name):
        load_config(dict(REAL, **{name: value}))


def test_the_photos_database_and_its_pool():
    assert (load_config({}).photos_database_url, load_config({}).photos_database_connections) == (None, 10)
    url = "postgresql://photos:pa%24%24word@db.example:5432/photos?sslmode=verify-full&connect_timeout=3"
    config = load_config(dict(REAL, PHOTOS_DATABASE_URL=url, PHOTOS_DATABASE_CONNECTIONS="4"))
    assert (config.photos_database_url, config.photos_database_connections) == (url, 4)
    assert "pa%24%24word" not in repr(config)
    assert load_config({"PHOTOS_DATABASE_URL": "postgres://u@h1:5432,h2:5433/d"}).photos_database_url
    for bad in (
        "mysql://u:secret-value@h/d",
        "secret-value@db.example/photos",
        "postgresql://u:secret-value@h:port/d",
        "postgresql://u:secret-value@h:70000/d",
        "postgresql://u:secret-value@h/d?connect_timeout=0",
        "postgresql://u:secret-value@h/d?connect_timeout=soon",
    ):
        with pytest.raises(ConfigError, match="PHOTOS_DATABASE_URL") as caught:
            load_config({"PHOTOS_DATABASE_URL": bad})
        assert "secret-value" not in str(caught.value)  # a URL can hold a password: it is never repeated
    with pytest.raises(ConfigError, match="PHOTOS_DATABASE_URL's sslrootcert names a file that cannot be read"):
        load_config(
            {"PHOTOS_DATABASE_URL": "postgresql://u:secret-value@h/d?sslmode=verify-full&sslrootcert=/no/ca.pem"}
        )
    for bad in ("0", "101", "ten", "2.5"):
        with pytest.raises(ConfigError, match="PHOTOS_DATABASE_CONNECTIONS must be a whole number from 1 to 100"):
            load_config({"PHOTOS_DATABASE_CONNECTIONS": bad})


def test_drain_seconds():
    assert load_config({}).drain_seconds == 10
    assert load_config(dict(REAL, DRAIN_SECONDS="25")).drain_seconds == 25
    assert load_config({"DRAIN_SECONDS": "0.5"}).drain_seconds == 0.5
    assert load_config({"DRAIN_SECONDS": "0"}).drain_seconds == 0
    for bad in ("-1", "3601", "10000", "ten", "nan", "inf"):
        with pytest.raises(ConfigError, match="DRAIN_SECONDS must be a number of seconds from 0 to 3600"):
            load_config({"DRAIN_SECONDS": bad})


def test_the_local_pools_email_updates_and_mfa_methods():
    config = load_config({})
    assert (config.local_email_updates, config.local_mfa_methods) == (
        "verify-first",
        ("SOFTWARE_TOKEN_MFA", "SMS_MFA", "EMAIL_OTP"),
    )
    config = load_config({"LOCAL_COGNITO_EMAIL_UPDATES": "Immediate", "LOCAL_COGNITO_MFA_METHODS": "email, totp"})
    assert (config.local_email_updates, config.local_mfa_methods) == ("immediate", ("EMAIL_OTP", "SOFTWARE_TOKEN_MFA"))
    assert load_config({"LOCAL_COGNITO_MFA_METHODS": "none"}).local_mfa_methods == ()
    for name, value in (("LOCAL_COGNITO_EMAIL_UPDATES", "sometimes"), ("LOCAL_COGNITO_MFA_METHODS", "sms,fax")):
        with pytest.raises(ConfigError) as caught:
            load_config({name: value})
        assert name in str(caught.value) and value in str(caught.value)

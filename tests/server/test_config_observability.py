"""The settings of metrics and traces (METRICS, METRICS_PORT, METRICS_HOST, OTEL_EXPORTER_OTLP_*): read
once with their defaults, and start-up stopped, naming the setting, by what makes no sense; and
``tornado_server.py`` refusing them as a person would see it."""

from __future__ import annotations

import pytest

from server.config import ConfigError, load_config
from tests.support import run_server

REAL = {
    "COGNITO_REGION_NAME": "eu-west-1",
    "COGNITO_USER_POOL_ID": "eu-west-1_abc",
    "COGNITO_USER_CLIENT_ID": "client",
    "COGNITO_CLIENT_SECRET": "secret",
    "COOKIE_SECRET": "k1",
}


def test_metrics_are_on_at_the_servers_port_and_traces_off_by_default():
    for env in ({}, REAL):
        config = load_config(env)
        assert (config.metrics, config.metrics_port, config.metrics_host, config.traces_endpoint) == (
            True,
            None,
            None,
            None,
        )


def test_metrics_can_be_turned_off_or_given_a_port_and_address_of_their_own():
    assert load_config({"METRICS": "off"}).metrics is False
    assert load_config({"METRICS": " ON "}).metrics is True
    config = load_config(dict(REAL, METRICS_PORT="9100", METRICS_HOST="10.0.0.5"))
    assert (config.metrics, config.metrics_port, config.metrics_host) == (True, 9100, "10.0.0.5")
    assert load_config({"METRICS_PORT": "9100"}).metrics_host is None  # the server's own address


@pytest.mark.parametrize(
    "env, names",
    [
        ({"METRICS": "yes"}, ["METRICS", "on or off"]),
        ({"METRICS_PORT": "nine"}, ["METRICS_PORT", "number"]),
        ({"METRICS_PORT": "70000"}, ["METRICS_PORT", "65535"]),
        ({"PORT": "9100", "METRICS_PORT": "9100"}, ["METRICS_PORT", "the server's own port"]),
        ({"METRICS_HOST": "127.0.0.1"}, ["METRICS_HOST", "METRICS_PORT is not"]),
        ({"METRICS": "off", "METRICS_PORT": "9100"}, ["METRICS is off", "METRICS_PORT"]),
        ({"PROMETHEUS_MULTIPROC_DIR": "/tmp/somewhere"}, ["PROMETHEUS_MULTIPROC_DIR", "unset it"]),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, ["OTEL_EXPORTER_OTLP_ENDPOINT", "http://"]),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            ["OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"],
        ),
        (
            {
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces",
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json",
            },
            ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"],
        ),
    ],
)
def test_settings_that_make_no_sense_stop_the_start_naming_them(env, names):
    with pytest.raises(ConfigError) as caught:
        load_config(env)
    for name in names:
        assert name in str(caught.value)


def test_traces_go_where_the_otlp_endpoint_says_unless_the_sdk_is_disabled():
    assert load_config({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"}).traces_endpoint == (
        "http://collector:4318"
    )
    specific = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://traces.example/v1/traces",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",  # for other signals: traces have their own
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf",
    }
    assert load_config(specific).traces_endpoint == "https://traces.example/v1/traces"
    assert (
        load_config(
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}
        ).traces_endpoint
        is None
    )


def test_the_server_refuses_to_start_naming_the_setting(tmp_path):
    result = run_server(timeout=60, METRICS_HOST="127.0.0.1", LOCAL_COGNITO_DATA=str(tmp_path))
    assert result.returncode == 2
    assert "Cannot start: METRICS_HOST is set but METRICS_PORT is not" in result.stderr
    assert "Traceback" not in result.stderr

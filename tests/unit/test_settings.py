"""Settings: argument > SPANSCOPE_* > OTEL_* > default, and precise errors."""

from __future__ import annotations

import pytest

import tracer
from tracer._internal.settings import SETTINGS, SettingError, parse_headers, resolve_settings


def test_defaults() -> None:
    settings = resolve_settings({}, env={})
    assert settings.endpoint == "http://127.0.0.1:4318/v1/traces"
    assert settings.capture_content is True
    assert settings.sample_rate == 1.0
    assert settings.compression == "none"
    assert settings.enabled is True


def test_precedence_argument_then_spanscope_then_otel() -> None:
    env = {
        "SPANSCOPE_ENDPOINT": "http://spanscope:4318/v1/traces",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://otel-traces:4318/v1/traces",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel:4318",
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "0.25",
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "false",
        "OTEL_EXPORTER_OTLP_HEADERS": "x-team=ai%20lab,x-env=prod",
        "OTEL_BSP_SCHEDULE_DELAY": "250",
    }
    assert resolve_settings({"endpoint": "http://arg/v1/traces"}, env).endpoint == "http://arg/v1/traces"
    settings = resolve_settings({}, env)
    assert settings.endpoint == "http://spanscope:4318/v1/traces"
    assert settings.sample_rate == 0.25
    assert settings.capture_content is False
    assert settings.headers == {"x-team": "ai lab", "x-env": "prod"}
    assert settings.export_interval == 0.25
    del env["SPANSCOPE_ENDPOINT"]
    assert resolve_settings({}, env).endpoint == "http://otel-traces:4318/v1/traces"
    del env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
    assert resolve_settings({}, env).endpoint == "http://otel:4318/v1/traces"


def test_otel_sdk_disabled_and_always_off() -> None:
    assert resolve_settings({}, {"OTEL_SDK_DISABLED": "true"}).enabled is False
    assert resolve_settings({}, {"OTEL_TRACES_SAMPLER": "always_off"}).sample_rate == 0.0
    # Other samplers' argument is not a ratio and is ignored.
    assert (
        resolve_settings({}, {"OTEL_TRACES_SAMPLER": "jaeger_remote", "OTEL_TRACES_SAMPLER_ARG": "x"}).sample_rate == 1
    )


@pytest.mark.parametrize(
    ("explicit", "env", "message"),
    [
        ({}, {"SPANSCOPE_SAMPLE_RATE": "2"}, "SPANSCOPE_SAMPLE_RATE: expected a number from 0 to 1, got '2'"),
        ({}, {"SPANSCOPE_CAPTURE_CONTENT": "maybe"}, "SPANSCOPE_CAPTURE_CONTENT: expected true or false"),
        ({}, {"OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"}, "OTEL_EXPORTER_OTLP_COMPRESSION: expected gzip or none"),
        ({}, {"OTEL_EXPORTER_OTLP_HEADERS": "novalue"}, "OTEL_EXPORTER_OTLP_HEADERS: expected key=value"),
        ({}, {"SPANSCOPE_MAX_VALUE_SIZE": "-1"}, "SPANSCOPE_MAX_VALUE_SIZE: expected a whole number above 0"),
        ({"sample_rate": 1.5}, {}, "sample_rate: expected a number from 0 to 1"),
        ({"export_batch_size": 0}, {}, "export_batch_size: expected a whole number above 0"),
        ({"endpoint": "127.0.0.1:4318"}, {}, "endpoint: expected an http:// or https:// URL"),
        ({"colour": "red"}, {}, "unknown setting(s): colour"),
    ],
)
def test_bad_values_name_the_setting(explicit: dict[str, object], env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingError) as raised:
        resolve_settings(explicit, env)
    assert message in str(raised.value)


def test_configure_rejects_bad_arguments_before_changing_anything() -> None:
    with pytest.raises(SettingError, match="sample_rate"):
        tracer.configure(sample_rate=-0.1)
    with pytest.raises(TypeError, match="mask must be a callable"):
        tracer.configure(mask="email")  # type: ignore[arg-type]


def test_parse_headers_handles_spaces_and_encoding() -> None:
    assert parse_headers(" Authorization = Bearer%20abc , x-a=b=c ,") == {"authorization": "Bearer abc", "x-a": "b=c"}


def test_every_setting_has_a_doc_and_a_spanscope_variable() -> None:
    for setting in SETTINGS:
        assert setting.doc.endswith("."), setting.name
        assert setting.env_var == "SPANSCOPE_" + setting.name.upper()

"""The docs say what the code does: every setting and every attribute is documented,
and the README opens with the two commands."""

from __future__ import annotations

from pathlib import Path

import tracer
from tracer._internal import conventions
from tracer._internal.settings import SETTINGS

DOCS = Path(__file__).resolve().parents[2] / "docs"
README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_documented_with_its_variable() -> None:
    text = (DOCS / "configuration.md").read_text()
    for setting in SETTINGS:
        assert f"| `{setting.name}` | `{setting.env_var}` |" in text, setting.name
        for variable, _ in setting.otel:
            assert variable in text, variable


def test_every_attribute_the_sdk_writes_is_documented() -> None:
    text = (DOCS / "sdk-attributes.md").read_text()
    names = [value for key, value in vars(conventions).items() if key.isupper() and isinstance(value, str)]
    names += list(conventions.REQUEST_PARAMETERS.values())
    assert len(names) > 40
    missing = [name for name in names if f"`{name}`" not in text]
    assert missing == []


def test_readme_opens_with_the_two_commands() -> None:
    first_screen = README.read_text().splitlines()[:12]
    assert any(line.startswith("make up") for line in first_screen)
    assert any(line.startswith("make test") for line in first_screen)


def test_public_api_is_small_and_documented() -> None:
    assert 15 <= len(tracer.__all__) <= 22
    for name in tracer.__all__:
        assert getattr(tracer, name).__doc__, name


def test_every_server_setting_is_documented() -> None:
    from server.settings import SERVER_SETTINGS

    text = (DOCS / "server.md").read_text()
    for setting in SERVER_SETTINGS:
        assert f"| `{setting.name}` | `{setting.env_var}` |" in text, setting.name

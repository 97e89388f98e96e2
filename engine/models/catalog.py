"""Every model semfind can use, described from its GGUF header: for `models list` and the TUI."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from semfind.engine.config import Settings
from semfind.engine.errors import ModelError
from semfind.engine.models.default_embedder import (
    BUILT_IN_EMBEDDERS,
    DEFAULT_EMBEDDER,
    INSTALL_HINT,
    default_gguf_path,
)
from semfind.engine.models.default_llm import default_llm_listed
from semfind.engine.models.discovery import FoundModel, discover
from semfind.engine.models.gguf_info import GGUFInfo, read_gguf_info
from semfind.engine.models.registry import Registry, resolve_llm_path, role_of
from semfind.engine.runtime.llama import plan_offload


@dataclass(frozen=True)
class CatalogEntry:
    """One model file and what semfind knows of it."""

    role: str
    """"embedder" or "llm"."""
    name: str
    source: str
    """"built-in", "added", "setting", or where it was found: "semfind" (the models folder),
    "ollama", "lm-studio" or "hugging-face"."""
    path: Path | None
    info: GGUFInfo | None
    in_use: bool
    note: str = ""
    """Why `info` is missing, or how to get the model."""
    gpu_layers: int | None = None
    """Layers offloaded to a GPU when it runs (-1: all); None for models not in use."""


def model_catalog(
    settings: Settings,
    registry: Registry | None = None,
    found: list[FoundModel] | None = None,
) -> list[CatalogEntry]:
    """The embedders (built-in, added), the LLM in use, then the GGUFs found on this machine
    (`found`, default: discovery.discover()), each with the role its header suggests."""
    registry = registry or Registry()
    chosen = settings.embed_model or registry.chosen_embedder()
    chosen = DEFAULT_EMBEDDER if chosen == "default" else chosen
    entries = [
        _entry("embedder", name, "built-in", default_gguf_path(name), chosen)
        for name in BUILT_IN_EMBEDDERS
    ]
    known = {default_gguf_path(name).resolve() for name in BUILT_IN_EMBEDDERS}
    for model in registry.models("embedder"):
        entries.append(_entry("embedder", model.name, "added", model.path, chosen))
        known.add(model.path.resolve())
    if chosen.endswith(".gguf") and Path(chosen).expanduser().resolve() not in known:
        path = Path(chosen).expanduser().resolve()
        entries.append(_entry("embedder", path.stem, "setting", path, path.stem))
        known.add(path)
    entries += _llm_entries(settings, registry)
    known |= {e.path.resolve() for e in entries if e.path is not None}
    for other in discover() if found is None else found:
        if other.path.resolve() not in known:
            entry = _entry("embedder", other.name, other.source, other.path, chosen)
            entries.append(replace(entry, role=role_of(entry.info)))
    return [replace(e, gpu_layers=_layers(settings, e)) if e.in_use else e for e in entries]


def _layers(settings: Settings, entry: CatalogEntry) -> int:
    """The GPU layers the model would get if loaded now (engine.runtime.gpu)."""
    info = entry.info
    size, layers = (info.size_bytes, info.n_layer) if info else (0, None)
    return plan_offload(settings.n_gpu_layers, size, layers).n_gpu_layers


def _entry(role: str, name: str, source: str, path: Path, chosen: str) -> CatalogEntry:
    info, note = _read(path)
    if info is None and source == "built-in" and not path.exists():
        note = f"converted on first use; if that fails, {INSTALL_HINT}"
    if name == DEFAULT_EMBEDDER and chosen in BUILT_IN_EMBEDDERS and chosen != name:
        switch = f"`semfind models use {name}` switches once its vectors are built"
        note = "; ".join(filter(None, [f"the default for new data folders: {switch}", note]))
    return CatalogEntry(role, name, source, path, info, name == chosen, note)


def _llm_entries(settings: Settings, registry: Registry) -> list[CatalogEntry]:
    """The built-in LLM, the added ones, and a path set in the config; one is in use."""
    try:
        chosen = resolve_llm_path(settings, registry)
        problem = ""
    except ModelError as exc:
        chosen, problem = None, str(exc)
    entries = [_default_llm(in_use=chosen is None and not problem)]
    for model in registry.models("llm"):
        info, note = _read(model.path)
        in_use = chosen is not None and model.path.resolve() == chosen.resolve()
        entries.append(CatalogEntry("llm", model.name, "added", model.path, info, in_use, note))
    if chosen is not None and not any(e.in_use for e in entries):
        info, note = _read(chosen)
        entries.append(CatalogEntry("llm", chosen.stem, "setting", chosen, info, True, note))
    if problem:
        name = settings.llm_model or "(models use)"
        entries.append(CatalogEntry("llm", name, "setting", None, None, True, problem))
    return entries


def _default_llm(in_use: bool) -> CatalogEntry:
    try:
        path = default_llm_listed()
    except ModelError as exc:
        name = "SmolLM2-135M-Instruct"
        return CatalogEntry("llm", name, "built-in", None, None, in_use, str(exc))
    info, note = _read(path)
    return CatalogEntry("llm", path.stem, "built-in", path, info, in_use, note)


def _read(path: Path) -> tuple[GGUFInfo | None, str]:
    if not path.exists():
        return None, "missing"
    try:
        return read_gguf_info(path), ""
    except ModelError as exc:
        return None, f"invalid: {exc}"

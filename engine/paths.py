"""Where semfind keeps its files, per user and per platform."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import platformdirs

APP_NAME = "semfind"


def data_dir() -> Path:
    """The per-user data folder (index, converted models, model registry)."""
    override = os.environ.get("SEMFIND_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def config_file() -> Path:
    """The per-user config file, which may not exist."""
    override = os.environ.get("SEMFIND_CONFIG")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def cache_dir() -> Path:
    """The per-user cache folder (benchmark databases and other rebuildable files)."""
    override = os.environ.get("SEMFIND_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir(APP_NAME))


def runtime_dir() -> Path:
    """The per-user folder for the daemon's socket and pid file (private to the user)."""
    override = os.environ.get("SEMFIND_RUNTIME_DIR")
    if override:
        return Path(override)
    with warnings.catch_warnings():
        # Without XDG_RUNTIME_DIR platformdirs falls back to /tmp/runtime-<uid> and warns;
        # the daemon checks that folder is the user's own and private before using it.
        warnings.simplefilter("ignore")
        return Path(platformdirs.user_runtime_dir(APP_NAME))


def make_private_dir(folder: Path) -> Path:
    """Create `folder`, and any missing parents, readable by the owner only (0700).

    What semfind keeps (the index, its log, cached thoughts about queries) holds text from
    the user's files; a folder that already exists keeps its mode.
    """
    if folder.parent != folder and not folder.parent.is_dir():
        make_private_dir(folder.parent)
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def bundle_dir() -> Path | None:
    """The unpacked folder of a standalone (PyInstaller) build; None when run from Python."""
    if not getattr(sys, "frozen", False):
        return None
    return Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent))


def bundled_model(name: str) -> Path | None:
    """A model file shipped inside the standalone build, if this is one and it has it."""
    folder = bundle_dir()
    path = folder / "models" / name if folder is not None else None
    return path if path is not None and path.is_file() else None


def self_command() -> list[str]:
    """The command that runs semfind again: the executable itself when standalone."""
    if bundle_dir() is not None:
        return [sys.executable]
    return [sys.executable, "-m", "semfind.app"]

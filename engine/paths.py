"""Where semfind keeps its files, per user and per platform."""

from __future__ import annotations

import os
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

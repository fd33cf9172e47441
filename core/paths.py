"""Where FaceNet Organizer keeps its files on the user's machine (platformdirs)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "FaceNetOrganizer"


def cache_dir() -> Path:
    """Converted model weights, thumbnails. ``FACEORG_CACHE`` overrides."""
    env = os.environ.get("FACEORG_CACHE")
    path = Path(env) if env else Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """The default library location. ``FACEORG_DATA`` overrides."""
    env = os.environ.get("FACEORG_DATA")
    path = Path(env) if env else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    """Settings of this computer (where each library root is mounted here). ``FACEORG_CONFIG``
    overrides. Not created until something is written there."""
    env = os.environ.get("FACEORG_CONFIG")
    return Path(env) if env else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def default_library_path() -> Path:
    """``FACEORG_LIBRARY`` or ``<user data dir>/library.sqlite``."""
    env = os.environ.get("FACEORG_LIBRARY")
    return Path(env) if env else data_dir() / "library.sqlite"


def lfw_default() -> Path | None:
    """The LFW copy beside the project (tests and benchmarks only), if present."""
    env = os.environ.get("FACEORG_LFW")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[2] / "shared" / "lfw")
    for c in candidates:
        if (c / "images").is_dir():
            return c
    return None

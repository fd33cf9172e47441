"""Where each library root is on this computer: a small JSON file in the user's config dir.

``<config dir>/roots.json`` (``FACEORG_CONFIG`` overrides the folder, see :func:`core.paths.config_dir`)::

    {"libraries": {"<library_id>": {"library": "<where it was opened, password masked>",
                                    "roots": {"Photos": "/mnt/nas/photos"}}}}

keyed by the library's identity (``library_meta["library_id"]``, made by revision 0004), never by
its location: a library is the same library whichever URL or copy opens it. This file is the
computer's, never the library's: the shared database holds no computer's mount points.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from core.paths import config_dir

FILE_NAME = "roots.json"
_cache: dict[Path, tuple[tuple[int, int], dict[str, Any]]] = {}


def mounts_file() -> Path:
    return config_dir() / FILE_NAME


def _read_all() -> dict[str, Any]:
    """The whole file (cached while its size and mtime stay); {} when absent or unreadable."""
    path = mounts_file()
    try:
        st = path.stat()
    except OSError:
        return {}
    key = (st.st_size, st.st_mtime_ns)
    hit = _cache.get(path)
    if hit is not None and hit[0] == key:
        return hit[1]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    _cache[path] = (key, data)
    return data


def mounts(library_id: str | None) -> dict[str, str]:
    """{root name: folder on this computer} for the library ``library_id``."""
    if not library_id:
        return {}
    entry = _read_all().get("libraries", {}).get(library_id, {})
    roots = entry.get("roots", {}) if isinstance(entry, dict) else {}
    return {str(k): str(v) for k, v in roots.items()} if isinstance(roots, dict) else {}


def set_mount(library_id: str, name: str, folder: str | None, *, label: str) -> Path:
    """Map root ``name`` of library ``library_id`` to ``folder`` on this computer (None: forget
    the mapping); ``label`` says which library it is to a person reading the file. Written
    atomically. Returns the file."""
    path = mounts_file()
    data = json.loads(json.dumps(_read_all()))  # a copy
    libraries = data.setdefault("libraries", {})
    entry = libraries.setdefault(library_id, {})
    entry["library"] = label
    roots = entry.setdefault("roots", {})
    if folder is None:
        roots.pop(name, None)
    else:
        roots[name] = folder
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".roots-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2, sort_keys=True)  # ASCII: lone surrogates (any bytes) survive
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path

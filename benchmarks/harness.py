"""What the benchmark scripts do around their measurements: find LFW, write the JSON result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.paths import lfw_default


def lfw_root(given: Path | None) -> Path:
    """``--lfw DIR`` or the default LFW copy (``FACEORG_LFW``, ``../shared/lfw``); without one, exit with a
    one-line message."""
    root = given or lfw_default()
    if root is None:
        raise SystemExit("LFW not found: pass --lfw DIR or set FACEORG_LFW")
    return Path(root)


def write_json(path: str | Path, data: Any, **dumps: Any) -> None:
    """Write ``data`` as indented JSON to ``path`` (folders made), and say so."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, **{"indent": 2, **dumps}))
    print(f"wrote {path}")

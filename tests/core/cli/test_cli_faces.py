"""The stable ``faceorg faces --json`` contract, run as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from PIL import Image
from skimage import data

REPO = Path(__file__).resolve().parents[3]


def test_faces_json_contract(tmp_path: Path) -> None:
    good = tmp_path / "astronaut.jpg"
    Image.fromarray(data.astronaut()).save(good, quality=95)
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(good.read_bytes()[:2000])
    out = subprocess.run([sys.executable, "-m", "core.cli.main", "faces", str(good), str(bad), "--json", "--no-flip"],
                         cwd=REPO, capture_output=True, text=True, timeout=300,
                         env={"PATH": "/usr/bin:/bin", "FACEORG_THREADS": "2", "HOME": str(tmp_path),
                              "FACEORG_CACHE": str(REPO / ".pytest_cache" / "faceorg-cache")})
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["path"] for r in lines] == [str(good), str(bad)]
    first = lines[0]
    assert set(first) == {"path", "width", "height", "faces", "error"}
    assert (first["width"], first["height"], first["error"]) == (512, 512, None)
    assert len(first["faces"]) == 1
    face = first["faces"][0]
    assert set(face) == {"box", "landmarks", "score", "embedding"}
    assert len(face["box"]) == 4 and len(face["landmarks"]) == 5 and all(len(p) == 2 for p in face["landmarks"])
    assert len(face["embedding"]) == 512 and abs(sum(v * v for v in face["embedding"]) - 1) < 1e-3
    assert lines[1]["faces"] == [] and "truncated" in lines[1]["error"]


def test_wrong_arguments_exit_nonzero() -> None:
    out = subprocess.run([sys.executable, "-m", "core.cli.main", "faces"], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 2

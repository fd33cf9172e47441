"""Issue 13: decode memory bounded by bytes. 16-bit images are scaled band by band (same values
as the plain formula), an image needing more than the budget is refused with the reason, and
decodes sharing the budget never hold more than it at once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.imaging import budget, loader
from core.imaging.errors import ImageLoadError
from core.imaging.loader import load_image


def test_16_bit_values_are_scaled_exactly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "_ROWS_BYTES", 300 * 8 * 7)  # 7 rows a band: many bands, a ragged last one
    a = (np.arange(200 * 300, dtype=np.uint32).reshape(200, 300) * 65535 // (200 * 300 - 1)).astype(np.uint16)
    Image.fromarray(a).save(tmp_path / "g16.png")
    rgb = load_image(tmp_path / "g16.png").rgb
    expected = np.rint(a / 257.0).astype(np.uint8)
    assert rgb.shape == (200, 300, 3) and np.array_equal(rgb[..., 0], expected)
    assert np.array_equal(rgb[..., 1], expected) and np.array_equal(rgb[..., 2], expected)


def test_more_than_the_budget_is_refused_with_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Image.fromarray(np.zeros((400, 500, 3), np.uint8)).save(tmp_path / "rgb.png")
    need = budget.decode_bytes("RGB", 500, 400)
    assert need == 500 * 400 * 8
    monkeypatch.setattr(loader, "DECODE_BUDGET_BYTES", need - 1)
    with pytest.raises(ImageLoadError) as err:
        load_image(tmp_path / "rgb.png")
    assert err.value.reason.startswith("too large to decode: 500 x 400 RGB needs 2 MB")
    monkeypatch.setattr(loader, "DECODE_BUDGET_BYTES", need)
    assert load_image(tmp_path / "rgb.png").rgb.shape == (400, 500, 3)


def test_budget_is_shared_by_threads() -> None:
    pool = budget.ByteBudget(100)
    peak = [0]

    def work() -> None:
        with pool.hold(60):
            peak[0] = max(peak[0], pool.used)
            time.sleep(0.02)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 60 and pool.used == 0

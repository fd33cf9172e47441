"""Helpers for the GUI tests (imported as ``gui_support``, like the core tests' support
modules): seeding a library through core APIs, reading it, finding dialogs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from core.storage.engine import open_library

WAIT_MS = 20_000
REPO = Path(__file__).resolve().parents[2]


def seed(path: Path, fn: Callable[[Session], Any]) -> Any:
    """Run ``fn(session)`` on the library at ``path`` (opened and closed again: the app
    opens it afterwards, and a library has one writer at a time)."""
    with open_library(path) as lib, lib.session() as session:
        return fn(session)


def idle(window: Any) -> bool:
    """No background task is pending (reads, writes, imports)."""
    return window.ctx.runner.pending() == 0


def read(window: Any, fn: Callable[[Session], Any]) -> Any:
    """Query the window's open library directly (a separate Session; reads never lock)."""
    assert window.ctx.store.library is not None
    with window.ctx.store.library.session() as session:
        return fn(session)


def find_dialog(qtbot: Any, window: Any, kind: type) -> Any:
    """The visible dialog of type ``kind`` that the window opened (waits for it)."""
    found: list[Any] = []

    def shown() -> bool:
        found[:] = [d for d in window.findChildren(kind) if d.isVisible()]
        return bool(found)

    qtbot.waitUntil(shown, timeout=WAIT_MS)
    return found[0]


# -- synthetic embeddings (no images): people the grouping can tell apart -----------------------
MODEL = "test-model"
DIM = 512


def unit(x: Any) -> Any:
    import numpy as np

    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def centres(n: int, seed: int = 0) -> Any:
    """``n`` random people (nearly orthogonal unit vectors)."""
    import numpy as np

    return unit(np.random.default_rng(seed).normal(size=(n, DIM)))


def samples(centre: Any, k: int, seed: int = 1, sigma: float = 0.35) -> Any:
    """``k`` faces of the person at ``centre``."""
    import numpy as np

    return unit(centre[None, :] + sigma * np.random.default_rng(seed).normal(size=(k, DIM)) / np.sqrt(DIM))


def blend(a: Any, b: Any, t: float) -> Any:
    """A face between a and b (t = 0: a): borderline for review when t is about 0.55."""
    return unit((1 - t) * a + t * b)


def pin_thresholds(session: Session) -> None:
    """Fixed grouping thresholds (those of the core grouping tests), so these tests do not move
    when the LFW calibration does."""
    from core.library.review import GroupingThresholds, save_grouping_meta

    pinned = GroupingThresholds.calibrated(1.0, {"strict": 0.8, "normal": 0.9, "loose": 1.0},
                                           {"accept": 0.7, "review": 1.0, "margin": 0.1, "grow": 0.7,
                                            "group_accept": None, "group_review": None})  # type: ignore[dict-item]
    save_grouping_meta(session, thresholds=pinned.to_json())


def add_faces(session: Session, factory: Any, vectors: Any) -> list[int]:
    """One photo per face, with embeddings."""
    from core.storage.embeddings import save_embeddings

    ids = factory.faces(session, len(vectors))
    save_embeddings(session, MODEL, zip(ids, vectors, strict=True))
    return ids

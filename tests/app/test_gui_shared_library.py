"""A library shared with another computer: what the other one writes shows up in the window
(on the change-marker timer or when the app becomes active), without a manual reload."""

from __future__ import annotations

from typing import Any

import pytest
from gui_support import WAIT_MS

from core.library import people
from core.storage.engine import open_library


@pytest.fixture
def lib_path(library_location: str, backend: str) -> str:  # the window opens this one
    if backend != "postgresql":
        pytest.skip("a SQLite library has one writer process: the shared case is PostgreSQL")
    return library_location


def test_a_name_given_on_another_computer_appears(qtbot: Any, make_window: Any, lib_path: str, factory: Any) -> None:
    with open_library(lib_path) as lib, lib.session() as s:
        cluster = factory.cluster(s, factory.faces(s, 3))
    window = make_window()
    store = window.ctx.store
    assert not store.read_only and window.people_model.rowCount() == 0
    store.watch_changes(250)
    qtbot.waitUntil(lambda: store._marker is not None, timeout=WAIT_MS)  # the baseline is taken

    with open_library(lib_path) as other, other.session() as s:  # "another computer"
        people.name_cluster(s, cluster, "Ann")
    qtbot.waitUntil(lambda: window.people_model.rowCount() == 1, timeout=WAIT_MS)

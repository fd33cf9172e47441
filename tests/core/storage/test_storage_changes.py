"""change_marker: unchanged while nobody writes, changed after another process's commit."""

from __future__ import annotations

import time

from core.storage.changes import change_marker
from core.storage.engine import open_library
from core.storage.schema import Person


def _wait_changed(lib, before, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if change_marker(lib) != before:
            return True
        time.sleep(0.2)
    return False


def test_the_marker_moves_when_another_connection_writes(library_location, backend):
    writer = open_library(library_location)
    reader = open_library(library_location, read_only=True) if backend == "postgresql" else writer
    try:
        time.sleep(2.0 if backend == "postgresql" else 0.01)  # statistics of the migrations settle
        first = change_marker(reader)
        assert change_marker(reader) == first  # reading changes nothing
        time.sleep(0.05)
        with writer.session() as s:
            s.add(Person(name="Ann", name_key="ann"))
        assert _wait_changed(reader, first)
    finally:
        if reader is not writer:
            reader.close()
        writer.close()

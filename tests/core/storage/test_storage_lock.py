"""One writer process per library, proved with real second processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from core.storage.engine import open_library
from core.storage.lock import DelegationRefusedError, LibraryLockedError
from core.storage.schema import Cluster

pytestmark = pytest.mark.sqlite_only  # the file lock; PostgreSQL leases: test_storage_postgres.py
REPO = Path(__file__).resolve().parents[3]

# A child process: open the library, add one cluster, report, and hold it until told to stop.
HOLDER = textwrap.dedent("""
    import sys
    from core.storage.engine import open_library
    from core.storage.schema import Cluster
    lib = open_library(sys.argv[1])
    with lib.session() as s:
        s.add(Cluster())
    print("ready", flush=True)
    sys.stdin.readline()
    lib.close()
""")

# A child process: try to open the library for writing; exit 3 with the message if locked.
OPENER = textwrap.dedent("""
    import sys
    from core.storage.engine import open_library
    from core.storage.lock import LibraryLockedError
    try:
        open_library(sys.argv[1]).close()
    except LibraryLockedError as e:
        print(e.pid, e, sep="|")
        sys.exit(3)
""")


def _python(code: str, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            **kwargs)


def _integrity(path: Path) -> str:
    with open_library(path, read_only=True) as lib, lib.engine.connect() as conn:
        return conn.scalar(text("PRAGMA integrity_check"))


def test_second_open_in_the_same_process_is_refused(library):
    with pytest.raises(LibraryLockedError) as info:
        open_library(library.path)
    assert info.value.pid == os.getpid()
    assert str(library.path) in str(info.value)


def test_another_process_cannot_open_a_library_we_hold(library):
    child = _python(OPENER, str(library.path))
    out, err = child.communicate(timeout=60)
    assert child.returncode == 3, err
    pid, message = out.strip().split("|", 1)
    assert int(pid) == os.getpid()
    assert str(library.path) in message and str(os.getpid()) in message


def test_we_cannot_open_a_library_another_process_holds_and_it_stays_intact(tmp_path):
    path = tmp_path / "library.sqlite"
    child = _python(HOLDER, str(path))
    try:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        with pytest.raises(LibraryLockedError) as info:
            open_library(path)
        assert info.value.pid == child.pid
        assert f"process {child.pid}" in str(info.value) and str(path) in str(info.value)
        with open_library(path, read_only=True) as ro, ro.session() as s:  # readers need no lock
            assert s.scalar(select(func.count()).select_from(Cluster)) == 1
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.wait(timeout=60) == 0
    finally:
        if child.poll() is None:
            child.kill()
    with open_library(path) as lib, lib.session() as s:
        assert s.scalar(select(func.count()).select_from(Cluster)) == 1
    assert _integrity(path) == "ok"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_crashed_holder_leaves_no_stale_lock_and_no_damage(tmp_path):
    path = tmp_path / "library.sqlite"
    child = _python(HOLDER, str(path))
    assert child.stdout.readline().strip() == "ready", child.stderr.read()
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=60)
    child.stdin.close()
    with open_library(path) as lib, lib.session() as s:
        assert s.scalar(select(func.count()).select_from(Cluster)) == 1
    assert _integrity(path) == "ok"


# -- delegation: a child of the holder writes under its lock; nobody else does ------------------
# A child process: open the library as the delegate of process argv[2], add one cluster; exit 3
# with the message if refused.
DELEGATE = textwrap.dedent("""
    import sys
    from core.storage.engine import open_library
    from core.storage.lock import DelegationRefusedError
    from core.storage.schema import Cluster
    try:
        lib = open_library(sys.argv[1], delegated_from=int(sys.argv[2]))
    except DelegationRefusedError as e:
        print(e, flush=True)
        sys.exit(3)
    with lib.session() as s:
        s.add(Cluster())
    lib.close()
""")


def _clusters(library) -> int:
    with library.session() as s:
        return s.scalar(select(func.count()).select_from(Cluster))


def test_a_child_of_the_holder_writes_under_its_lock(library):
    child = _python(DELEGATE, str(library.path), str(os.getpid()))
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, out + err
    assert _clusters(library) == 1
    assert library.lock is not None and library.lock.held  # the holder still holds it
    with pytest.raises(LibraryLockedError):  # and it still keeps independent writers out
        open_library(library.path)


def test_an_unrelated_process_cannot_claim_to_be_the_holders_delegate(tmp_path):
    path = tmp_path / "library.sqlite"
    holder = _python(HOLDER, str(path))
    try:
        assert holder.stdout.readline().strip() == "ready", holder.stderr.read()
        with pytest.raises(DelegationRefusedError) as info:  # we are not the holder's child
            open_library(path, delegated_from=holder.pid)
        assert isinstance(info.value, LibraryLockedError)
        assert "not the parent" in str(info.value) and str(path) in str(info.value)
        other = _python(DELEGATE, str(path), str(holder.pid))  # our child is not the holder's either
        out, err = other.communicate(timeout=60)
        assert other.returncode == 3 and "not the parent" in out, out + err
        mine = _python(DELEGATE, str(path), str(os.getpid()))  # we are its parent, but hold nothing
        out, err = mine.communicate(timeout=60)
        assert mine.returncode == 3 and f"held by process {holder.pid}" in out, out + err
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=60)
    with open_library(path, read_only=True) as ro, ro.session() as s:
        assert s.scalar(select(func.count()).select_from(Cluster)) == 1  # only the holder's


def test_a_child_cannot_write_when_its_parent_holds_no_lock(tmp_path):
    path = tmp_path / "library.sqlite"
    open_library(path).close()  # exists, nobody holds it
    child = _python(DELEGATE, str(path), str(os.getpid()))
    out, err = child.communicate(timeout=60)
    assert child.returncode == 3 and "not locked" in out, out + err

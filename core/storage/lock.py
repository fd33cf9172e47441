"""One writer process per library: an OS file lock on ``<library>.lock``.

The lock is ``flock`` on Linux/macOS and ``msvcrt.locking`` on Windows. The operating
system releases it when the process exits, even after a crash, so there is never a
stale lock to clean up. The holder writes its pid into the file so that a second
process can say who holds the library.

Delegation: a child process the holder started to do its writing (the desktop app's import
job) is not a second user. :func:`check_delegation` accepts it, without taking the lock, only
when the lock is held right now, the pid in the lock file is the holder's, and the holder is
the caller's parent. Every other process still gets :class:`LibraryLockedError`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Windows: lock one byte far past the pid text, so others can still read the pid.
_WIN_LOCK_OFFSET = 1 << 20


class LibraryLockedError(RuntimeError):
    """Another process has the library open for writing."""

    def __init__(self, path: Path, pid: int | None) -> None:
        self.path = path
        self.pid = pid
        who = f"process {pid}" if pid is not None else "another process"
        super().__init__(
            f"The library {path} is already open in {who}. Close the other FaceNet Organizer "
            "window or command, or open this library read-only.")


class DelegationRefusedError(LibraryLockedError):
    """A process asked to write on behalf of a lock holder that is not its parent, or that
    holds no lock."""

    def __init__(self, path: Path, pid: int | None, reason: str) -> None:
        super().__init__(path, pid)
        self.reason = reason
        self.args = (f"The library {path} cannot be written on behalf of process {pid}: {reason}.",)


def lock_path(library_path: Path) -> Path:
    """The lock file that guards ``library_path``."""
    return library_path.with_name(library_path.name + ".lock")


class LibraryLock:
    """An exclusive, non-blocking lock held until :meth:`release` or process exit."""

    def __init__(self, library_path: Path) -> None:
        self.library_path = library_path
        self.path = lock_path(library_path)
        self._fd: int | None = None

    @classmethod
    def acquire(cls, library_path: Path) -> LibraryLock:
        """Take the lock or raise :class:`LibraryLockedError` at once."""
        lock = cls(library_path)
        fd = os.open(lock.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
        try:
            if not _try_lock(fd):
                raise LibraryLockedError(library_path, _read_pid(fd))
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n".encode())
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            raise
        lock._fd = fd
        return lock

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Release the lock (the file stays; it is reused next time)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            _unlock(fd)
        finally:
            os.close(fd)


def check_delegation(library_path: Path, holder_pid: int) -> None:
    """Accept the calling process as the writer delegate of ``holder_pid`` for ``library_path``,
    or raise :class:`DelegationRefusedError`: the holder must be this process's parent, and the
    lock must be held, by the holder (the pid in the lock file), right now."""
    if holder_pid != os.getppid():
        raise DelegationRefusedError(library_path, holder_pid,
                                     f"it is not the parent of this process ({os.getppid()})")
    try:
        fd = os.open(lock_path(library_path), os.O_RDWR | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise DelegationRefusedError(library_path, holder_pid, "the library is not locked") from None
    try:
        if _try_lock(fd):  # nobody holds it: the holder closed the library
            _unlock(fd)
            raise DelegationRefusedError(library_path, holder_pid, "the library is not locked")
        pid = _read_pid(fd)
        if pid != holder_pid:
            raise DelegationRefusedError(library_path, holder_pid, f"the lock is held by process {pid}")
    finally:
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return int(os.read(fd, 32).decode().strip())
    except (OSError, ValueError):
        return None


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

"""The states stored as strings in the library: a photo's status, who made an assignment.

``StrEnum``s, so the stored values and every comparison stay plain strings (no migration) while the
code names each value once. Imports nothing (the app's item models use them at start).
"""

from __future__ import annotations

from enum import StrEnum


class PhotoStatus(StrEnum):
    """``Photo.status``. A ``StrEnum``: members are the stored strings (``PhotoStatus.DONE == "done"``)."""

    PENDING = "pending"  # found, not read yet
    DONE = "done"  # read, its faces stored (or a duplicate of a photo that has them)
    ERROR = "error"  # could not be read (``Photo.error`` says why)
    MISSING = "missing"  # the file is gone (the row and its faces stay)


class AssignmentSource(StrEnum):
    """``Assignment.source``: who decided. Assignments by the user are never overridden by automatic code."""

    USER = "user"
    RECOGNIZER = "recognizer"
    CLUSTERER = "clusterer"


#: Photos that were read once (their faces are stored): done, or done and since gone missing.
READ_STATUSES = frozenset({PhotoStatus.DONE, PhotoStatus.MISSING})

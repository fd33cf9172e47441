"""User edits of unnamed groups (clusters) that need no name.

:func:`merge_groups`: "these groups are one person, whose name I don't know yet". The faces of
the source groups join the target group and every face of it is marked as put there by the user
(source "user"), so grouping keeps them together; the emptied groups become inactive. Undoable
like the operations of :mod:`core.library.people` (it records its row changes the same way).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.library.people import NotFoundError
from core.library.undo import ChangeRecorder
from core.storage.batches import chunks
from core.storage.engine import begin_write
from core.storage.schema import Assignment, Cluster, utcnow


def merge_groups(session: Session, sources: Iterable[int], target: int) -> int:
    """Move the faces of the unnamed groups ``sources`` into the unnamed group ``target``; returns
    the target's face count."""
    begin_write(session)
    source_ids = sorted({int(s) for s in sources} - {int(target)})
    if not source_ids:
        raise ValueError("Choose at least one other group to merge")
    for cid in [target, *source_ids]:
        cluster = session.get(Cluster, cid)
        if cluster is None or not cluster.active:
            raise NotFoundError(f"No active group {cid}")
    all_ids = [target, *source_ids]
    faces: list[int] = []
    for chunk in chunks(all_ids):
        faces += session.scalars(select(Assignment.face_id).where(Assignment.cluster_id.in_(chunk),
                                                                  Assignment.person_id.is_(None)))
    rec = ChangeRecorder(session)
    rec.track(Assignment, faces)
    rec.track(Cluster, source_ids)
    now = utcnow()
    for chunk in chunks(faces):
        session.execute(update(Assignment).where(Assignment.face_id.in_(chunk))
                        .values(cluster_id=target, source="user", confidence=None, updated_at=now))
    for chunk in chunks(source_ids):
        session.execute(update(Cluster).where(Cluster.id.in_(chunk)).values(active=False))
    groups = "1 group" if len(source_ids) == 1 else f"{len(source_ids)} groups"
    rec.record("merge_groups", f"Merge {groups} into group {target}")
    return len(faces)

""""Are these the same person?": unnamed groups, and named people, that look alike.

:func:`suggest_merges` compares groups by their centroids (the normalised mean of their faces'
embeddings, the active model's): every unnamed group against every other group and every named
person, and named people against each other. Pairs closer than the library's review threshold
(squared L2 between unit centroids, :class:`core.library.review.GroupingThresholds`) are
suggested, closest first, unless the user said "no" before.

:func:`reject_merge` is that "no", remembered (undoable like the operations of
:mod:`core.library.people`): between a group and a person, every face of the group is "not that
person" (so recognition never names them so either); between two groups or two people, a
cannot-link between their best faces (so grouping keeps them apart). Either way the pair is not
suggested again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.library.covers import COVER_QUALITY
from core.library.review import load_thresholds, pick_model
from core.library.undo import ChangeRecorder
from core.storage.batches import chunks
from core.storage.embeddings import load_matrix
from core.storage.engine import begin_write
from core.storage.schema import Assignment, Cluster, Face, FaceConstraint, Person

Group = tuple[str, int]  # ("person" | "cluster", id)


@dataclass(frozen=True)
class MergeSuggestion:
    """``a`` and ``b`` may be the same person; ``distance``: squared L2 between their centroids."""

    a: Group
    b: Group
    distance: float
    a_faces: int
    b_faces: int
    a_cover: int | None = None  # the face each one shows
    b_cover: int | None = None


def _members(session: Session) -> dict[Group, list[int]]:
    rows = session.execute(select(Assignment.face_id, Assignment.person_id, Assignment.cluster_id)
                           .join(Face, Face.id == Assignment.face_id)
                           .outerjoin(Cluster, Cluster.id == Assignment.cluster_id)
                           .where(Face.ignored.is_(False),
                                  or_(Assignment.person_id.is_not(None), Cluster.active.is_(True))))
    groups: dict[Group, list[int]] = {}
    for face, person, cluster in rows:
        if person is not None:
            key: Group = ("person", int(person))
        elif cluster is not None:
            key = ("cluster", int(cluster))
        else:
            continue
        groups.setdefault(key, []).append(int(face))
    return groups


def _refused(session: Session, groups: dict[Group, list[int]]) -> set[frozenset[Group]]:
    """Pairs the user said are not one person."""
    owner = {f: g for g, faces in groups.items() for f in faces}
    out: set[frozenset[Group]] = set()
    for face, other in session.execute(select(FaceConstraint.face_id, FaceConstraint.other_face_id)
                                       .where(FaceConstraint.kind == "cannot_link")):
        if other is None:
            continue
        a, b = owner.get(face), owner.get(int(other))
        if a is not None and b is not None and a != b:
            out.add(frozenset((a, b)))
    for face, person in session.execute(select(FaceConstraint.face_id, FaceConstraint.person_id)
                                        .where(FaceConstraint.kind == "not_person")):
        a = owner.get(face)
        if a is not None and a[0] == "cluster" and person is not None:
            out.add(frozenset((a, ("person", int(person)))))
    return out


def suggest_merges(session: Session, *, limit: int = 50, model_id: str | None = None,
                   max_distance: float | None = None) -> list[MergeSuggestion]:
    """Pairs of groups / people that look alike, closest first (see the module doc)."""
    model = model_id or pick_model(session)
    if model is None:
        return []
    cutoff = load_thresholds(session).recognition.review if max_distance is None else max_distance
    groups = _members(session)
    if len(groups) < 2:
        return []
    ids, x = load_matrix(session, model, sorted(f for faces in groups.values() for f in faces))
    row = {int(f): i for i, f in enumerate(ids)}
    keys, cents, sizes = [], [], []
    for key, faces in groups.items():
        rows = [row[f] for f in faces if f in row]
        if not rows:
            continue
        mean = x[rows].mean(axis=0)
        norm = float(np.linalg.norm(mean))
        if norm > 0:
            keys.append(key)
            cents.append(mean / norm)
            sizes.append(len(rows))
    if len(keys) < 2:
        return []
    c = np.asarray(cents, dtype=np.float32)
    d = np.maximum(2.0 - 2.0 * (c @ c.T), 0.0)
    refused = _refused(session, groups)
    out = []
    for i, j in zip(*np.nonzero(np.triu(d <= cutoff, k=1)), strict=True):
        a, b = keys[i], keys[j]
        if frozenset((a, b)) in refused:
            continue
        if a[0] == "person" and b[0] == "cluster":
            i, j, a, b = j, i, b, a  # the unnamed group first: "is this group <person>?"
        out.append(MergeSuggestion(a, b, float(d[i, j]), sizes[i], sizes[j]))
    out.sort(key=lambda s: (s.distance, s.a, s.b))
    return [MergeSuggestion(m.a, m.b, m.distance, m.a_faces, m.b_faces, _cover(session, m.a), _cover(session, m.b))
            for m in out[:limit]]


def _cover(session: Session, group: Group) -> int | None:
    if group[0] == "person":
        person = session.get(Person, group[1])
        if person is not None and person.cover_face_id is not None:
            return person.cover_face_id
    return _best_face(session, group)


def _name(session: Session, group: Group) -> str:
    person = session.get(Person, group[1]) if group[0] == "person" else None
    return person.name if person is not None else f"group {group[1]}"


def _best_face(session: Session, group: Group) -> int | None:
    column = Assignment.person_id if group[0] == "person" else Assignment.cluster_id
    return session.scalars(select(Face.id).join(Assignment, Assignment.face_id == Face.id)
                           .where(column == group[1], Face.ignored.is_(False))
                           .order_by(COVER_QUALITY.desc(), Face.id).limit(1)).first()


def reject_merge(session: Session, a: Group, b: Group) -> int:
    """"These are not the same person", remembered (see the module doc); how many statements."""
    begin_write(session)
    if a[0] == "person" and b[0] == "cluster":
        a, b = b, a
    rec = ChangeRecorder(session)
    new: list[FaceConstraint] = []
    if a[0] == "cluster" and b[0] == "person":
        faces = list(session.scalars(select(Assignment.face_id).where(Assignment.cluster_id == a[1])))
        known: set[int] = set()
        for chunk in chunks(faces):
            known.update(session.scalars(select(FaceConstraint.face_id).where(
                FaceConstraint.kind == "not_person", FaceConstraint.person_id == b[1],
                FaceConstraint.face_id.in_(chunk))))
        new = [FaceConstraint(face_id=f, kind="not_person", person_id=b[1]) for f in faces if f not in known]
    else:
        fa, fb = _best_face(session, a), _best_face(session, b)
        if fa is not None and fb is not None:
            new = [FaceConstraint(face_id=fa, kind="cannot_link", other_face_id=fb)]
    session.add_all(new)
    session.flush()
    rec.track_new(FaceConstraint, [c.id for c in new])
    rec.record("reject_merge", f"{_name(session, a)} is not {_name(session, b)}")
    return len(new)

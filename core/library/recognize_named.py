"""Recognise a person right after the user named them, without grouping everything again.

When a group gets a name (or faces join a person), that person's new faces are the best evidence
there is for the faces nobody has named yet. :func:`plan_for_people` reads the faces that belong
to no person (unassigned, or in an unnamed group; not ignored), recognises them against every
named person's gallery (:func:`core.clustering.recognition.recognize`, the library's thresholds,
"not this person" respected) and keeps the decisions that point at the people just named.
:func:`apply_plan` writes them like grouping does (:func:`core.library.review.store_recognition`:
confident ones are named by the recognizer, borderline ones become review suggestions); faces
that a person took meanwhile, or that were ignored, are left alone. The plan is read-only, so an
app can make it off its writer thread; :func:`recognize_people` does both in turn.

Nothing here is recorded for undo: like grouping's recognition, these are automatic decisions.
Undoing the naming that created a person removes the faces recognised as them
(:func:`core.library.undo.undo_last` deletes a removed person's automatic assignments).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clustering.recognition import AUTO, REVIEW, Recognition, recognize, take
from core.library.review import gallery_faces, load_thresholds, not_person_map, pick_model, store_recognition
from core.progress import CancelToken, check
from core.storage.batches import chunks
from core.storage.embeddings import load_matrix
from core.storage.engine import Library, begin_write
from core.storage.nearest import faces_near
from core.storage.schema import Assignment, Face

INDEX_MAX_SCANS = 8  # rows too crowded for the index (see faces_near) before the whole gallery is read instead
# The index path costs about one HNSW query per face to recognise, the exact path one vector read per gallery
# face; measured (bench_recognize_index, loaded 2-core machine): about 0.1 s per face against 1.3 ms per gallery
# face (gallery 5000 / 20 faces: 3.4 s vs 7.4 s exact; 5000 / 300: 35 s vs 6.9 s). So by default the index is
# used from this many gallery faces per face to recognise.
INDEX_MIN_GALLERY_PER_FACE = 100


@dataclass(frozen=True)
class RecognitionPlan:
    """Decisions for ``face_ids`` (rows of ``rec``) that point at one of ``person_ids``."""

    person_ids: tuple[int, ...]
    face_ids: np.ndarray
    rec: Recognition

    @property
    def named(self) -> int:
        return int((self.rec.decision == AUTO).sum())

    @property
    def suggested(self) -> int:
        return int((self.rec.decision == REVIEW).sum())


@dataclass(frozen=True)
class NamedRecognition:
    """What :func:`apply_plan` wrote: faces named automatically, faces suggested for review."""

    person_ids: tuple[int, ...]
    recognized: list[int]
    suggested: list[int]


def _nobodys_faces(session: Session) -> list[int]:
    """Faces that belong to no person and are not ignored."""
    return list(session.scalars(select(Face.id).outerjoin(Assignment, Assignment.face_id == Face.id)
                                .where(Face.ignored.is_(False), Assignment.person_id.is_(None))
                                .order_by(Face.id)))


def plan_for_people(session: Session, person_ids: Iterable[int], *, model_id: str | None = None,
                    cancel: CancelToken | None = None, use_index: bool | None = None) -> RecognitionPlan:
    """Recognise the faces nobody named and keep the decisions for ``person_ids`` (read-only).

    ``use_index`` (default: on PostgreSQL when the gallery holds at least
    ``INDEX_MIN_GALLERY_PER_FACE`` faces per face to recognise): read only the gallery faces near
    the faces to recognise, found through the HNSW index (:func:`core.storage.nearest.faces_near`), instead of
    the whole gallery. Every gallery face that can change a decision lies within
    :meth:`~core.clustering.recognition.RecognitionSettings.reach` of its face, and those are all
    read, so the decisions (and the distances stored with them) are the exact path's, up to the
    index's recall."""
    people = tuple(sorted({int(p) for p in person_ids}))
    th = load_thresholds(session)
    nothing = np.zeros((0, 1), np.float32)
    empty = RecognitionPlan(people, np.zeros(0, np.int64),
                            recognize(nothing, nothing, np.zeros(0, np.int64), th.recognition))
    model = model_id or pick_model(session)
    if model is None or not people:
        return empty
    all_ids, g_person = gallery_faces(session, th.grow_max)
    g_ids = all_ids
    if not np.isin(np.asarray(people), g_person).any():
        return empty
    check(cancel)
    q_ids, q = load_matrix(session, model, _nobodys_faces(session), skip_ignored=True)
    if len(q_ids) == 0:
        return empty
    check(cancel)
    if use_index is None:
        use_index = session.get_bind().dialect.name == "postgresql" and \
            len(g_ids) >= INDEX_MIN_GALLERY_PER_FACE * len(q_ids)
    if use_index:  # the gallery faces that can matter, not the whole gallery
        near = faces_near(session, model, q, float(np.sqrt(th.recognition.reach())), max_scans=INDEX_MAX_SCANS)
        if near is not None:  # None: too crowded near the batch, the whole gallery it is
            g_ids = g_ids[np.isin(g_ids, near)]
    g_rows, g = load_matrix(session, model, g_ids)
    person_of = dict(zip(all_ids.tolist(), g_person.tolist(), strict=True))
    banned = not_person_map(session, q_ids.tolist())
    exclude = {i: banned[int(f)] for i, f in enumerate(q_ids) if int(f) in banned}
    rec = recognize(q, g, np.array([person_of[int(f)] for f in g_rows], np.int64), th.recognition,
                    exclude=exclude, cancel=cancel)
    keep = np.isin(rec.person, np.asarray(people)) & ((rec.decision == AUTO) | (rec.decision == REVIEW))
    return RecognitionPlan(people, q_ids[keep], take(rec, keep))


def apply_plan(session: Session, plan: RecognitionPlan) -> NamedRecognition:
    """Write ``plan``'s decisions for the faces that still belong to no person and are not ignored."""
    begin_write(session)
    if len(plan.face_ids) == 0:
        return NamedRecognition(plan.person_ids, [], [])
    taken: set[int] = set()
    for chunk in chunks(plan.face_ids.tolist()):
        taken.update(session.scalars(select(Face.id).outerjoin(Assignment, Assignment.face_id == Face.id)
                                     .where(Face.id.in_(chunk))
                                     .where(Assignment.person_id.is_not(None) | Face.ignored.is_(True))))
    still = np.array([int(f) not in taken for f in plan.face_ids], dtype=bool)
    named, suggested = store_recognition(session, plan.face_ids[still], take(plan.rec, still))
    return NamedRecognition(plan.person_ids, named, suggested)


def recognize_people(library: Library, person_ids: Iterable[int], *,
                     cancel: CancelToken | None = None) -> NamedRecognition:
    """Plan (in one session) then apply (in another): see the module doc."""
    with library.session() as session:
        plan = plan_for_people(session, person_ids, cancel=cancel)
    check(cancel)
    with library.session() as session:
        return apply_plan(session, plan)

"""Grouping faces: recognise the faces of named people, cluster the rest into unnamed groups.

:func:`regroup` is one unit of work. Every face with an embedding that no user named (unassigned,
in an unnamed cluster, or named by the recognizer) is clustered by constrained average linkage
(:func:`core.clustering.agglomerative.cluster_faces`); the unassigned and unnamed-cluster faces
among them are recognised against the faces of named people with their cluster as evidence
(:func:`core.clustering.recognition.recognize_growing`): confident matches are named (source
"recognizer"), borderline ones suggested (:mod:`core.library.review`). What stays unnamed keeps
its cluster when the cluster has ``min_cluster_size`` such faces (else it is unassigned); clusters
keep their ids where their members mostly stay (:func:`core.clustering.stable_ids.match_cluster_ids`)
and become inactive when emptied.

Never touched: assignments with source "user", named people, ignored faces. Respected: faces of
one photo never share a cluster; "not this person"; "not this cluster"; must-link and cannot-link
statements; faces the user put in a cluster stay together. The plan is made outside the write
transaction and written in one transaction if no user operation happened meanwhile (else made
again, finally under the write lock). Running it twice with nothing new changes nothing.
Thresholds: :class:`core.clustering.presets.GroupingThresholds`, kept in ``LibraryMeta["grouping"]``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from sqlalchemy import Integer, cast, func, select, update
from sqlalchemy.orm import Session

from core import faults
from core.clustering.agglomerative import cluster_faces
from core.clustering.presets import GroupingThresholds
from core.clustering.recognition import AUTO, REVIEW, Recognition, recognize_growing, take
from core.clustering.stable_ids import match_cluster_ids
from core.clustering.strictness import DEFAULT_STRICTNESS, STRICTNESS
from core.library.results import GroupingResult
from core.library.review import (  # the GUI imports the review API from here too
    ReviewAnswer,
    ReviewSuggestion,
    answer_review,
    drop_reviews_except,
    gallery_faces,
    last_strictness,
    load_thresholds,
    not_person_map,
    pick_model,
    review_queue,
    save_thresholds,
    store_recognition,
)
from core.progress import CancelToken, ProgressFn, check, report
from core.storage.batches import chunks
from core.storage.embeddings import load_matrix
from core.storage.engine import Library, begin_write
from core.storage.schema import Assignment, Cluster, Face, FaceConstraint, Operation
from core.storage.states import AssignmentSource
from core.storage.upsert import insert

if TYPE_CHECKING:
    from core.pipeline import FacePipeline

__all__ = ["STRICTNESS", "GroupingResult", "GroupingThresholds", "ReviewAnswer", "ReviewSuggestion",
           "add_manual_face", "answer_review", "last_strictness", "load_thresholds", "preview_group_count", "regroup",
           "review_queue"]

OPTIMISTIC_TRIES = 2  # plans made outside the write lock before one is made inside it


@dataclass
class _Plan:
    threshold: float = 0.0
    face_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # recognition queries
    recognition: Recognition | None = None
    cluster_of: dict[int, int | None] = field(default_factory=dict)  # pool face -> new label (None: none)
    label_to_id: dict[int, int] = field(default_factory=dict)  # new label -> kept cluster id
    old_cluster: dict[int, int] = field(default_factory=dict)  # pool face -> current cluster id
    user_faces: set[int] = field(default_factory=set)
    clusters_total: int = 0
    clustered: int = 0


class _FaceRow(NamedTuple):
    """A face that is not ignored, with its assignment (all None: unassigned)."""

    face_id: int
    photo_id: int
    person_id: int | None
    cluster_id: int | None
    source: str | None  # an AssignmentSource

    @property
    def named_by_user(self) -> bool:
        return self.person_id is not None and self.source == AssignmentSource.USER


def _face_rows(session: Session, with_embedding: dict[int, int]) -> list[_FaceRow]:
    """The faces that are not ignored and have an embedding (in ``with_embedding``), by id."""
    rows = session.execute(select(Face.id, Face.photo_id, Assignment.person_id, Assignment.cluster_id,
                                  Assignment.source).outerjoin(Assignment, Assignment.face_id == Face.id)
                           .where(Face.ignored.is_(False)).order_by(Face.id)).all()
    return [_FaceRow(*row) for row in rows if row[0] in with_embedding]


def _check_strictness(strictness: str) -> None:
    if strictness not in STRICTNESS:
        raise ValueError(f"strictness must be one of {', '.join(STRICTNESS)}, not {strictness!r}")


def _fingerprint(session: Session) -> tuple:
    """Changes whenever a user operation, undo or redo happened (or faces came or went)."""
    ops = session.execute(select(func.max(Operation.id), func.sum(cast(Operation.undone, Integer)))).one()
    faces = session.execute(select(func.max(Face.id), func.count(Face.id), func.sum(cast(Face.ignored, Integer)))).one()
    return tuple(ops) + tuple(faces)


def _make_plan(session: Session, model: str, th: GroupingThresholds, strictness: str,
               progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> _Plan:
    """Cluster every face no user named (the context), recognise the unnamed ones with their
    cluster as evidence, and keep as unnamed clusters what stays unnamed."""
    plan = _Plan(threshold=th.clustering[strictness])
    ids, x = load_matrix(session, model, skip_ignored=True)
    if len(ids) == 0:
        return plan
    row_of = {int(f): i for i, f in enumerate(ids)}
    faces = _face_rows(session, row_of)
    photo = {r.face_id: r.photo_id for r in faces}
    active = set(session.scalars(select(Cluster.id).where(Cluster.active.is_(True))))
    in_group = [(r, r.cluster_id) for r in faces if r.cluster_id is not None and r.cluster_id in active]
    user_cluster = {r.face_id: c for r, c in in_group if r.source == AssignmentSource.USER}  # the user's groups
    plan.old_cluster = {r.face_id: c for r, c in in_group}
    pooled = [r for r in faces if not r.named_by_user]  # everything grouping may (re)decide
    pool = [r.face_id for r in pooled]
    unnamed = np.array([r.person_id is None and r.face_id not in user_cluster for r in pooled], dtype=bool)
    check(cancel)
    labels = _cluster(session, pool, x, row_of, photo, user_cluster, plan, progress, cancel)
    g_ids, g_person = gallery_faces(session, th.grow_max)
    keep = np.array([int(f) in row_of for f in g_ids], dtype=bool)
    g_ids, g_person = g_ids[keep], g_person[keep]
    report(progress, 0, len(pool), "recognising faces")
    banned = not_person_map(session, [f for f, u in zip(pool, unnamed, strict=True) if u])
    exclude = {i: banned[f] for i, f in enumerate(pool) if f in banned}
    rec = recognize_growing(_rows(x, row_of, pool), _rows(x, row_of, g_ids), g_person, th.recognition,
                            groups=labels, candidates=unnamed, exclude=exclude, grow_max=th.grow_max,
                            progress=progress, cancel=cancel)
    pool_ids = np.array(pool, dtype=np.int64)
    plan.face_ids, plan.recognition = pool_ids[unnamed], take(rec, unnamed)
    stays = (unnamed & (rec.decision != AUTO)) | np.isin(pool_ids, list(user_cluster))
    rest, rest_labels = pool_ids[stays], labels[stays]
    sizes = np.bincount(rest_labels, minlength=int(labels.max()) + 1 if len(labels) else 0)
    forced = {int(lab): user_cluster[int(f)] for f, lab in zip(rest, rest_labels, strict=True)
              if int(f) in user_cluster}
    kept = {lab for lab in range(len(sizes)) if sizes[lab] >= th.min_cluster_size or lab in forced}
    plan.cluster_of = {int(f): (int(lab) if int(lab) in kept else None) for f, lab in zip(rest, rest_labels,
                                                                                           strict=True)}
    plan.user_faces = set(user_cluster)
    old = {f: c for f, c in plan.old_cluster.items() if f in plan.cluster_of and c not in forced.values()}
    new = {f: lab for f, lab in plan.cluster_of.items() if lab is not None and lab not in forced}
    matched = match_cluster_ids(old, new, first_new_id=1 << 62)
    plan.label_to_id = {**{lab: cid for lab, cid in matched.items() if cid < 1 << 62}, **forced}
    plan.clusters_total = len(kept)
    plan.clustered = sum(1 for lab in plan.cluster_of.values() if lab is not None)
    return plan


def _rows(x: np.ndarray, row_of: dict[int, int], ids: np.ndarray | list[int]) -> np.ndarray:
    return x[np.array([row_of[int(f)] for f in ids], dtype=np.int64)]


def _cluster(session: Session, pool: list[int], x: np.ndarray, row_of: dict[int, int], photo: dict[int, int],
             user_cluster: dict[int, int], plan: _Plan, progress: ProgressFn | None,
             cancel: CancelToken | None) -> np.ndarray:
    """Labels of the pool faces under every constraint (see the module doc)."""
    if not pool:
        return np.zeros(0, dtype=np.int64)
    index = {f: i for i, f in enumerate(pool)}
    must: list[list[int]] = []
    cannot: list[tuple[int, int] | tuple[int, list[int]]] = []
    members: dict[int, list[int]] = {}
    for f, c in plan.old_cluster.items():
        if f in index:
            members.setdefault(c, []).append(index[f])
    by_user: dict[int, list[int]] = {}
    for f, c in user_cluster.items():
        by_user.setdefault(c, []).append(index[f])
    must += [g for g in by_user.values() if len(g) > 1]
    groups = list(by_user.values())
    cannot += [(a[0], b) for i, a in enumerate(groups) for b in groups[i + 1:]]  # user clusters stay apart
    for kind, face, cluster, other in session.execute(select(
            FaceConstraint.kind, FaceConstraint.face_id, FaceConstraint.cluster_id, FaceConstraint.other_face_id)):
        if face not in index:
            continue
        if kind == "must_link" and other in index:
            must.append([index[face], index[other]])
        elif kind == "cannot_link" and other in index:
            cannot.append((index[face], index[other]))
        elif kind == "not_cluster" and cluster in members:
            others = [i for i in members[cluster] if i != index[face]]
            if others:
                cannot.append((index[face], others))
    report(progress, 0, len(pool), "clustering faces")
    result = cluster_faces(x[[row_of[f] for f in pool]], plan.threshold, photo_ids=np.array([photo[f] for f in pool]),
                           cannot_link=cannot, must_link=must, progress=progress, cancel=cancel)
    return result.labels


@dataclass(frozen=True)
class _Written:
    clusters_new: int
    clusters_kept: int
    suggested: int


def _write(session: Session, plan: _Plan) -> _Written:
    """Recognition results, review suggestions and clusters, in the caller's write transaction."""
    if plan.recognition is not None:
        store_recognition(session, plan.face_ids, plan.recognition)
        reviewed = plan.face_ids[plan.recognition.decision == REVIEW]
    else:
        reviewed = np.zeros(0, np.int64)
    drop_reviews_except(session, reviewed.tolist())
    ids = dict(plan.label_to_id)
    new_labels = sorted({lab for lab in plan.cluster_of.values() if lab is not None and lab not in ids})
    if new_labels:
        stmt = insert(Cluster).returning(Cluster.id, sort_by_parameter_order=True)
        created = session.scalars(stmt, [{"active": True} for _ in new_labels]).all()
        ids.update(zip(new_labels, created, strict=True))
    rows, drop = [], []
    for f, lab in plan.cluster_of.items():
        if f in plan.user_faces:
            continue
        target = None if lab is None else ids[lab]
        if target is None and f in plan.old_cluster:
            drop.append(f)
        elif target is not None and plan.old_cluster.get(f) != target:
            rows.append({"face_id": f, "person_id": None, "cluster_id": target, "source": AssignmentSource.CLUSTERER,
                         "confidence": None})
    if rows:
        upsert = insert(Assignment.__table__)
        upsert = upsert.on_conflict_do_update(
            index_elements=["face_id"], set_={c: upsert.excluded[c] for c in ("person_id", "cluster_id", "source",
                                                                            "confidence", "updated_at")},
            where=(Assignment.__table__.c.source == AssignmentSource.CLUSTERER)
            & Assignment.__table__.c.person_id.is_(None))
        session.execute(upsert, rows)
    for chunk in chunks(drop):
        session.execute(Assignment.__table__.delete().where(
            Assignment.face_id.in_(chunk), Assignment.source == AssignmentSource.CLUSTERER,
            Assignment.person_id.is_(None)))
    has_face = select(Assignment.face_id).where(Assignment.cluster_id == Cluster.id).exists()
    session.execute(update(Cluster).where(Cluster.active.is_(True), ~has_face).values(active=False))
    kept = len(set(plan.label_to_id) & {lab for lab in plan.cluster_of.values() if lab is not None})
    return _Written(clusters_new=len(new_labels), clusters_kept=kept, suggested=len(reviewed))


def regroup(library: Library, strictness: str = DEFAULT_STRICTNESS, *, model_id: str | None = None,
            progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> GroupingResult:
    """Recognise, then cluster, the faces that belong to no person; see the module doc."""
    _check_strictness(strictness)
    start = time.perf_counter()
    report(progress, 0, None, "grouping faces")
    with library.session() as session:
        model = model_id or pick_model(session)
        thresholds = load_thresholds(session)
    if model is None:
        return GroupingResult(seconds=time.perf_counter() - start, strictness=strictness,
                              threshold=thresholds.clustering[strictness])
    for attempt in range(OPTIMISTIC_TRIES + 1):
        check(cancel)
        with library.session() as session:
            if attempt == OPTIMISTIC_TRIES:
                begin_write(session)  # last try: nobody can write between plan and write
            stamp = _fingerprint(session)
            plan = _make_plan(session, model, thresholds, strictness, progress, cancel)
            if attempt < OPTIMISTIC_TRIES:
                session.rollback()
            else:
                written = _save(session, plan, thresholds, model, strictness)
                break
        check(cancel)
        report(progress, 0, None, "saving groups")
        with library.session() as session:
            begin_write(session)
            if _fingerprint(session) == stamp:
                written = _save(session, plan, thresholds, model, strictness)
                break
    report(progress, 1, 1, "grouping done")
    n_auto = int((plan.recognition.decision == AUTO).sum()) if plan.recognition is not None else 0
    return GroupingResult(recognized=n_auto, suggested=written.suggested, clustered=plan.clustered,
                          clusters_total=plan.clusters_total, clusters_new=written.clusters_new,
                          clusters_kept=written.clusters_kept, seconds=time.perf_counter() - start,
                          strictness=strictness, threshold=plan.threshold, model_id=model)


def _save(session: Session, plan: _Plan, thresholds: GroupingThresholds, model: str, strictness: str) -> _Written:
    save_thresholds(session, thresholds, model, strictness)
    written = _write(session, plan)
    faults.point("grouping.write")
    return written


def preview_group_count(library: Library, strictness: str) -> int:
    """How many unnamed groups :func:`regroup` at ``strictness`` would leave (nothing is written)."""
    _check_strictness(strictness)
    with library.session() as session:
        model = pick_model(session)
        if model is None:
            return 0
        plan = _make_plan(session, model, load_thresholds(session), strictness)
        session.rollback()
    return plan.clusters_total


def add_manual_face(library: Library, photo_id: int, box: tuple[float, float, float, float],
                    pipeline: FacePipeline) -> int:
    """Add a face the detector missed; see :func:`core.library.manual.add_manual_face`."""
    from core.library.manual import add_manual_face as add

    return add(library, photo_id, box, pipeline)

"""regroup(): recognition then clustering on synthetic embeddings (no images): constraints,
names that survive, stable cluster ids, idempotence, strictness, cancel."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from core.clustering.presets import GroupingThresholds
from core.library.grouping import GroupingResult, last_strictness, preview_group_count, regroup
from core.library.people import assign_faces, name_cluster, remove_faces
from core.library.review import META_KEY, save_grouping_meta
from core.progress import Cancelled, CancelToken
from core.storage.embeddings import save_embeddings
from core.storage.schema import Assignment, Cluster, FaceConstraint, LibraryMeta, Person, ReviewItem

MODEL = "test-model"
DIM = 512
# Fixed thresholds, so that these tests do not move when the LFW calibration does.
PINNED = GroupingThresholds.calibrated(1.0, {"strict": 0.8, "normal": 0.9, "loose": 1.0},
                                       {"accept": 0.7, "review": 1.0, "margin": 0.1, "grow": 0.7,
                                        "group_accept": None, "group_review": None})  # type: ignore[dict-item]


def pin_thresholds(session) -> None:
    """Store :data:`PINNED` as the library's thresholds."""
    save_grouping_meta(session, thresholds=PINNED.to_json())


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def centres(n: int, seed: int = 0) -> np.ndarray:
    """``n`` random people (nearly orthogonal unit vectors: squared distance ~2)."""
    return unit(np.random.default_rng(seed).normal(size=(n, DIM)))


def samples(centre: np.ndarray, k: int, sigma: float = 0.35, seed: int = 1) -> np.ndarray:
    """``k`` faces of one person: squared distance between two of them ~ 2 sigma^2 / (1 + sigma^2)."""
    rng = np.random.default_rng(seed)
    return unit(centre[None, :] + sigma * rng.normal(size=(k, DIM)) / np.sqrt(DIM))


def blend(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """A face between a and b (t = 0: a)."""
    return unit((1 - t) * a + t * b)


def add_faces(session, factory, vectors: np.ndarray, *, one_photo: bool = False) -> list[int]:
    """One photo per face (or all in one photo), with embeddings."""
    ids = factory.photo(session, len(vectors)) if one_photo else factory.faces(session, len(vectors))
    save_embeddings(session, MODEL, zip(ids, vectors, strict=True))
    return ids


def state(session) -> dict[int, tuple]:
    return {a.face_id: (a.person_id, a.cluster_id, a.source, a.confidence, a.updated_at)
            for a in session.scalars(select(Assignment))}


def cluster_of(session, face_ids: list[int]) -> list[int | None]:
    rows = {a.face_id: a.cluster_id for a in session.scalars(select(Assignment))}
    return [rows.get(f) for f in face_ids]


@pytest.fixture(autouse=True)
def _pinned(library) -> None:
    with library.session() as s:
        pin_thresholds(s)


@pytest.fixture
def three(library, factory):
    """Three people with 4 faces each plus two strangers, all unassigned."""
    c = centres(5)
    with library.session() as s:
        people = [add_faces(s, factory, samples(c[i], 4, seed=i)) for i in range(3)]
        strangers = add_faces(s, factory, c[3:5])
    return people, strangers, c


def test_clusters_people_and_leaves_strangers(library, three):
    people, strangers, _ = three
    result = regroup(library)
    assert isinstance(result, GroupingResult)
    assert (result.recognized, result.suggested, result.clusters_total, result.clustered) == (0, 0, 3, 12)
    assert (result.clusters_new, result.clusters_kept) == (3, 0)
    with library.session() as s:
        ids = [set(cluster_of(s, p)) for p in people]
        assert all(len(x) == 1 and None not in x for x in ids)
        assert len(set.union(*ids)) == 3
        assert cluster_of(s, strangers) == [None, None]  # singletons stay unassigned
        meta = s.get(LibraryMeta, META_KEY).value
    assert meta["model_id"] == MODEL and meta["strictness"] == "normal"
    assert meta["thresholds"]["clustering"]["normal"] == pytest.approx(result.threshold) == 0.9


def test_idempotent_and_stable_ids(library, factory, three):
    people, _, c = three
    regroup(library)
    with library.session() as s:
        before = state(s)
        ids = [cluster_of(s, p)[0] for p in people]
    again = regroup(library)
    assert (again.clusters_new, again.clusters_kept, again.recognized) == (0, 3, 0)
    with library.session() as s:
        assert state(s) == before  # nothing rewritten, not even timestamps
        new = add_faces(s, factory, samples(c[1], 2, seed=99))
    third = regroup(library)
    assert (third.clusters_new, third.clusters_kept) == (0, 3)
    with library.session() as s:
        assert [cluster_of(s, p)[0] for p in people] == ids
        assert cluster_of(s, new) == [ids[1], ids[1]]


def test_names_survive_and_new_faces_are_recognised(library, factory, three):
    people, strangers, c = three
    regroup(library)
    with library.session() as s:
        ann = name_cluster(s, cluster_of(s, people[0])[0], "Ann")
        new = add_faces(s, factory, samples(c[0], 2, seed=50))
        stranger = add_faces(s, factory, centres(1, seed=77))
    result = regroup(library)
    assert result.recognized == 2
    with library.session() as s:
        rows = {a.face_id: a for a in s.scalars(select(Assignment))}
        assert all((rows[f].person_id, rows[f].source) == (ann.id, "user") for f in people[0])
        assert all((rows[f].person_id, rows[f].source) == (ann.id, "recognizer") for f in new)
        assert all(0.5 < rows[f].confidence <= 1.0 for f in new)
        assert stranger[0] not in rows and all(f not in rows for f in strangers)
        assert s.get(Person, ann.id).name == "Ann"
    again = regroup(library, "loose")
    assert again.recognized == 0
    with library.session() as s:
        assert s.get(Person, ann.id).name == "Ann"
        assert last_strictness(s) == "loose"


def test_same_photo_faces_never_share_a_cluster(library, factory):
    c = centres(1)
    with library.session() as s:
        together = add_faces(s, factory, samples(c[0], 2, seed=3), one_photo=True)
        others = add_faces(s, factory, samples(c[0], 3, seed=4))
    regroup(library)
    with library.session() as s:
        a, b = cluster_of(s, together)
        assert a != b
        assert set(cluster_of(s, others)) <= {a, b}


def test_must_link_and_cannot_link(library, factory):
    c = centres(2)
    with library.session() as s:
        a = add_faces(s, factory, samples(c[0], 3, seed=5))
        b = add_faces(s, factory, samples(c[1], 4, seed=6))
        s.add(FaceConstraint(face_id=a[0], kind="must_link", other_face_id=b[0]))
        s.add(FaceConstraint(face_id=b[1], kind="cannot_link", other_face_id=b[2]))
    regroup(library)
    with library.session() as s:
        ca, cb = cluster_of(s, a), cluster_of(s, b)
        assert ca[0] == cb[0]  # the user said these two are one person
        assert cb[1] != cb[2] or cb[1] is None
        assert cb[3] in (cb[1], cb[2]) and cb[3] is not None


def test_not_this_person_is_never_recognised_again(library, factory, three):
    people, _, c = three
    regroup(library)
    with library.session() as s:
        ann = name_cluster(s, cluster_of(s, people[0])[0], "Ann")
        new = add_faces(s, factory, samples(c[0], 1, seed=60))
    assert regroup(library).recognized == 1
    with library.session() as s:
        remove_faces(s, ann.id, new)
    result = regroup(library)
    assert (result.recognized, result.suggested) == (0, 0)
    with library.session() as s:
        row = s.get(Assignment, new[0])
        assert row is None or row.person_id is None
        assert s.scalars(select(ReviewItem)).all() == []


def test_user_assignments_are_never_touched(library, factory, three):
    people, strangers, c = three
    regroup(library)
    with library.session() as s:
        ann = name_cluster(s, cluster_of(s, people[0])[0], "Ann")
        assign_faces(s, [people[1][0], strangers[0]], ann.id)  # wrong, but the user said so
        before = {f: (a.person_id, a.source) for f, a in ((f, s.get(Assignment, f))
                                                           for f in [people[1][0], strangers[0]])}
    regroup(library, "loose")
    with library.session() as s:
        after = {f: (s.get(Assignment, f).person_id, s.get(Assignment, f).source) for f in before}
    assert after == before == {people[1][0]: (ann.id, "user"), strangers[0]: (ann.id, "user")}


def test_emptied_clusters_become_inactive(library, factory):
    c = centres(2)
    with library.session() as s:
        faces = add_faces(s, factory, np.stack([c[0], c[1]]))
        old = factory.cluster(s, faces)  # two different people: clustering splits them
    result = regroup(library)
    assert result.clusters_total == 0
    with library.session() as s:
        assert s.get(Cluster, old).active is False
        assert cluster_of(s, faces) == [None, None]


def test_user_cluster_assignments_stay(library, factory):
    c = centres(2)
    with library.session() as s:
        faces = add_faces(s, factory, np.stack([c[0], c[1]]))
        kept = factory.cluster(s, faces)
        for f in faces:
            s.get(Assignment, f).source = "user"
    regroup(library)
    with library.session() as s:
        assert cluster_of(s, faces) == [kept, kept] and s.get(Cluster, kept).active


def test_strictness_changes_the_group_count(library, factory):
    c = centres(6)
    with library.session() as s:
        for i in range(0, 6, 2):  # three pairs of look-alikes
            mid = blend(c[i], c[i + 1], 0.5)
            add_faces(s, factory, samples(blend(c[i], mid, 0.55), 3, sigma=0.3, seed=i))
            add_faces(s, factory, samples(blend(c[i + 1], mid, 0.55), 3, sigma=0.3, seed=i + 10))
    counts = {k: preview_group_count(library, k) for k in ("strict", "normal", "loose")}
    assert counts["strict"] >= counts["normal"] >= counts["loose"]
    with library.session() as s:
        assert s.scalars(select(Assignment)).all() == []  # preview writes nothing
    assert regroup(library, "strict").clusters_total == counts["strict"]
    with pytest.raises(ValueError):
        preview_group_count(library, "medium")


def test_cancel_writes_nothing(library, three):
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        regroup(library, cancel=token)
    with library.session() as s:
        assert s.scalars(select(Assignment)).all() == []


def test_default_thresholds_are_stored(tmp_path):
    from core.storage.engine import open_library

    with open_library(tmp_path / "other.sqlite") as library:
        regroup(library)  # no faces: nothing to store yet
        with library.session() as s:
            assert s.get(LibraryMeta, META_KEY) is None


def test_empty_library(library):
    result = regroup(library)
    assert (result.clusters_total, result.model_id) == (0, None)
    assert preview_group_count(library, "normal") == 0


def test_a_user_operation_during_grouping_wins(library, factory, three):
    """The plan is made outside the write lock: a change made meanwhile makes regroup plan again."""
    people, _, _ = three
    seen: list[str] = []

    def progress(p) -> None:
        if p.message == "clustering faces" and not seen:
            seen.append(p.message)
            with library.session() as s:  # the user, meanwhile (another unit of work)
                assign_faces(s, [people[0][0]], "Zed")

    result = regroup(library, progress=progress)
    with library.session() as s:
        row = s.get(Assignment, people[0][0])
        assert (s.get(Person, row.person_id).name, row.source) == ("Zed", "user")
        others = [s.get(Assignment, f) for f in people[0][1:]]
        assert {(a.person_id, a.source) for a in others} == {(row.person_id, "recognizer")}
    assert (result.recognized, result.clustered, result.clusters_total) == (3, 8, 2)  # planned again


def test_default_thresholds_name_a_group_of_new_faces(library, factory, three):
    """With the calibrated defaults (group evidence on): new photos of a named person are named;
    a stranger's photos stay unnamed."""
    people, _, c = three
    with library.session() as s:
        save_grouping_meta(s, thresholds=GroupingThresholds.calibrated().to_json())
    regroup(library)
    with library.session() as s:
        ann = name_cluster(s, cluster_of(s, people[0])[0], "Ann")
        new = add_faces(s, factory, samples(c[0], 3, seed=70))
        stranger = add_faces(s, factory, samples(centres(1, seed=71)[0], 3, seed=72))
    result = regroup(library)
    with library.session() as s:
        assert [s.get(Assignment, f).person_id for f in new] == [ann.id] * 3
        assert all(s.get(Assignment, f).person_id is None for f in stranger)
        assert len(set(cluster_of(s, stranger))) == 1
    assert (result.recognized, result.clusters_total) == (3, 3)

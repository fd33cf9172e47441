"""Read-only queries: the DTOs they return, and that the filtered ones use indexes."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import event, insert, update

from core.library import people
from core.library import queries as q
from core.storage.schema import Face, Photo, ReviewItem


@pytest.fixture
def world(library, factory):
    """Ann (3 faces, one ignored) and Bob (1) share a photo; a cluster of 2; a loose face."""
    with library.session() as s:
        together = factory.photo(s, faces=2, taken_at=datetime(2021, 6, 1), path="/p/b-together.jpg")
        ann_only = factory.photo(s, faces=2, taken_at=datetime(2020, 1, 1), path="/p/c-ann.jpg")
        undated = factory.photo(s, faces=1, path="/p/z-undated.jpg")
        clustered = factory.photo(s, faces=2, taken_at=datetime(2021, 6, 1), path="/p/a-cluster.jpg")
        loose = factory.photo(s, faces=1, taken_at=datetime(2019, 1, 1), path="/p/d-loose.jpg")
        factory.photo(s, faces=0, status="error", path="/p/broken.jpg")
        s.execute(update(Photo).where(Photo.path == "/p/broken.jpg").values(error="not an image"))
        factory.photo(s, faces=0, status="pending", path="/p/new.jpg")
        original = s.scalar(Photo.__table__.select().with_only_columns(Photo.id)
                            .where(Photo.path == "/p/c-ann.jpg"))
        s.execute(insert(Photo), [{"path": "/p/copy-of-ann.jpg", "size": 1, "mtime": 0.0, "status": "done",
                                   "duplicate_of": original}])
        ann = people.assign_faces(s, [together[0], *ann_only], "Ann").id
        bob = people.assign_faces(s, [together[1], undated[0]], "Bob").id
        people.ignore_face(s, ann_only[1])
        s.execute(update(Face).where(Face.id == ann_only[0]).values(quality_sharpness=300.0))
        cluster = factory.cluster(s, clustered)
        s.add(ReviewItem(face_id=loose[0], person_id=ann, distance=0.5))
    return {"ann": ann, "bob": bob, "cluster": cluster, "together": together, "ann_only": ann_only,
            "undated": undated, "clustered": clustered, "loose": loose}


def test_list_people(library, world):
    ann, bob = world["ann"], world["bob"]
    with library.session() as s:
        # Ann: 2 faces counted (one ignored). Covers were kept when they were named; back to
        # automatic, the cover is the best face (core.library.covers: the sharpest here).
        for person in (ann, bob):
            people.set_cover_face(s, person, None)
        assert q.list_people(s) == [q.PersonSummary(ann, "Ann", False, 2, world["ann_only"][0]),
                                    q.PersonSummary(bob, "Bob", False, 2, world["together"][1])]
        people.set_cover_face(s, ann, world["together"][0])
        people.hide_person(s, bob)
        assert q.list_people(s) == [q.PersonSummary(ann, "Ann", False, 2, world["together"][0])]
        assert [p.name for p in q.list_people(s, include_hidden=True, sort="name")] == ["Ann", "Bob"]
        assert [p.name for p in q.list_people(s, include_hidden=True, search=" BO ")] == ["Bob"]
        assert q.list_people(s, search="%") == []
        with pytest.raises(ValueError):
            q.list_people(s, sort="age")


def test_list_clusters(library, world, factory):
    with library.session() as s:
        lone = factory.faces(s, 1)
        small = factory.cluster(s, lone)
        assert q.list_clusters(s) == [q.ClusterSummary(world["cluster"], 2, world["clustered"][1]),
                                      q.ClusterSummary(small, 1, lone[0])]
        assert [c.id for c in q.list_clusters(s, min_size=2)] == [world["cluster"]]
        people.name_cluster(s, world["cluster"], "Carl")
        assert [c.id for c in q.list_clusters(s)] == [small]


def test_face_lists(library, world):
    ann, cluster = world["ann"], world["cluster"]
    with library.session() as s:
        faces = q.faces_of_person(s, ann)
        assert [f.id for f in faces] == [world["ann_only"][0], world["together"][0]]
        first = faces[0]
        assert (first.photo_path, first.box, first.person_name, first.source, first.cluster_id) == \
            ("/p/c-ann.jpg", (0.0, 0.0, 50.0, 50.0), "Ann", "user", None)
        assert len(q.faces_of_person(s, ann, include_ignored=True)) == 3
        assert [f.id for f in q.faces_of_person(s, ann, sort="date")] == [world["ann_only"][0],
                                                                         world["together"][0]]
        assert [f.id for f in q.faces_of_person(s, ann, limit=1, offset=1)] == [world["together"][0]]
        in_cluster = q.faces_of_cluster(s, cluster)
        assert [(f.id, f.cluster_id, f.person_id, f.source) for f in in_cluster] == [
            (world["clustered"][1], cluster, None, "clusterer"),
            (world["clustered"][0], cluster, None, "clusterer")]
        in_photo = q.faces_of_photo(s, s.get(Face, world["ann_only"][1]).photo_id)
        assert [(f.id, f.ignored) for f in in_photo] == [(world["ann_only"][0], False),
                                                         (world["ann_only"][1], True)]
        assert [f.id for f in q.unassigned_faces(s)] == world["loose"]


def test_photos_by_date_and_people(library, world):
    ann, bob = world["ann"], world["bob"]
    with library.session() as s:
        paths = [p.path for p in q.photos(s)]
        assert paths == ["/p/broken.jpg", "/p/new.jpg", "/p/z-undated.jpg",  # undated first
                         "/p/d-loose.jpg", "/p/c-ann.jpg", "/p/a-cluster.jpg", "/p/b-together.jpg"]
        assert [p.path for p in q.photos(s, offset=2, limit=3)] == paths[2:5]
        assert q.count_photos(s) == 7
        assert [p.path for p in q.photos(s, [ann])] == ["/p/c-ann.jpg", "/p/b-together.jpg"]
        assert [p.path for p in q.photos(s, [ann, bob])] == ["/p/b-together.jpg"]
        assert q.count_photos(s, [ann, bob]) == 1
        info = q.photos(s, [bob], limit=1)[0]
        assert info == q.PhotoInfo(info.id, "/p/z-undated.jpg", 640, 480, None, "done", None, 1)


def test_status_and_import_errors(library, world):
    with library.session() as s:
        assert q.status(s) == q.StatusCounts(
            photos_total=7, done=5, error=1, missing=0, pending=1, faces=7, people=2, clusters=1,
            unassigned=1, review_items=1, duplicates=1)
        (broken,) = q.import_errors(s)
        assert (broken.path, broken.status, broken.error) == ("/p/broken.jpg", "error", "not an image")


def _plans(library, call) -> list[str]:
    """Run ``call(session)``; the query plan of every statement it executed."""
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(library.engine, "before_cursor_execute", remember)
    try:
        with library.session() as s:
            call(s)
    finally:
        event.remove(library.engine, "before_cursor_execute", remember)
    raw = library.engine.raw_connection()
    try:
        return [" / ".join(row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + sql, params))
                for sql, params in statements if sql.lstrip().upper().startswith("SELECT")]
    finally:
        raw.close()


@pytest.mark.parametrize("name, call", [
    ("faces_of_person", lambda s: q.faces_of_person(s, 1, limit=50)),
    ("faces_of_cluster", lambda s: q.faces_of_cluster(s, 1)),
    ("faces_of_photo", lambda s: q.faces_of_photo(s, 1)),
    ("photos page", lambda s: q.photos(s, offset=100, limit=50)),
    ("photos of people", lambda s: q.photos(s, [1, 2], limit=50)),
    ("import_errors", q.import_errors),
])
@pytest.mark.sqlite_only  # reads SQLite's EXPLAIN QUERY PLAN
def test_filtered_queries_use_indexes(library, world, factory, name, call):
    with library.session() as s:  # enough rows for the planner's statistics to matter
        for _ in range(20):
            factory.cluster(s, factory.faces(s, 10))
    with library.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    plans = _plans(library, call)
    assert plans
    for plan in plans:
        assert not re.search(r"SCAN (photos|faces|assignments)\b(?! USING)", plan), f"{name}: {plan}"

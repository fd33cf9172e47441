"""merge_groups: unnamed groups merged without a name, kept together by grouping, undoable."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select
from test_grouping import add_faces, centres, cluster_of

from core.library.group_edits import merge_groups
from core.library.grouping import regroup
from core.library.people import NotFoundError
from core.library.queries import list_clusters, list_people
from core.library.undo import redo_last, undo_last
from core.storage.schema import Assignment, Cluster


def test_merge_groups_keeps_them_unnamed_and_together(library, factory):
    c = centres(2)
    with library.session() as s:
        a = add_faces(s, factory, np.stack([c[0], c[0]]))
        b = add_faces(s, factory, np.stack([c[1], c[1]]))
    regroup(library)
    with library.session() as s:
        ga, gb = cluster_of(s, a)[0], cluster_of(s, b)[0]
        assert ga is not None and gb is not None and ga != gb
        assert merge_groups(s, [gb], ga) == 4
    with library.session() as s:
        assert cluster_of(s, a + b) == [ga] * 4 and list_people(s) == []
        assert not s.get(Cluster, gb).active
        assert {r.source for r in s.scalars(select(Assignment))} == {"user"}
    regroup(library)  # two different people by their faces: grouping keeps what the user merged
    with library.session() as s:
        assert cluster_of(s, a + b) == [ga] * 4
        assert [g.face_count for g in list_clusters(s)] == [4]
    with library.session() as s:
        assert undo_last(s) == f"Merge 1 group into group {ga}"
    with library.session() as s:
        assert cluster_of(s, b) == [gb, gb] and s.get(Cluster, gb).active
    with library.session() as s:
        redo_last(s)
    with library.session() as s:
        assert cluster_of(s, b) == [ga, ga]


def test_merge_groups_refuses_what_is_not_there(library, factory):
    with library.session() as s:
        g = factory.cluster(s, factory.faces(s, 2))
        with pytest.raises(ValueError):
            merge_groups(s, [g], g)
        with pytest.raises(NotFoundError):
            merge_groups(s, [999], g)

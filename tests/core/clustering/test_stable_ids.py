"""Stable cluster ids across runs."""

from __future__ import annotations

from core.clustering.agglomerative import match_cluster_ids


def test_ids_kept_when_members_mostly_stay():
    old = {f: (10 if f < 10 else 20) for f in range(20)}
    new = {f: (0 if f < 9 else 1) for f in range(20)}  # face 9 moved, plus new faces
    new.update({f: 1 for f in range(20, 200)})  # many new faces join cluster 1
    assert match_cluster_ids(old, new) == {0: 10, 1: 20}


def test_split_gives_old_id_to_larger_part_and_new_ids_elsewhere():
    old = {f: 5 for f in range(10)}
    new = {f: (0 if f < 4 else 1) for f in range(10)}
    new[99] = 2  # a brand-new face
    assert match_cluster_ids(old, new) == {1: 5, 0: 6, 2: 7}
    assert match_cluster_ids(old, new, first_new_id=100) == {1: 5, 0: 100, 2: 101}


def test_merge_is_one_to_one_and_minority_overlap_is_not_enough():
    old = {0: 1, 1: 1, 2: 1, 3: 2, 4: 2, 5: 3, 6: 3, 7: 3, 8: 3}
    new = {f: 0 for f in range(9)}  # everything merged: only one old id survives
    assert match_cluster_ids(old, new) == {0: 3}
    old2 = {0: 7, 1: 8, 2: 9}
    new2 = {0: 0, 1: 0, 2: 0}  # each old cluster lies wholly inside the new one: a tie
    assert match_cluster_ids(old2, new2) == {0: 7}  # ties go to the smallest old id
    assert match_cluster_ids({}, {3: 4, 5: 4, 6: 1}) == {1: 0, 4: 1}

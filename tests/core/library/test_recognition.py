"""core.clustering.recognition: the decision rules, exclusions, growing gallery, calibration."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_grouping import blend, centres, samples, unit

from core.clustering.agglomerative import cluster_faces
from core.clustering.presets import GroupingThresholds
from core.clustering.recognition import (
    AUTO,
    NONE,
    REVIEW,
    RecognitionSettings,
    recognize,
    recognize_growing,
)
from core.evaluation.synthetic import synthetic_faces

SETTINGS = RecognitionSettings(accept=0.75, review=1.05, margin=0.1, k=5, min_agree=0.8)


@pytest.fixture
def gallery():
    c = centres(4, seed=3)
    faces = np.concatenate([samples(c[i], 5, seed=20 + i) for i in range(3)])
    return c, faces, np.repeat([10, 11, 12], 5)


def test_known_face_named_stranger_left(gallery):
    c, g, labels = gallery
    q = np.concatenate([samples(c[0], 1, seed=1), samples(c[2], 1, seed=2), c[3:4]])
    rec = recognize(q, g, labels, SETTINGS)
    assert rec.decision.tolist() == [AUTO, AUTO, NONE]
    assert rec.person[:2].tolist() == [10, 12]
    assert rec.distance[0] < 0.5 and rec.second[0] > 1.5 and rec.agree[0] == 1.0
    assert rec.distance[2] > SETTINGS.review


def test_borderline_and_look_alike_go_to_review(gallery):
    c, g, labels = gallery
    far = blend(c[0], c[3], 0.58)[None]  # farther than accept, nearer than review
    between = blend(g[0], g[5], 0.5)[None]  # as close to person 10 as to person 11
    rec = recognize(np.concatenate([far, between]), g, labels, SETTINGS)
    d = rec.distance
    assert SETTINGS.accept < d[0] <= SETTINGS.review, d
    assert rec.second[1] - rec.distance[1] < SETTINGS.margin
    assert rec.decision.tolist() == [REVIEW, REVIEW]


def test_agreement_among_neighbours_is_required():
    c = centres(2, seed=8)
    g = np.concatenate([samples(c[0], 1, seed=1), samples(c[0], 4, sigma=0.2, seed=2)])
    labels = np.array([1, 2, 2, 2, 2])  # one face labelled 1 inside a crowd labelled 2
    rec = recognize(g[:1] * 0.99 + 0.01 * g[1:2], g, labels, RecognitionSettings(accept=0.75, review=1.05, margin=0.0))
    assert rec.agree[0] < 0.8 and rec.decision[0] != AUTO


def test_a_group_far_from_the_person_is_not_named(gallery):
    """One face of a stranger's group happens to be near person 10: alone it would be named, but
    its group as a whole is far from person 10, so it is only suggested."""
    c, g, labels = gallery
    settings = RecognitionSettings(accept=0.75, review=1.05, margin=0.1, group_accept=0.75, group_margin=0.1, cap=1.5)
    lucky = samples(c[0], 1, seed=9)
    others = samples(c[3], 3, seed=10)
    rows = np.concatenate([lucky, others])
    alone = recognize(rows, g, labels, settings)
    assert alone.decision[0] == AUTO and alone.group_distance[0] == pytest.approx(alone.distance[0])
    grouped = recognize(rows, g, labels, settings, groups=np.array([7, 7, 7, 7]))
    assert grouped.person[0] == 10 and grouped.decision[0] == REVIEW
    assert grouped.group_distance[0] == pytest.approx((alone.distance[0] + 3 * 1.5) / 4, rel=1e-4)
    strict = dataclasses.replace(settings, group_review=1.0)  # the group is too far even to ask
    assert recognize(rows, g, labels, strict, groups=np.array([7, 7, 7, 7])).decision[0] == NONE
    friends = np.concatenate([lucky, samples(c[0], 3, seed=11)])  # a group of person 10's faces
    together = recognize(friends, g, labels, settings, groups=np.array([1, 1, 1, 1]))
    assert (together.decision == AUTO).all() and (together.person == 10).all()
    assert (together.group_second > 1.4).all()


def test_exclusions_and_empty_gallery(gallery):
    c, g, labels = gallery
    q = samples(c[0], 2, seed=4)
    rec = recognize(q, g, labels, SETTINGS, exclude={1: {10}})
    assert rec.person[0] == 10 and rec.decision[0] == AUTO
    assert rec.person[1] != 10 and rec.decision[1] == NONE
    rec = recognize(q, g, labels, SETTINGS, exclude={0: {10, 11, 12}})
    assert (rec.person[0], rec.decision[0]) == (-1, NONE)
    empty = recognize(q, np.zeros((0, 512), np.float32), np.zeros(0, np.int64), SETTINGS)
    assert empty.decision.tolist() == [NONE, NONE] and empty.person.tolist() == [-1, -1]
    assert len(recognize(q[:0], g, labels, SETTINGS)) == 0


def test_block_size_does_not_matter():
    data = synthetic_faces(1500, seed=4)
    x, y = data.embeddings, data.labels
    gal = np.arange(len(x)) % 3 == 0
    small = RecognitionSettings(accept=0.75, review=1.05, margin=0.1, block=7)
    a = recognize(x[~gal], x[gal], y[gal], small)
    b = recognize(x[~gal], x[gal], y[gal], SETTINGS)
    for name in ("person", "distance", "second", "agree", "decision"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("grouped", [False, True])
def test_growing_gallery_equals_a_fresh_run_on_its_result(grouped):
    """What the next regroup sees: recognising every row again against the grown gallery (the
    named rows now context only) names nobody new and gives the same decisions (idempotence)."""
    data = synthetic_faces(3000, seed=11)
    x, y = data.embeddings, data.labels
    rng = np.random.default_rng(0)
    known = np.zeros(len(x), bool)
    for person in np.unique(y)[:60]:
        members = np.flatnonzero(y == person)
        known[rng.choice(members, size=max(1, len(members) // 4), replace=False)] = True
    q = x[~known]
    groups = cluster_faces(q, 0.9).labels if grouped else None
    settings = RecognitionSettings(accept=0.75, review=1.05, margin=0.1, group_accept=0.8 if grouped else None,
                                   group_margin=0.1, cap=1.2)
    rec = recognize_growing(q, x[known], y[known], settings, groups=groups, grow_max=0.6)
    first = recognize(q, x[known], y[known], settings, groups=groups)
    assert (rec.decision == AUTO).sum() >= (first.decision == AUTO).sum() > 0
    named = rec.decision == AUTO
    grown = named & (rec.distance <= 0.6)
    g = np.concatenate([x[known], q[grown]])
    labels = np.concatenate([y[known], rec.person[grown]])
    again = recognize(q, g, labels, settings, groups=groups)
    assert (again.decision[~named] == AUTO).sum() == 0
    np.testing.assert_array_equal(again.decision[~named], rec.decision[~named])
    review = again.decision == REVIEW
    np.testing.assert_array_equal(again.person[review & ~named], rec.person[review & ~named])
    precision = np.mean(rec.person[named] == y[~known][named])
    assert precision > 0.97
    run2 = recognize_growing(q, g, labels, settings, groups=groups, grow_max=0.6, candidates=~named)
    assert not (run2.decision[~named] == AUTO).any()  # the next run: the named rows are context only


def test_thresholds_from_the_verification_threshold():
    th = GroupingThresholds.calibrated(1.0, {"normal": 0.9, "loose": 1.1}, {"accept": 0.6}, k=7)
    assert th.clustering["normal"] == pytest.approx(0.9)
    assert th.clustering["strict"] < th.clustering["normal"] < th.clustering["loose"]
    assert (th.recognition.accept, th.recognition.k) == (pytest.approx(0.6), 7)
    assert th.recognition.accept < th.recognition.review
    assert GroupingThresholds.from_json(th.to_json()) == th
    default = GroupingThresholds.calibrated()
    assert default.clustering["strict"] < default.clustering["normal"] < default.clustering["loose"]
    assert default.recognition.accept < default.recognition.pivot() < default.recognition.review
    assert default.grow_max <= default.recognition.accept
    scaled = GroupingThresholds.calibrated(1.1)
    assert scaled.recognition.accept == pytest.approx(1.1 * GroupingThresholds.calibrated(1.0).recognition.accept)


def test_unit_helper_sanity():
    c = centres(2)
    assert np.allclose(np.linalg.norm(unit(c), axis=1), 1.0)

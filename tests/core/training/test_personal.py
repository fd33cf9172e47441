"""Personal head training on stored embeddings: it learns a distortion, is adopted only when it helps,
and the library's named faces feed it (no images)."""

from __future__ import annotations

import numpy as np
import pytest
from personal_support import synthetic

from core.library.named_faces import named_embeddings
from core.library.people import assign_faces
from core.modelstore.registry import PRETRAINED_ID, find_model, list_models
from core.storage.embeddings import save_embeddings
from core.training.personal import (
    NotEnoughPeopleError,
    PersonalConfig,
    holdout_split,
    train_head,
    train_personal,
)


def test_holdout_split_per_person():
    labels = np.array([0] * 8 + [1] * 4 + [2] * 3)
    tr, te = holdout_split(labels, 0.25, 4, seed=1)
    assert sorted(labels[te].tolist()) == [0, 0, 1]  # 2 of 8, 1 of 4; person 2 has too few faces
    assert set(tr.tolist()).isdisjoint(te.tolist()) and 2 not in labels[tr]


def test_head_learns_the_distortion_and_is_adopted():
    x, y = synthetic()
    res = train_head(x, y)
    assert res.accuracy_before < 0.8 and res.accuracy_after >= res.accuracy_before + 0.15
    assert res.adopted and res.reason.startswith("adopted") and res.n_people == 12 and res.n_test == 36
    assert res.losses[-1] < res.losses[0]


def test_head_that_does_not_help_is_not_adopted():
    x, y = synthetic(nuisance=0.0)  # already perfectly separated: nothing to gain
    res = train_head(x, y, PersonalConfig())
    assert res.accuracy_before == 1.0 and not res.adopted and "not adopted" in res.reason
    with pytest.raises(NotEnoughPeopleError):
        train_head(x[:10], y[:10])  # a single person


def test_train_personal_on_library_named_faces(library, factory, tmp_path):
    x, y = synthetic(n_people=6, per=10, dim=512, nuisance=12.0, seed=3)
    with library.session() as s:
        ids = factory.faces(s, len(y))
        save_embeddings(s, PRETRAINED_ID, zip(ids, x, strict=True))
        for person in range(6):
            assign_faces(s, [f for f, lab in zip(ids, y, strict=True) if lab == person], f"Person {person}")
    data = named_embeddings(library)
    assert len(data.face_ids) == 60 and data.names[0] == "Person 0" and data.source == f"library {library.path.name}"
    assert sorted(np.bincount(data.labels).tolist()) == [10] * 6
    res = train_personal(data.embeddings, data.labels, source=data.source, name="mine", models_directory=tmp_path)
    assert res.adopted and res.model is not None and res.model.name == "mine"
    assert res.model.arch == "metric_head" and res.model.base_model == PRETRAINED_ID
    assert res.model.metrics["heldout_accuracy_after"] == res.accuracy_after
    listed = list_models(res.model.model_id, tmp_path)
    assert [m.name for m in listed] == ["pretrained", "mine"] and listed[1].active and not listed[0].active
    assert find_model("mine", tmp_path).path == res.model.path
    assert res.to_json()["model"]["usable"] is True
    assert res.model.training_data.startswith(f"library {library.path.name}: ")


def test_registry_constant_matches_the_pretrained_model():
    from core.embedding.weights import MODEL_ID

    assert PRETRAINED_ID == MODEL_ID

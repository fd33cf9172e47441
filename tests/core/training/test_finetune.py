"""LFW fine-tuning (unrestricted protocol): no test or validation identity is ever trained on, and a
short real run on cached trunk features of real LFW faces scores the same pairs as the real pipeline."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from core.evaluation.lfw import read_pairs, read_people
from core.paths import lfw_default
from core.training.finetune import FacenetHead, FinetuneConfig, finetune_lfw, fold_split, head_embeddings
from core.training.lfw_finetune import lfw_paths
from core.training.trainer import TrainConfig

LFW = lfw_default()
needs_lfw = pytest.mark.skipif(LFW is None, reason="LFW not found (set FACEORG_LFW or put it in ../shared/lfw)")


@needs_lfw
def test_no_test_or_validation_identity_is_trained_on() -> None:
    people_folds = read_people(LFW / "people.txt")
    pairs = read_pairs(LFW / "pairs.txt")
    person_of = np.array([p.split("/")[0] for p in lfw_paths(LFW)])
    for fold in range(10):
        idx, val = fold_split(people_folds, fold, person_of)
        assert val == (fold + 1) % 10
        held = {n for k in (fold, val) for n, _ in people_folds[k]}
        trained = set(person_of[idx].tolist())
        assert len(trained) > 500 and not trained & held
        # the test pairs are made of the held-out fold's people only
        assert {q.path_a.split("/")[0] for q in pairs if q.fold == fold} <= held
        # plain loop: every image of each person of the eight other folds who has >= 2 images
        others = {n: c for k, f in enumerate(people_folds) if k not in (fold, val) for n, c in f}
        expected = [i for i, n in enumerate(person_of) if others.get(n, 0) >= 2 and n not in held]
        assert idx.tolist() == expected


@needs_lfw
def test_short_finetuning_run_on_real_faces(facenet, lfw_crops_for) -> None:  # noqa: ANN001
    pairs = [p for p in read_pairs(LFW / "pairs.txt") if p.fold in (0, 1, 2)]
    pairs = [p for i, p in enumerate(pairs) if i % 300 < 12]  # 12 same + 12 different per fold
    people_folds = read_people(LFW / "people.txt")
    train_names = [n for n, c in people_folds[5] if c >= 4][:12]
    train_paths = [f"{n}/{n}_{i:04d}.jpg" for n in train_names for i in range(1, 5)]
    paths = sorted({p.path_a for p in pairs} | {p.path_b for p in pairs} | set(train_paths))
    crops = lfw_crops_for(paths)
    from core.training.finetune import trunk_features

    features = trunk_features(facenet, crops)
    # the cached-feature head is the network: same embeddings as a whole forward pass (flip averaged)
    with torch.inference_mode():
        from core.alignment import standardize

        x = torch.from_numpy(standardize(crops[:8]))
        whole = torch.nn.functional.normalize(facenet(x) + facenet(torch.flip(x, dims=[3])), dim=1).numpy()
    np.testing.assert_allclose(head_embeddings(FacenetHead(facenet), features[:8]), whole, atol=1e-5)

    config = FinetuneConfig(train=TrainConfig(epochs=2, P=6, K=2, steps_per_epoch=3, lr=1e-4, device="cpu"),
                            folds=(0,))
    result = finetune_lfw(facenet, features, paths, LFW, pairs, config)
    fold = result.folds[0]
    # training: the 12 people of fold 5 and the people of fold 2's pairs (there for validation's threshold)
    others = {n for k, f in enumerate(people_folds) if k not in (0, 1) for n, c in f if c >= 2}
    trained = [p for p in paths if p.split("/")[0] in others]
    assert set(train_paths) <= set(trained)
    assert fold.fold == 0 and fold.train_people == len({p.split("/")[0] for p in trained})
    assert fold.train_images == len(trained)
    assert 0.5 <= fold.accuracy_before <= 1.0 and 0.0 <= fold.accuracy_after <= 1.0
    assert fold.best_epoch in (1, 2)
    fold0 = {n for n, c in people_folds[0] if c >= 2}
    assert fold.grouping_faces == sum(p.split("/")[0] in fold0 for p in paths) > 0
    assert 0.0 < fold.grouping_f1_before <= 1.0 and 0.0 < fold.grouping_precision_after <= 1.0
    trained = result.heads[0]
    before = FacenetHead(facenet).state_dict()
    # the fine-tuned head is kept unless the pretrained one is strictly better on the validation fold (1)
    assert fold.val_before is not None and fold.val_after is not None
    assert fold.adopted == (fold.val_after >= fold.val_before)
    assert fold.adopted == any(not torch.equal(trained[k], before[k]) for k in before if before[k].is_floating_point())

    # the test fold's pairs take no part in validation: flipping their labels changes no validation score
    flipped = [dataclasses.replace(p, same=not p.same) if p.fold == 0 else p for p in pairs]
    again = finetune_lfw(facenet, features, paths, LFW, flipped, config).folds[0]
    assert (again.val_before, again.val_after, again.best_epoch) == (fold.val_before, fold.val_after, fold.best_epoch)

    # a ruinous learning rate wrecks the head: validation says so and the fold keeps the pretrained head
    wrecked = finetune_lfw(facenet, features, paths, LFW, pairs, dataclasses.replace(
        config, train=dataclasses.replace(config.train, lr=5.0))).folds[0]
    assert wrecked.val_after < wrecked.val_before and not wrecked.adopted
    assert wrecked.accuracy_after == wrecked.accuracy_before

    # only the embedding layer trains: the Inception-ResNet blocks keep their pretrained weights
    frozen = finetune_lfw(facenet, features, paths, LFW, pairs, dataclasses.replace(
        config, trainable=("last_linear",), keep_pretrained_if_better=False)).heads[0]
    changed = {k.split(".")[0] for k in before if not torch.equal(frozen[k], before[k])}
    assert changed == {"last_linear", "last_bn"}

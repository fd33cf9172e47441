"""Recognition benchmark: name one cluster per person for 50 LFW people, then recognise the rest of
their photos among photos of 500 strangers who are never named.

    .venv/bin/python benchmarks/bench_recognition.py [--lfw DIR] [--margin 0.1] [--json OUT]
        [--synthetic N]

Faces and t_v as in ``bench_clustering.py`` (LFW through the real pipeline, cached). Steps, on
embeddings (no SQLite; the library runs the very same functions):

1. The library: every face of the people with >= 2 images, except half of the photos (random,
   seeded) of the 50 people with the most images and the strangers' photos (imported later).
   It is clustered at the "normal" threshold (``cluster_faces``, as ``regroup`` does).
2. The user names, for each of the 50 people, the cluster holding most of their faces (a
   cluster goes to one person only; its wrong members get the name too, as in the app).
3. The import: the other half of their photos and every photo of 500 strangers (never named),
   drawn from the people with 1 or 2 LFW images (the single-image people of View 2 included).
   Queries: every face of the 50 people outside their named cluster (the new photos and the
   library faces that clustering left out) and the strangers' photos. They are recognised with
   ``recognize_growing`` (the gallery grows with confident automatic names, as in ``regroup``)
   with ``GroupingThresholds.calibrated(t_v)`` and a sweep of the recognition factors.

Reported: precision of automatic naming (correct names / names given; a stranger named is
wrong), recall (correct names / queries of the 50 people; also for the new photos alone),
review-queue size and how often its suggestion is right. The factor sweep is calibrated on half
of the people and strangers and checked on the other half (and the other way round), so the
chosen setting is not only measured in-sample.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_clustering import RESULTS, FaceSet, load_faces, machine  # noqa: E402

from core.clustering.agglomerative import cluster_faces  # noqa: E402
from core.clustering.recognition import (  # noqa: E402
    AUTO,
    RECOGNITION_FACTORS,
    REVIEW,
    GroupingThresholds,
    recognize_growing,
)

N_PEOPLE = 50
N_STRANGERS = 500


def scenario(faces: FaceSet, cluster_factor: float, seed: int = 0) -> dict:
    """Gallery (named clusters) and queries, as described in the module doc."""
    y = faces.labels
    counts = np.bincount(y)
    rng = np.random.default_rng(seed)
    named_people = np.argsort(-counts, kind="stable")[:N_PEOPLE]
    few = np.flatnonzero((counts >= 1) & (counts <= 2))
    strangers = rng.choice(few, size=min(N_STRANGERS, len(few)), replace=False)
    later = np.zeros(len(y), dtype=bool)  # photos imported after the naming
    for person in named_people:
        mine = np.flatnonzero(y == person)
        later[rng.choice(mine, size=len(mine) // 2, replace=False)] = True
    later |= np.isin(y, strangers)
    main = ~faces.single if faces.single is not None else np.ones(len(y), bool)
    library = main & ~later
    labels = np.full(len(y), -1, dtype=np.int64)
    labels[library] = cluster_faces(faces.embeddings[library], cluster_factor * faces.t_v).labels
    gallery_of: dict[int, int] = {}  # cluster -> person
    for person in named_people:
        mine = labels[(y == person) & library]
        for cluster, _ in sorted(zip(*np.unique(mine, return_counts=True), strict=True), key=lambda t: -t[1]):
            if int(cluster) not in gallery_of:
                gallery_of[int(cluster)] = int(person)
                break
    in_gallery = np.isin(labels, list(gallery_of)) & library
    gallery_label = np.array([gallery_of.get(int(c), -1) for c in labels])
    query = ~in_gallery & (np.isin(y, named_people) | np.isin(y, strangers))
    return {"gallery": np.flatnonzero(in_gallery), "gallery_label": gallery_label[in_gallery],
            "query": np.flatnonzero(query), "later": later, "named_people": named_people, "strangers": strangers,
            "gallery_purity": float(np.mean(gallery_label[in_gallery] == y[in_gallery]))}


def evaluate(faces: FaceSet, sc: dict, th: GroupingThresholds, subset: np.ndarray | None = None) -> dict:
    """Recognise the queries (optionally only people in ``subset`` and their strangers)."""
    x, y = faces.embeddings, faces.labels
    q = sc["query"]
    g, gl = sc["gallery"], sc["gallery_label"]
    if subset is not None:
        q = q[np.isin(y[q], subset)]
        keep = np.isin(gl, subset)
        g, gl = g[keep], gl[keep]
    t0 = time.perf_counter()
    rec = recognize_growing(x[q], x[g], gl, th.recognition, grow_max=th.grow_max)
    seconds = time.perf_counter() - t0
    truth = y[q]
    known = np.isin(truth, sc["named_people"])
    auto, review = rec.decision == AUTO, rec.decision == REVIEW
    correct = auto & (rec.person == truth)
    new = known & sc["later"][q]
    return {"precision": float(correct.sum() / max(auto.sum(), 1)),
            "recall": float(correct.sum() / max(known.sum(), 1)), "named": int(auto.sum()),
            "recall_new_photos": float((correct & new).sum() / max(new.sum(), 1)),
            "wrong": int((auto & ~correct).sum()),
            "strangers_named": int((auto & ~known).sum()), "review": int(review.sum()),
            "review_right": float(np.mean(rec.person[review] == truth[review])) if review.any() else 0.0,
            "queries_known": int(known.sum()), "queries_strangers": int((~known).sum()), "seconds": round(seconds, 3)}


def sweep_grid() -> list[dict[str, float]]:
    """accept / margin / grow as factors of t_v; grow 0: the gallery never grows."""
    grid = []
    for accept, margin, agree, grows in itertools.product((0.45, 0.50, 0.525, 0.55, 0.575, 0.60, 0.625, 0.65, 0.70),
                                                          (0.05, 0.10, 0.15, 0.20, 0.25), (0.6, 0.8), (False, True)):
        grid.append({"accept": accept, "margin": margin, "min_agree": agree, "grow": accept if grows else 0.0})
    return grid


def thresholds(t_v: float, point: dict[str, float]) -> GroupingThresholds:
    factors = {**RECOGNITION_FACTORS, "accept": point["accept"], "margin": point["margin"], "grow": point["grow"]}
    return GroupingThresholds.calibrated(t_v, recognition_factors=factors, min_agree=point["min_agree"])


def choose(rows: list[dict], key: str) -> dict:
    """Highest recall with precision >= 99.5% (ties: larger margin, higher agreement)."""
    ok = [r for r in rows if r[key]["precision"] >= 0.995] or rows
    return max(ok, key=lambda r: (r[key]["recall"], r["point"]["margin"], r["point"]["min_agree"], -r["point"]["grow"]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lfw")
    ap.add_argument("--margin", type=float, default=None)
    ap.add_argument("--synthetic", type=int, default=None, metavar="N")
    ap.add_argument("--json", dest="json_out", default=str(RESULTS / "recognition-lfw.json"))
    args = ap.parse_args()
    faces = load_faces(args, singles=True)
    base = GroupingThresholds.calibrated(faces.t_v)
    sc = scenario(faces, base.clustering["normal"] / faces.t_v)
    halves = (sc["named_people"][0::2], sc["named_people"][1::2])
    halves = tuple(np.concatenate([h, sc["strangers"][i::2]]) for i, h in enumerate(halves))
    print(f"{faces.source}: t_v {faces.t_v:.4f}; gallery {len(sc['gallery'])} faces of {N_PEOPLE} named clusters "
          f"(purity {sc['gallery_purity']:.4f}); queries {len(sc['query'])}")
    rows = []
    for point in sweep_grid():
        th = thresholds(faces.t_v, point)
        rows.append({"point": point, "all": evaluate(faces, sc, th), "A": evaluate(faces, sc, th, halves[0]),
                     "B": evaluate(faces, sc, th, halves[1])})
    pick_a, pick_b = choose(rows, "A"), choose(rows, "B")
    held_out = {"chosen_on_A": pick_a["point"], "tested_on_B": pick_a["B"],
                "chosen_on_B": pick_b["point"], "tested_on_A": pick_b["A"]}
    point = {"accept": RECOGNITION_FACTORS["accept"], "margin": RECOGNITION_FACTORS["margin"],
             "min_agree": base.recognition.min_agree, "grow": RECOGNITION_FACTORS["grow"]}
    default = {"point": point, "all": evaluate(faces, sc, base)}
    best = choose(rows, "all")
    print("| accept (x t_v) | margin (x t_v) | min agree | grow (x t_v) | precision | recall | named | wrong | "
          "strangers named | review queue | review right |")
    print("|" + "---|" * 11)
    for r in [default] + rows:
        p, a = r["point"], r["all"]
        print(f"| {p['accept']:.2f} | {p['margin']:.2f} | {p['min_agree']:.1f} | {p['grow']:.2f} | "
              f"{a['precision']:.4f} | {a['recall']:.4f} | {a['named']} | {a['wrong']} | {a['strangers_named']} | "
              f"{a['review']} | {a['review_right']:.3f} |")
    print(f"\nDefaults in code {default['point']}: precision {default['all']['precision']:.4f}, "
          f"recall {default['all']['recall']:.4f}, review queue {default['all']['review']}")
    print(f"Best with precision >= 99.5% (all): {best['point']} -> {best['all']}")
    print(f"Held out: chosen on A {pick_a['point']} -> B precision {pick_a['B']['precision']:.4f} recall "
          f"{pick_a['B']['recall']:.4f}; chosen on B {pick_b['point']} -> A precision "
          f"{pick_b['A']['precision']:.4f} recall {pick_b['A']['recall']:.4f}")
    out = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "source": faces.source,
           "t_v": faces.t_v, "n_people": N_PEOPLE, "n_strangers": int(len(sc["strangers"])),
           "gallery_faces": int(len(sc["gallery"])), "gallery_purity": sc["gallery_purity"],
           "queries": int(len(sc["query"])), "defaults": default, "best": best, "held_out": held_out,
           "sweep": rows, "note": "run on embeddings with the library's recognition functions, not through SQLite"}
    if args.json_out:
        Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_out).write_text(json.dumps(out, indent=2, default=float))
        print(f"wrote {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

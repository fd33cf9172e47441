"""The grouping presets: every threshold of grouping and recognition, and where they come from.

To tune a preset, change the factor tables here (each threshold is a factor times the LFW
verification threshold ``LFW_VERIFICATION_THRESHOLD``) and bump ``CALIBRATION_VERSION`` (a library
whose stored thresholds have an older version is recalibrated on its next grouping).

* :data:`CLUSTER_FACTORS`: the clustering threshold of each :class:`~core.clustering.strictness.Strictness`;
* :data:`RECOGNITION_FACTORS`: automatic naming, suggestions to review and the growing gallery
  (:class:`core.clustering.recognition.RecognitionSettings`);
* :class:`GroupingThresholds`: all of them for one library (stored in ``LibraryMeta["grouping"]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.clustering.recognition import RecognitionSettings
from core.clustering.strictness import Strictness

# -- calibration --------------------------------------------------------------------------------
# Every threshold is a factor times the LFW View-2 10-fold best-accuracy verification threshold
# t_v (squared L2) of the embedding pipeline; the factors are calibrated on LFW by
# benchmarks/bench_clustering.py (clustering: BCubed precision >= 0.97 at "normal") and
# benchmarks/bench_recognition.py (automatic naming precision >= 99.5%). t_v itself is re-measured
# by bench_clustering.py; 1.153 is the crop-margin-0.1, fixed-standardisation, flip-averaged value
# of `faceorg evaluate lfw` (benchmarks/results/lfw-verification.json, 98.52%).
LFW_VERIFICATION_THRESHOLD = 1.153
CALIBRATION_VERSION = 4
# LFW (9,164 faces, 1,680 people): BCubed P / R / F1 = 0.992 / 0.78 / 0.87 (strict), 0.978 / 0.88 / 0.93
# (normal), 0.937 / 0.93 / 0.93 (loose, the best F1); see benchmarks/results/clustering-lfw.json.
CLUSTER_FACTORS: dict[str, float] = {Strictness.STRICT.value: 0.575, Strictness.NORMAL.value: 0.675,
                                     Strictness.LOOSE.value: 0.75}
# Recognition: LFW, 50 people named by one cluster each, every other face of the library a query
# (benchmarks/results/recognition-lfw.json): automatic naming precision 1.000, recall 0.91; with only
# half of them named (unnamed look-alikes of named people), precision 0.996 / 1.000. Looser points
# (accept 0.55) gain recall but fall to 0.991 there: hence a strict accept and a gallery that grows
# only with very close faces.
RECOGNITION_FACTORS: dict[str, float] = {"accept": 0.45, "review": 0.65, "margin": 0.20, "group_accept": 0.50,
                                         "group_margin": 0.15, "group_review": 0.60, "cap": 1.00, "grow": 0.30}
MIN_CLUSTER_SIZE = 2


@dataclass(frozen=True)
class GroupingThresholds:
    """All grouping thresholds of a library (squared L2): clustering per strictness, recognition,
    and ``grow_max`` (automatically named faces up to this distance join the gallery)."""

    verification: float
    clustering: dict[str, float]
    recognition: RecognitionSettings
    grow_max: float
    min_cluster_size: int = MIN_CLUSTER_SIZE
    version: int = CALIBRATION_VERSION

    @classmethod
    def calibrated(cls, verification: float = LFW_VERIFICATION_THRESHOLD,
                   cluster_factors: Mapping[str, float] | None = None,
                   recognition_factors: Mapping[str, float] | None = None, **settings: Any) -> GroupingThresholds:
        """Thresholds from ``verification`` (t_v) and the factor tables (defaults: the module's)."""
        t = float(verification)
        cf = {**CLUSTER_FACTORS, **(cluster_factors or {})}
        rf = {**RECOGNITION_FACTORS, **(recognition_factors or {})}
        clip = lambda f: float(np.clip(f * t, 0.0, 4.0))  # noqa: E731
        group = rf.get("group_accept")
        rec = RecognitionSettings(accept=clip(rf["accept"]), review=clip(rf["review"]), margin=clip(rf["margin"]),
                                  group_accept=None if group is None else clip(group),
                                  group_margin=clip(rf.get("group_margin", 0.0)), cap=clip(rf.get("cap", 4.0)),
                                  group_review=None if rf.get("group_review") is None else clip(rf["group_review"]),
                                  **settings)
        return cls(verification=t, clustering={k: clip(v) for k, v in cf.items()}, recognition=rec,
                   grow_max=clip(rf["grow"]))

    def to_json(self) -> dict[str, Any]:
        """JSON-ready (stored in ``LibraryMeta["grouping"]``)."""
        return {"version": self.version, "verification": self.verification, "clustering": dict(self.clustering),
                "recognition": {k: getattr(self.recognition, k) for k in RecognitionSettings.__dataclass_fields__},
                "grow_max": self.grow_max, "min_cluster_size": self.min_cluster_size}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GroupingThresholds:
        return cls(verification=float(data["verification"]),
                   clustering={str(k): float(v) for k, v in data["clustering"].items()},
                   recognition=RecognitionSettings(**data["recognition"]), grow_max=float(data["grow_max"]),
                   min_cluster_size=int(data.get("min_cluster_size", MIN_CLUSTER_SIZE)),
                   version=int(data.get("version", 0)))

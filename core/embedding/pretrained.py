"""The id of the pretrained FaceNet model, the library's default (its weights: :mod:`core.embedding.weights`;
its entry in the model list: :mod:`core.modelstore.registry`). Imports nothing."""

from __future__ import annotations

MODEL_ID = "facenet-casia-20180408"

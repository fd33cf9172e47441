"""The library's named faces as training data: the stored embeddings of the faces the user named.

Personal training (:mod:`core.training.personal`) learns from these without reading the database itself:
the CLI and the app gather them here and hand the arrays over.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select

from core.modelstore.registry import PRETRAINED_ID
from core.progress import ProgressFn, report
from core.storage.embeddings import load_matrix
from core.storage.engine import Library
from core.storage.schema import Assignment, Face, Person
from core.storage.states import AssignmentSource


@dataclass(frozen=True)
class NamedEmbeddings:
    """Stored embeddings of named faces: ``labels`` index ``names``; ``source`` says where they come from."""

    face_ids: np.ndarray
    embeddings: np.ndarray
    labels: np.ndarray
    names: list[str]
    source: str = ""


def named_embeddings(library: Library, *, model_id: str = PRETRAINED_ID,
                     sources: tuple[str, ...] = (AssignmentSource.USER,),
                     progress: ProgressFn | None = None) -> NamedEmbeddings:
    """The ``model_id`` embeddings of the non-ignored faces assigned to a person by ``sources``."""
    report(progress, 0, None, "reading named faces")
    with library.session() as session:
        rows = session.execute(
            select(Assignment.face_id, Person.name).join(Person, Person.id == Assignment.person_id)
            .join(Face, Face.id == Assignment.face_id)
            .where(Face.ignored.is_(False), Assignment.source.in_(sources))).all()
        person_of = {int(f): name for f, name in rows}
        ids, x = load_matrix(session, model_id, list(person_of))
    names = sorted({person_of[int(f)] for f in ids})
    code = {n: i for i, n in enumerate(names)}
    labels = np.array([code[person_of[int(f)]] for f in ids], dtype=np.int64)
    return NamedEmbeddings(ids, x.astype(np.float32, copy=False), labels, names, f"library {library.path.name}")

"""Which face shows a person or a group: the best one by quality, kept once chosen.

:data:`COVER_QUALITY` ranks faces for covers (and "best first" lists): the face's size (up to
160 px, the network's input: beyond that a face is big enough), its sharpness (variance of the
Laplacian of the aligned crop, up to 400), the detector's score (occluded and odd faces score
lower), and how frontal it is: the nose's horizontal offset from the middle of the eyes, over the
eye distance, from the five landmarks (a profile or a turned head has the nose near one eye;
faces drawn by hand, without landmarks, count as half frontal). It is one SQL expression, so
SQLite ranks the faces itself. :func:`cover_score` is the same formula in Python.

A person's cover is ``Person.cover_face_id`` when set, else their best face by this rank. It is
set when the user picks one ("Use as cover"), and also when the person is created (the best face
then, :func:`pin_best_cover`) and when people are merged (the target keeps the face it showed), so
that answering a review or grouping again never changes it behind the user's back.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.storage.schema import Assignment, Face, Person
from core.storage.sqlfuncs import greatest, json_number, least

SIZE_CAP = 160.0
SHARPNESS_CAP = 400.0
NO_LANDMARKS_FRONTAL = 0.5


def _landmark(i: int):  # noqa: ANN202 - an SQL expression
    return json_number(Face.landmarks, i)


_EYE_MID = (_landmark(0) + _landmark(2)) / 2.0
_YAW = func.abs(_landmark(4) - _EYE_MID) / greatest(func.abs(_landmark(2) - _landmark(0)), 1.0)
FRONTAL = func.coalesce(greatest(0.0, 1.0 - 2.0 * _YAW), NO_LANDMARKS_FRONTAL)
# least/greatest: SQLite's two-argument min/max, PostgreSQL's least/greatest (core.storage.sqlfuncs)
COVER_QUALITY = (least(Face.quality_size, SIZE_CAP) / SIZE_CAP
                 * (0.25 + 0.75 * least(Face.quality_sharpness, SHARPNESS_CAP) / SHARPNESS_CAP)
                 * case((Face.score > 0, Face.score), else_=0.0) * FRONTAL)


def frontal(landmarks: Sequence[float] | None) -> float:
    """1 for a frontal face, down to 0 when the nose is half an eye distance off the eyes' middle."""
    if landmarks is None or len(landmarks) < 6:
        return NO_LANDMARKS_FRONTAL
    eye_mid = (landmarks[0] + landmarks[2]) / 2.0
    yaw = abs(landmarks[4] - eye_mid) / max(abs(landmarks[2] - landmarks[0]), 1.0)
    return max(0.0, 1.0 - 2.0 * yaw)


def cover_score(size: float, sharpness: float, score: float, landmarks: Sequence[float] | None) -> float:
    """:data:`COVER_QUALITY` for one face, in Python."""
    return (min(size, SIZE_CAP) / SIZE_CAP * (0.25 + 0.75 * min(sharpness, SHARPNESS_CAP) / SHARPNESS_CAP)
            * max(score, 0.0) * frontal(landmarks))


def best_face(session: Session, person_id: int) -> int | None:
    """The person's best face by :data:`COVER_QUALITY` (not ignored)."""
    return session.scalars(select(Face.id).join(Assignment, Assignment.face_id == Face.id)
                           .where(Assignment.person_id == person_id, Face.ignored.is_(False))
                           .order_by(COVER_QUALITY.desc(), Face.id).limit(1)).first()


def shown_cover(session: Session, person_id: int) -> int | None:
    """The face the person's card shows now: their chosen cover, else their best face."""
    person = session.get(Person, person_id)
    if person is not None and person.cover_face_id is not None:
        return person.cover_face_id
    return best_face(session, person_id)


def pin_best_cover(session: Session, person: Person) -> None:
    """Keep the face the person shows now as their cover (unless one is set)."""
    if person.cover_face_id is None:
        session.flush()
        person.cover_face_id = best_face(session, person.id)

"""What the library holds from photo metadata, for ``faceorg status``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.library.roots import local_path
from core.storage.schema import FaceMetadata, MetadataSource, Photo


@dataclass(frozen=True)
class MetadataCounts:
    """For ``faceorg status``: faces named from metadata, faces made from regions, skipped regions."""

    faces_named: int
    region_faces: int
    regions_skipped: int
    skipped: list[tuple[str, str, str]]  # (photo path, region name, reason)


def metadata_status(session: Session) -> MetadataCounts:
    named = session.scalar(select(func.count()).select_from(FaceMetadata)) or 0
    created = session.scalar(select(func.count()).select_from(FaceMetadata).where(FaceMetadata.created)) or 0
    skipped = [(path, s.get("name", ""), s.get("reason", ""))
               for path, rows in session.execute(select(local_path(session), MetadataSource.skipped)
                                                 .join(Photo, Photo.id == MetadataSource.photo_id)
                                                 .order_by(Photo.root_id, Photo.path))
               for s in (rows or [])]
    return MetadataCounts(named, created, len(skipped), skipped)

"""Build big or demo libraries for the GUI benchmark and screenshots, straight into SQLite
with SQLAlchemy Core bulk inserts (no detection, random embeddings).

Photos point at real LFW images when a folder of them is given, so thumbnails and face
crops load as they would in a real library; past the number of images available the same
files are reused under equivalent paths (``images/./name``) because paths are unique.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert

from core.storage.engine import Library, open_library
from core.storage.schema import Assignment, Cluster, Embedding, Face, Person, Photo

LFW_BOX = (74.0, 66.0, 102.0, 122.0)  # where the face is in a 250x250 LFW picture
CHUNK = 5000


def lfw_images(root: Path | None) -> list[Path]:
    """Every LFW jpg under ``root/images`` (sorted), or [] without LFW."""
    if root is None or not (root / "images").is_dir():
        return []
    return sorted((root / "images").glob("*/*.jpg"))


def _paths(images: Sequence[Path], n: int) -> Iterator[str]:
    for i in range(n):
        if images:
            image = images[i % len(images)]
            repeat = i // len(images)
            # pathlib would fold "./" away: build the string by hand
            yield f"{image.parent.parent}/{'./' * repeat}{image.parent.name}/{image.name}"
        else:
            yield f"/nonexistent/photos/{i:07d}.jpg"


def _chunks(rows: list[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def build_bulk_library(path: Path, *, photos: int = 100_000, faces: int = 20_000, groups: int = 3_000,
                       named: int = 60, images: Sequence[Path] = (), seed: int = 0,
                       model_id: str = "facenet-casia-20180408") -> dict[str, float]:
    """A library with ``photos`` photos, ``faces`` faces (on the first photos, one each, then
    two), ``groups`` groups of power-law sizes; the ``named`` biggest become people."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    lib: Library = open_library(path)
    try:
        start = datetime(2008, 1, 1)
        photo_rows = [{"id": i + 1, "path": p, "size": 20_000, "mtime": 0.0, "content_hash": f"{i + 1:064x}",
                       "width": 250, "height": 250, "status": "done", "face_count": 0,
                       "taken_at": start + timedelta(minutes=37 * i) if i % 50 else None}
                      for i, p in enumerate(_paths(images, photos))]
        face_photo = [1 + (i % photos) for i in range(faces)]
        for pid in face_photo:
            photo_rows[pid - 1]["face_count"] += 1
        x, y, w, h = LFW_BOX
        face_rows = [{"id": i + 1, "photo_id": pid, "x": x, "y": y, "w": w, "h": h, "score": 0.99,
                      "quality_size": w, "quality_sharpness": rng.uniform(20, 200)}
                     for i, pid in enumerate(face_photo)]
        weights = 1.0 / np.arange(1, groups + 1) ** 0.9
        sizes = np.maximum(1, np.floor(weights / weights.sum() * (faces - groups)).astype(int) + 1)
        sizes[0] += faces - int(sizes.sum())
        owners = np.repeat(np.arange(groups), sizes)
        nrng.shuffle(owners)
        vectors = nrng.standard_normal((faces, 512)).astype("<f4")
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        with lib.engine.begin() as conn:
            for chunk in _chunks(photo_rows):
                conn.execute(insert(Photo), chunk)
            for chunk in _chunks(face_rows):
                conn.execute(insert(Face), chunk)
            conn.execute(insert(Person), [{"id": g + 1, "name": f"Person {g + 1:04d}",
                                           "name_key": f"person {g + 1:04d}"} for g in range(named)])
            conn.execute(insert(Cluster), [{"id": g + 1, "active": True} for g in range(named, groups)])
            assignments = [{"face_id": i + 1, "person_id": int(g) + 1 if g < named else None,
                            "cluster_id": int(g) + 1 if g >= named else None,
                            "source": "user" if g < named else "clusterer", "confidence": 0.9}
                           for i, g in enumerate(owners)]
            for chunk in _chunks(assignments):
                conn.execute(insert(Assignment), chunk)
            emb = [{"face_id": i + 1, "model_id": model_id, "vector": vectors[i].tobytes(), "dim": 512}
                   for i in range(faces)]
            for chunk in _chunks(emb):
                conn.execute(insert(Embedding), chunk)
            conn.exec_driver_sql("ANALYZE")
    finally:
        lib.close()
    return {"build_s": time.perf_counter() - t0}


def build_demo_library(path: Path, lfw: Path, people: int = 15, per_person: int = 10,
                       named: Sequence[str] = ()) -> int:
    """A small library of real LFW photos grouped by identity (used when the core import and
    grouping cannot run): ``people`` identities with at least ``per_person`` photos each."""
    folders = sorted((p for p in (lfw / "images").iterdir() if p.is_dir()),
                     key=lambda p: (-len(list(p.glob("*.jpg"))), p.name))[:people]
    lib = open_library(path)
    x, y, w, h = LFW_BOX
    try:
        with lib.session() as session:
            photo_id = face_id = 0
            for g, folder in enumerate(folders):
                name = folder.name.replace("_", " ")
                person_id = cluster_id = None
                if name in named:
                    session.add(Person(id=g + 1, name=name, name_key=name.casefold()))
                    person_id = g + 1
                else:
                    session.add(Cluster(id=g + 1, active=True))
                    cluster_id = g + 1
                session.flush()
                for k, image in enumerate(sorted(folder.glob("*.jpg"))[:per_person]):
                    photo_id += 1
                    face_id += 1
                    session.add(Photo(id=photo_id, path=str(image), size=image.stat().st_size, mtime=0.0,
                                      content_hash=f"{photo_id:064x}", width=250, height=250, status="done",
                                      face_count=1, taken_at=datetime(2005, 1, 1) + timedelta(days=photo_id * 3)))
                    session.flush()
                    session.add(Face(id=face_id, photo_id=photo_id, x=x, y=y, w=w, h=h, score=0.99,
                                     quality_size=w, quality_sharpness=100.0 - k))
                    session.flush()
                    session.add(Assignment(face_id=face_id, person_id=person_id, cluster_id=cluster_id,
                                           source="user" if person_id else "clusterer", confidence=0.9))
    finally:
        lib.close()
    return photo_id

"""Screenshots of every main view for the README: docs/screenshots/<view>.png (1280x800),
<view>-800x600.png (the smallest window the layout is made for) and groups@2x.png
(QT_SCALE_FACTOR=2).

    .venv/bin/python scripts/make_screenshots.py [--out docs/screenshots] [--work DIR]

``--work DIR`` keeps the demo library (and photos) in DIR and reuses them on the next run.

A demo library is made from LFW (../shared/lfw): ``--people`` people with ``--per-person``
photos each. With the core grouping available the photos are really imported
(detection, FaceNet) and grouped, and the biggest groups are named after the person most
of their photos show; without it the rows are written directly (one face per photo at
LFW's usual face position, grouped by identity) and the run says so.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.paths import lfw_default  # noqa: E402

VIEWS = ("people", "groups", "photos", "detail", "viewer", "review", "unknown", "folders")
SIZES = {"": "1280x800", "-800x600": "800x600"}


def pick_photos(lfw: Path, people: int, per_person: int, dest: Path) -> list[str]:
    """Copy ``per_person`` photos of the ``people`` most photographed people; their names."""
    folders = sorted((p for p in (lfw / "images").iterdir() if p.is_dir()),
                     key=lambda p: (-sum(1 for _ in p.glob("*.jpg")), p.name))[:people]
    for folder in folders:
        target = dest / folder.name
        target.mkdir(parents=True, exist_ok=True)
        for image in sorted(folder.glob("*.jpg"))[:per_person]:
            shutil.copy2(image, target)
    return [f.name.replace("_", " ") for f in folders]


def real_library(library: Path, photos: Path, named: int, lfw: Path, later: int) -> str:
    """Import and group with the core, name the biggest groups after the person most of their
    photos show (and pick a cover from that person's own photos, as a user would), then
    import ``later`` more photos of each named person: recognised, or asked about in Review."""
    from core.library.grouping import regroup
    from core.library.importer import import_folders
    from core.library.people import name_cluster, set_cover_face
    from core.library.queries import faces_of_cluster, faces_of_person, list_clusters
    from core.storage.engine import open_library

    with open_library(library) as lib:
        report = import_folders(lib, [photos])
        regroup(lib)
        with lib.session() as session:
            clusters = list_clusters(session)[:named]
            taken: set[str] = set()
            for cluster in clusters:
                votes = collections.Counter(Path(f.photo_path).parent.name.replace("_", " ")
                                            for f in faces_of_cluster(session, cluster.id))
                name = next((n for n, _ in votes.most_common() if n not in taken), None)
                if name:
                    taken.add(name)
                    person = name_cluster(session, cluster.id, name)
                    own = [f for f in faces_of_person(session, person.id)
                           if Path(f.photo_path).parent.name.replace("_", " ") == name]
                    if own:
                        set_cover_face(session, person.id, own[0].id)
        more = photos.parent / "More"
        for name in taken:
            folder = lfw / "images" / name.replace(" ", "_")
            target = more / folder.name
            target.mkdir(parents=True, exist_ok=True)
            known = {p.name for p in (photos / folder.name).glob("*.jpg")}
            for image in [p for p in sorted(folder.glob("*.jpg")) if p.name not in known][:later]:
                shutil.copy2(image, target)
        second = import_folders(lib, [more])
        regroup(lib)
    return (f"imported {report.photos_new} + {second.photos_new} photos, "
            f"{report.faces_new + second.faces_new} faces, grouped and recognised by the core")


def demo_library(library: Path, lfw: Path, people: int, per_person: int, named: list[str]) -> str:
    from benchmarks.gui_library import build_demo_library

    n = build_demo_library(library, lfw, people, per_person, named)
    return f"{n} photos written directly (core grouping not available yet: groups follow LFW identities)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--people", type=int, default=15)
    parser.add_argument("--per-person", type=int, default=10)
    parser.add_argument("--named", type=int, default=6)
    parser.add_argument("--later", type=int, default=4, help="photos per named person imported afterwards")
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    parser.add_argument("--work", type=Path, help="keep (and reuse) the demo library here")
    parser.add_argument("--views", nargs="*", default=list(VIEWS), choices=VIEWS)
    args = parser.parse_args()
    lfw = lfw_default()
    if lfw is None:
        print("LFW not found (../shared/lfw or FACEORG_LFW)", file=sys.stderr)
        return 1
    work = args.work or Path(tempfile.mkdtemp(prefix="faceorg-shots-"))
    library = work / "Demo Library.sqlite"
    if not library.exists():
        work.mkdir(parents=True, exist_ok=True)
        names = pick_photos(lfw, args.people, args.per_person, work / "Photos")
        if importlib.util.find_spec("core.library.grouping") is not None:
            how = real_library(library, work / "Photos", args.named, lfw, args.later)
        else:
            how = demo_library(library, lfw, args.people, args.per_person, names[:args.named])
        print(how)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", FACEORG_CACHE=str(work / "cache"),
               FACEORG_DATA=str(work / "data"), XDG_CONFIG_HOME=str(work / "config"), FACEORG_THEME=args.theme)
    settings = work / "config" / "FaceNetOrganizer" / "FaceNet Organizer.conf"
    settings.parent.mkdir(parents=True, exist_ok=True)
    from hashlib import sha1

    key = sha1(str(library).encode()).hexdigest()[:16]
    settings.write_text(f"[folders]\n{key}={work / 'Photos'}\n")
    args.out.mkdir(parents=True, exist_ok=True)
    jobs = [(view, args.out / f"{view}{suffix}.png", None, size) for view in args.views
            for suffix, size in SIZES.items()]
    if "groups" in args.views:
        jobs.append(("groups", args.out / "groups@2x.png", "2", "1280x800"))
    for view, out, scale, size in jobs:
        command = [sys.executable, "-m", "app", "--library", str(library), "--screenshot", str(out),
                   "--view", view, "--size", size]
        if scale:
            command += ["--scale", scale]
        subprocess.run(command, cwd=REPO, env=env, check=True)
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

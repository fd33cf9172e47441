"""Screenshots of every page and dialog for the README, taken from a real X server (Xvfb), not the
offscreen renderer: docs/screenshots/<page>_1280x800.png and <page>_800x600.png (the smallest window
the layout is made for).

    .venv/bin/python scripts/make_screenshots.py [--out docs/screenshots] [--work DIR] [--offscreen]

It starts ``Xvfb :99 -screen 0 2560x1440x24`` and the app on it (``--screenshots``: one run tours
every page at every size and captures each with ImageMagick's ``import -window root``, the pixels
the X server shows). ``--offscreen`` uses Qt's offscreen platform and QWidget.grab instead (no X).
``--work DIR`` keeps the demo library (and photos) in DIR and reuses them on the next run.

The photos get dates (EXIF DateTimeOriginal) spread over five years, one in 25 left undated, so
the grids show their month headings.

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

SIZES = ("1280x800", "800x600")
DISPLAY = ":99"


def dated_copy(image: Path, target: Path, index: int) -> None:
    """Copy ``image`` into the folder ``target`` with a made-up date taken (none for one in 25)."""
    if index % 25 == 0:
        shutil.copy2(image, target)
        return
    from datetime import datetime, timedelta

    from PIL import Image

    when = datetime(2019, 3, 1, 10) + timedelta(days=(index * 37) % 1800, minutes=index)
    with Image.open(image) as im:
        exif = im.getexif()
        exif.get_ifd(0x8769)[0x9003] = when.strftime("%Y:%m:%d %H:%M:%S")  # DateTimeOriginal
        im.save(target / image.name, quality=92, exif=exif)


def pick_photos(lfw: Path, people: int, per_person: int, dest: Path) -> list[str]:
    """Copy ``per_person`` photos of the ``people`` most photographed people; their names."""
    folders = sorted((p for p in (lfw / "images").iterdir() if p.is_dir()),
                     key=lambda p: (-sum(1 for _ in p.glob("*.jpg")), p.name))[:people]
    index = 0
    for folder in folders:
        target = dest / folder.name
        target.mkdir(parents=True, exist_ok=True)
        for image in sorted(folder.glob("*.jpg"))[:per_person]:
            dated_copy(image, target, index)
            index += 1
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
            for i, image in enumerate([p for p in sorted(folder.glob("*.jpg")) if p.name not in known][:later]):
                dated_copy(image, target, 1000 + i)
        second = import_folders(lib, [more])
        regroup(lib)
    return (f"imported {report.photos_new} + {second.photos_new} photos, "
            f"{report.faces_new + second.faces_new} faces, grouped and recognised by the core")


def demo_library(library: Path, lfw: Path, people: int, per_person: int, named: list[str]) -> str:
    from benchmarks.gui_library import build_demo_library

    n = build_demo_library(library, lfw, people, per_person, named)
    return f"{n} photos written directly (core grouping not available yet: groups follow LFW identities)"


class Xvfb:
    """``Xvfb :99 -screen 0 2560x1440x24`` for the length of a ``with`` block."""

    def __init__(self, display: str = DISPLAY, screen: str = "2560x1440x24") -> None:
        self.display, self.screen = display, screen
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Xvfb:
        import time

        if shutil.which("Xvfb") is None or shutil.which("import") is None:
            raise SystemExit("Xvfb and ImageMagick's import are needed (or use --offscreen)")
        self.process = subprocess.Popen(["Xvfb", self.display, "-screen", "0", self.screen, "-nolisten", "tcp"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        socket = Path(f"/tmp/.X11-unix/X{self.display.lstrip(':')}")
        for _ in range(100):
            if socket.exists():
                return self
            time.sleep(0.05)
        raise SystemExit(f"Xvfb {self.display} did not start")

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--people", type=int, default=15)
    parser.add_argument("--per-person", type=int, default=10)
    parser.add_argument("--named", type=int, default=6)
    parser.add_argument("--later", type=int, default=4, help="photos per named person imported afterwards")
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    parser.add_argument("--work", type=Path, help="keep (and reuse) the demo library here")
    parser.add_argument("--offscreen", action="store_true", help="no X server: Qt's offscreen platform")
    parser.add_argument("--library-only", action="store_true", help="make the demo library (in --work) and stop")
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
    if args.library_only:
        return 0
    env = dict(os.environ, FACEORG_CACHE=str(work / "cache"), FACEORG_DATA=str(work / "data"),
               XDG_CONFIG_HOME=str(work / "config"), FACEORG_THEME=args.theme)
    settings = work / "config" / "FaceNetOrganizer" / "FaceNet Organizer.conf"
    settings.parent.mkdir(parents=True, exist_ok=True)
    from hashlib import sha1

    key = sha1(str(library).encode()).hexdigest()[:16]
    settings.write_text(f"[folders]\n{key}={work / 'Photos'}\n")
    args.out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "app", "--library", str(library), "--screenshots", str(args.out),
               "--sizes", ",".join(SIZES)]
    if args.offscreen:
        subprocess.run(command, cwd=REPO, env=dict(env, QT_QPA_PLATFORM="offscreen"), check=True)
    else:
        with Xvfb():
            subprocess.run(command, cwd=REPO, env=dict(env, QT_QPA_PLATFORM="xcb", DISPLAY=DISPLAY), check=True)
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

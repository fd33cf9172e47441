"""Region geometry without models: the 8 orientations against Pillow turning a mask (the oracle),
the matching rule's one-to-one pairing, and the CLI's export-xmp / status on a seeded library."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from core.cli.main import main
from core.library.people import assign_faces
from core.metadata.matching import match
from core.metadata.regions import to_display, to_stored
from core.metadata.xmp_read import parse, read_sidecar
from core.storage.engine import open_library
from core.storage.schema import Face, Photo

T = Image.Transpose
SHOW = {1: None, 2: T.FLIP_LEFT_RIGHT, 3: T.ROTATE_180, 4: T.FLIP_TOP_BOTTOM, 5: T.TRANSPOSE,
        6: T.ROTATE_270, 7: T.TRANSVERSE, 8: T.ROTATE_90}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_matches_pillow(orientation):
    size = (200, 120)  # stored pixels, not square
    box = (30, 10, 50, 70)
    mask = Image.new("L", size, 0)
    mask.paste(255, (box[0], box[1], box[0] + box[2], box[1] + box[3]))
    shown = mask if SHOW[orientation] is None else mask.transpose(SHOW[orientation])
    x0, y0, x1, y1 = shown.getbbox()
    sw, sh = shown.size
    norm = (box[0] / size[0], box[1] / size[1], box[2] / size[0], box[3] / size[1])
    got = to_display(norm, orientation)
    assert np.allclose(got, (x0 / sw, y0 / sh, (x1 - x0) / sw, (y1 - y0) / sh))
    assert np.allclose(to_stored(got, orientation), norm)


def test_one_region_never_names_two_faces():
    faces = [(0, 0, 10, 10), (8, 0, 10, 10), (100, 100, 10, 10)]
    regions = [(1, 0, 10, 10), (0, 0, 18, 10), (200, 200, 5, 5)]
    # region 0 fits face 0 best; region 1 (covering both) gets the face left over; region 2 none
    assert match(regions, faces) == [0, 1, None]
    assert match([(0, 0, 10, 10)], []) == [None]
    # a region drawn twice as big as the detector's box still names it (mutual centre-inside)
    assert match([(-5, -5, 20, 20)], [(0, 0, 10, 10)]) == [0]


def test_cli_export_and_status(tmp_path, capsys):
    photo = tmp_path / "astronaut.jpg"
    Image.fromarray(data.astronaut()).save(photo, quality=92)
    lib = tmp_path / "lib.sqlite"
    with open_library(lib) as library, library.session() as s:
        row = Photo(path=str(photo), size=1, mtime=0.0, content_hash="x", width=512, height=512, status="done",
                    face_count=1)
        s.add(row)
        s.flush()
        face = Face(photo_id=row.id, x=170.0, y=50.0, w=90.0, h=110.0, score=0.99)
        s.add(face)
        s.flush()
        assign_faces(s, [face.id], "Eileen Collins")
        s.commit()
    assert main(["--library", str(lib), "export-xmp", str(tmp_path), "--sidecar-name", "xmp", "--json",
                 "--no-progress"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["written"], out["sidecars"], out["errors"]) == (1, 1, [])
    tags = parse(read_sidecar(Path(tmp_path / "astronaut.xmp")), (512, 512))
    assert [r.name for r in tags.regions] == ["Eileen Collins"]  # MWG (the MP copy is the same face)
    assert main(["--library", str(lib), "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert (status["metadata_faces_named"], status["metadata_region_faces"], status["metadata_regions_skipped"]) \
        == (0, 0, [])
    assert main(["--library", str(tmp_path / "none.sqlite"), "export-xmp"]) == 1


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tif", ".webp"])
def test_embedded_export_into_each_format(tmp_path, suffix):
    from metadata_support import exif_json

    from core.metadata.export import export_xmp

    photo = tmp_path / f"astronaut{suffix}"
    Image.fromarray(data.astronaut()).save(photo)
    with open_library(tmp_path / "lib.sqlite") as library:
        with library.session() as s:
            row = Photo(path=str(photo), size=1, mtime=0.0, content_hash="x", width=512, height=512,
                        status="done", face_count=1)
            s.add(row)
            s.flush()
            face = Face(photo_id=row.id, x=170.0, y=50.0, w=90.0, h=110.0, score=0.99)
            s.add(face)
            s.flush()
            assign_faces(s, [face.id], "Eileen Collins")
            s.commit()
        pixels = np.asarray(Image.open(photo)).copy()
        result = export_xmp(library, embedded=True)
        assert (result.embedded, result.errors) == (1, [])
        assert not list(tmp_path.glob("*.xmp"))
        assert np.array_equal(np.asarray(Image.open(photo)), pixels)  # the pixels are untouched
        info = exif_json(photo, "-XMP:all")
        (region,) = info["XMP-mwg-rs:RegionInfo"]["RegionList"]
        assert region["Name"] == "Eileen Collins"
        assert abs(float(region["Area"]["X"]) * 512 - 215) < 0.01 and abs(float(region["Area"]["W"]) * 512 - 90) < 0.01
        assert export_xmp(library, embedded=True).written == 0


def test_sidecar_precedence(tmp_path):
    from metadata_support import exiftool, mwg_arg

    from core.metadata.sidecars import read_photo_tags, stored_frame

    photo = tmp_path / "astronaut.jpg"
    clean = tmp_path / "clean" / "astronaut.jpg"  # sidecars are made from a copy without XMP
    clean.parent.mkdir()
    Image.fromarray(data.astronaut()).save(clean, quality=92)
    photo.write_bytes(clean.read_bytes())
    exiftool("-overwrite_original", mwg_arg([("Embedded", (0.42, 0.2, 0.18, 0.21))], (512, 512)), photo)
    frame = stored_frame(photo)
    assert [r.name for r in read_photo_tags(photo, frame)[0].regions] == ["Embedded"]
    exiftool("-o", tmp_path / "astronaut.xmp", mwg_arg([("Lightroom", (0.42, 0.2, 0.18, 0.21))], (512, 512)), clean)
    assert [r.name for r in read_photo_tags(photo, frame)[0].regions] == ["Lightroom"]
    exiftool("-o", tmp_path / "astronaut.jpg.xmp", mwg_arg([("digiKam", (0.42, 0.2, 0.18, 0.21))], (512, 512)),
             clean)
    tags, problems = read_photo_tags(photo, frame)
    assert [r.name for r in tags.regions] == ["digiKam"] and tags.source.endswith("astronaut.jpg.xmp")
    (tmp_path / "astronaut.jpg.xmp").write_text("not xml at all")  # a broken sidecar: the next source, reported
    tags, problems = read_photo_tags(photo, frame)
    assert [r.name for r in tags.regions] == ["Lightroom"]
    assert problems == ["astronaut.jpg.xmp: sidecar is not XML"]


def test_cli_import_no_metadata_then_with(tmp_path, capsys):
    from metadata_support import exiftool, mwg_arg

    folder = tmp_path / "photos"
    folder.mkdir()
    photo = folder / "astronaut.jpg"
    Image.fromarray(data.astronaut()).save(photo, quality=92)
    exiftool("-o", folder / "astronaut.jpg.xmp", mwg_arg([("Eileen Collins", (0.42, 0.2, 0.18, 0.21))], (512, 512)),
             photo)
    lib = str(tmp_path / "lib.sqlite")
    assert main(["--library", lib, "import", str(folder), "--json", "--no-progress", "--no-group",
                 "--no-metadata"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert (first["faces_new"], first["metadata_photos_read"], first["metadata_faces_named"]) == (1, 0, 0)
    assert main(["--library", lib, "import", str(folder), "--json", "--no-progress", "--no-group"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert (second["metadata_photos_read"], second["metadata_faces_named"]) == (1, 1)
    assert main(["--library", lib, "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["metadata_faces_named"] == 1


def test_stored_frame_matches_pillow(tmp_path):
    """The quick JPEG header read agrees with Pillow: plain / progressive / grey / CMYK JPEGs read
    quickly, and a JPEG with EXIF or XMP (either can turn it) or another format goes to Pillow."""
    from metadata_support import exiftool

    from core.metadata.sidecars import _HEAD_BYTES, _plain_jpeg_frame, stored_frame

    rgb = Image.fromarray(data.astronaut()[:300, :420])
    exif = Image.Exif()
    exif[0x0112] = 6
    cases = {
        "plain.jpg": lambda p: rgb.save(p, quality=90),
        "progressive.jpg": lambda p: rgb.save(p, progressive=True, optimize=True),
        "grey.jpg": lambda p: rgb.convert("L").save(p),
        "cmyk.jpg": lambda p: rgb.convert("CMYK").save(p),
        "exif6.jpg": lambda p: rgb.save(p, exif=exif),
        "png.png": lambda p: rgb.save(p),
    }
    quick = {"plain.jpg", "progressive.jpg", "grey.jpg", "cmyk.jpg"}
    for name, make in cases.items():
        path = tmp_path / name
        make(path)
        with Image.open(path) as img:
            want = (img.size, int(img.getexif().get(0x0112, 1)))
        frame = stored_frame(path)
        assert ((frame.width, frame.height), frame.orientation) == want, name
        assert (_plain_jpeg_frame(path.read_bytes()[:_HEAD_BYTES]) is not None) == (name in quick), name
    assert stored_frame(tmp_path / "exif6.jpg").orientation == 6
    # an orientation only in XMP (Pillow reads tiff:Orientation there too): not the quick path
    xmp = tmp_path / "xmp8.jpg"
    rgb.save(xmp)
    exiftool("-overwrite_original", "-XMP-tiff:Orientation#=8", xmp)
    with Image.open(xmp) as img:
        want_o = int(img.getexif().get(0x0112, 1))
    assert _plain_jpeg_frame(xmp.read_bytes()[:_HEAD_BYTES]) is None
    assert stored_frame(xmp).orientation == want_o
    # a cut-off file: Pillow's header read decides, as before
    cut = tmp_path / "cut.jpg"
    cut.write_bytes((tmp_path / "plain.jpg").read_bytes()[:20])
    from core.metadata.xmp_read import MetadataError
    with pytest.raises(MetadataError):
        stored_frame(cut)
    with pytest.raises(MetadataError, match="file not found"):
        stored_frame(tmp_path / "gone.jpg")

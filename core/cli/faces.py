"""``faceorg faces PHOTO... [--json]``: faces, landmarks and embeddings of photo files."""

from __future__ import annotations

import argparse
import json
import sys

from core.detection import DEFAULT_DETECTOR, DETECTOR_NAMES


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("faces", help="detect and embed the faces of photo files")
    p.add_argument("photos", nargs="+", help="photo files")
    p.add_argument("--json", action="store_true", help="one JSON object per photo and line (stable format)")
    p.add_argument("--detector", default=DEFAULT_DETECTOR, choices=DETECTOR_NAMES)
    p.add_argument("--no-flip", action="store_true", help="skip horizontal-flip test-time augmentation")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from core.embedding.embedder import EmbedderSettings
    from core.pipeline import FacePipeline, PipelineSettings
    from core.safetext import printable

    settings = PipelineSettings(detector=args.detector, embedder=EmbedderSettings(flip=not args.no_flip))
    pipeline = FacePipeline(settings)
    for path in args.photos:
        result = pipeline.faces_from_path(path)
        if args.json:
            sys.stdout.write(json.dumps(result.to_json()) + "\n")
        elif result.error:
            sys.stdout.write(f"{printable(path)}: error: {printable(result.error)}\n")
        else:
            sys.stdout.write(f"{printable(path)}: {result.width}x{result.height}, {len(result.faces)} face(s)\n")
            for i, face in enumerate(result.faces):
                x, y, w, h = face.box
                sys.stdout.write(f"  face {i}: box=({x:.0f}, {y:.0f}, {w:.0f}, {h:.0f}) score={face.score:.3f}\n")
        sys.stdout.flush()
    return 0

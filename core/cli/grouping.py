"""``faceorg cluster | review | reject | assign | ignore | undo | redo``: group faces, answer
suggestions and correct single faces from the command line (see :mod:`core.cli.people` for the
argument conventions and :mod:`core.cli.common` for the exit codes)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from core.cli.common import (
    CliError,
    add_command,
    ask,
    is_tty,
    open_library_cli,
    open_session,
    print_json,
    sigint_cancels,
)
from core.cli.people import resolve_person
from core.clustering.strictness import STRICTNESS
from core.safetext import printable

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.library.review import ReviewSuggestion
    from core.storage.engine import Library


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_command(subparsers, "cluster", run_cluster, "recognise known people, then group the other faces", True)
    p.add_argument("--strictness", choices=STRICTNESS, help="default: the library's last one, else normal")
    p = add_command(subparsers, "review", run_review, "answer 'is this X?' suggestions (y/n/s on a terminal)", True)
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--accept", type=int, metavar="FACE", help="yes: the face is the suggested person")
    p.add_argument("--reject", type=int, metavar="FACE", help="no: the face is not the suggested person")
    p.add_argument("--person", metavar="PERSON", help="which suggestion, when a face has several")
    p = add_command(subparsers, "reject", run_reject, "these faces are not this person (never suggested again)")
    p.add_argument("faces", nargs="+", type=int, metavar="FACE")
    p.add_argument("--from", dest="person", metavar="PERSON", help="default: the person each face has now")
    p = add_command(subparsers, "assign", run_assign, "this face is PERSON (a new name creates the person)")
    p.add_argument("face", type=int, metavar="FACE")
    p.add_argument("person", nargs="+", metavar="PERSON")
    p = add_command(subparsers, "ignore", run_ignore, "ignore faces (not a face, or nobody to care about)")
    p.add_argument("faces", nargs="+", type=int, metavar="FACE")
    p.add_argument("--restore", action="store_true", help="stop ignoring them")
    add_command(subparsers, "undo", run_undo, "undo the last change to people")
    add_command(subparsers, "redo", run_redo, "redo the change undone last")


def run_cluster(args: argparse.Namespace) -> int:
    from core.library.grouping import last_strictness, regroup
    from core.progress import Cancelled, CancelToken

    token = CancelToken()
    with open_library_cli(args, write=True) as library, sigint_cancels(token):
        if args.strictness is None:
            with library.session() as session:
                args.strictness = last_strictness(session)
        try:
            result = regroup(library, args.strictness, cancel=token)
        except Cancelled:
            print("faceorg: cancelled, nothing changed", file=sys.stderr)
            return 130
    if args.json:
        print_json({"library": str(library.path), **result.to_json()})
    else:
        print(f"Grouped ({result.strictness}) in {result.seconds:.1f} s: {result.recognized} faces recognised, "
              f"{result.suggested} to review, {result.clustered} faces in {result.clusters_total} groups "
              f"({result.clusters_new} new, {result.clusters_kept} kept)")
    return 0


def run_reject(args: argparse.Namespace) -> int:
    from core.library.people import remove_faces
    from core.storage.schema import Assignment, Face

    with open_session(args) as session:
        unknown = [face for face in args.faces if session.get(Face, face) is None]
        if unknown:
            raise CliError(f"no such face: {', '.join(map(str, unknown))} (faceorg show PERSON lists face ids)")
        by_person: dict[int, list[int]] = {}
        if args.person:
            by_person[resolve_person(session, args.person)[0]] = list(args.faces)
        else:
            for face in args.faces:
                assignment = session.get(Assignment, face)
                if assignment is None or assignment.person_id is None:
                    raise CliError(f"face {face} belongs to nobody; say whom it is not with --from PERSON")
                by_person.setdefault(assignment.person_id, []).append(face)
        changed = sum(remove_faces(session, person, faces) for person, faces in by_person.items())
    print(f"{len(args.faces)} face(s) marked as not that person ({changed} taken away)")
    return 0


def run_assign(args: argparse.Namespace) -> int:
    from core.library.people import assign_face

    with open_session(args) as session:
        ref = assign_face(session, args.face, " ".join(args.person))
    print(f'Face {args.face} is "{printable(ref.name)}"{" (new person)" if ref.created else ""}')
    return 0


def run_ignore(args: argparse.Namespace) -> int:
    from core.library.people import ignore_faces

    with open_session(args) as session:
        n = ignore_faces(session, args.faces, not args.restore)
    print(f"{'Stopped ignoring' if args.restore else 'Ignored'} {n} face(s)")
    return 0


def _suggestion_json(s: ReviewSuggestion, photos: dict[int | None, str]) -> dict:
    return {"face_id": s.face_id, "person_id": s.person_id, "person": s.person_name,
            "distance": round(float(s.distance), 4), "photo_id": s.photo_id, "photo": photos.get(s.photo_id or -1)}


def _photo_paths(session: Session, photo_ids: Iterable[int | None]) -> dict[int | None, str]:
    from sqlalchemy import select

    from core.library.roots import local_path
    from core.storage.schema import Photo

    wanted = [i for i in photo_ids if i is not None]
    stmt = select(Photo.id, local_path(session)).where(Photo.id.in_(wanted))
    return {int(i): str(p) for i, p in session.execute(stmt)}


def run_review(args: argparse.Namespace) -> int:
    from core.library.review import answer_review, review_queue

    if args.accept is not None and args.reject is not None:
        raise CliError("give either --accept or --reject")
    face = args.accept if args.accept is not None else args.reject
    if face is not None:
        with open_session(args) as session:
            wanted = resolve_person(session, args.person)[0] if args.person else None
            found = [s for s in review_queue(session, None)
                     if s.face_id == face and (wanted is None or s.person_id == wanted)]
            if not found:
                raise CliError(f"no suggestion for face {face} (see faceorg review)")
            if len(found) > 1:
                raise CliError(f"face {face} has several suggestions: say which with --person")
            answer = answer_review(session, face, found[0].person_id, accept=args.accept is not None)
        print(("Yes: " if answer.accepted else "No: ") + answer.description)
        return 0
    if is_tty() and not args.json:
        with open_library_cli(args, write=True) as library:
            return _interactive(library, args.limit)
    with open_session(args, write=False) as session:
        queue = review_queue(session, args.limit)
        photos = _photo_paths(session, [s.photo_id for s in queue])
    if args.json:
        print_json({"suggestions": [_suggestion_json(s, photos) for s in queue]})
        return 0
    for s in queue:
        photo = printable(photos.get(s.photo_id, ""))
        print(f"  face {s.face_id}  {photo}  is {printable(s.person_name)}?  (distance {s.distance:.3f})")
    if not queue:
        print("Nothing to review")
    return 0


def _interactive(library: Library, limit: int) -> int:
    from core.library.review import answer_review, review_queue

    with library.session() as session:
        queue = review_queue(session, limit)
        photos = _photo_paths(session, [s.photo_id for s in queue])
    counts = {"y": 0, "n": 0, "s": 0}
    for s in queue:
        reply = ""
        while reply not in ("y", "n", "s", "q"):
            reply = ask(f"face {s.face_id} in {photos.get(s.photo_id, '?')}: is this {s.person_name}? [y/n/s/q]")[:1]
        if reply == "q":
            break
        if reply in ("y", "n"):
            with library.session() as session:
                answer_review(session, s.face_id, s.person_id, accept=reply == "y")
        counts[reply] += 1
    print(f"{counts['y']} yes, {counts['n']} no, {counts['s']} skipped (faceorg undo takes back the last answer)")
    return 0


def run_undo(args: argparse.Namespace) -> int:
    from core.library.undo import undo_last

    with open_session(args) as session:
        text = undo_last(session)
    if not text:  # nothing changed: exit 1, like every refusal (scripts can loop `while faceorg undo`)
        raise CliError("nothing to undo")
    print(f"Undone: {printable(text)}")
    return 0


def run_redo(args: argparse.Namespace) -> int:
    from core.library.undo import redo_last

    with open_session(args) as session:
        text = redo_last(session)
    if not text:
        raise CliError("nothing to redo")
    print(f"Redone: {printable(text)}")
    return 0

"""``faceorg people | groups | show | name | rename | merge | hide``: look at and name people from the
command line (``cluster``, ``review``, face corrections and undo live in :mod:`core.cli.grouping`).

PERSON is a name (any case) or ``p<id>``; CLUSTER is ``c<id>`` or ``<id>``; FACE is a face id. A label
always means what it names: names that look like one ("c19", "p1", "7") are refused.
Every change is one undoable operation (``faceorg undo`` / ``faceorg redo``). ``--json`` output
has stable keys. Exit codes: 0 done, 1 refused or not found, 2 library locked or unknown schema.
"""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING, Any

from core.cli.common import CliError, add_command, ask, is_tty, open_session, print_json
from core.safetext import printable

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_command(subparsers, "people", run_people, "named people with their face counts", True)
    p.add_argument("--all", action="store_true", help="hidden people and unnamed groups too")
    p = add_command(subparsers, "groups", run_groups, "unnamed groups (clusters) with their face counts", True)
    p.add_argument("--min-size", type=int, default=1)
    p = add_command(subparsers, "show", run_show, "the faces of a person or a group, with their photos", True)
    p.add_argument("target", metavar="PERSON_OR_CLUSTER")
    p.add_argument("--limit", type=int, default=None)
    p = add_command(subparsers, "name", run_name, "name a group (joining an existing person after confirmation)")
    p.add_argument("cluster", metavar="CLUSTER")
    p.add_argument("name", nargs="+", metavar="NAME")
    p.add_argument("--yes", action="store_true", help="join an existing person of that name without asking")
    p = add_command(subparsers, "rename", run_rename, "rename a person")
    p.add_argument("old", metavar="PERSON")
    p.add_argument("new", nargs="+", metavar="NEW_NAME")
    p = add_command(subparsers, "merge", run_merge, "merge person A into person B (A disappears)")
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p = add_command(subparsers, "hide", run_hide, "hide a person from the people list")
    p.add_argument("person", metavar="PERSON")
    p.add_argument("--show", action="store_true", help="show the person again")


def resolve_person(session: Session, text: str) -> tuple[int, str]:
    """(id, name) of person ``p<id>``, or else of the person called ``text`` (any case). The id
    form wins: new names cannot look like labels, and an old one that does is reached by id."""
    from core.library.people import find_person
    from core.storage.schema import Person

    match = re.fullmatch(r"[pP](\d+)", text.strip())
    if match:
        person = session.get(Person, int(match.group(1)))
        if person is None:
            raise CliError(f"no person {text.strip()} (see faceorg people)")
        return person.id, person.name
    found = find_person(session, text)
    if found is None:
        raise CliError(f'no person called "{printable(text)}"')
    return found.id, found.name


def resolve_cluster(session: Session, text: str) -> int:
    """The id of the active cluster ``c<id>`` or ``<id>``."""
    from core.storage.schema import Cluster

    match = re.fullmatch(r"[cC]?(\d+)", text.strip())
    cluster = session.get(Cluster, int(match.group(1))) if match else None
    if cluster is None or not cluster.active:
        raise CliError(f"no group {text} (see faceorg groups)")
    return cluster.id


def _people_json(people: list) -> list[dict]:
    return [{"id": p.id, "name": p.name, "faces": p.face_count, "hidden": p.hidden,
             "cover_face_id": p.cover_face_id} for p in people]


def _groups_json(groups: list) -> list[dict]:
    return [{"id": g.id, "label": f"c{g.id}", "faces": g.face_count, "cover_face_id": g.cover_face_id}
            for g in groups]


def run_people(args: argparse.Namespace) -> int:
    from core.library import queries

    with open_session(args, write=False) as session:
        people = queries.list_people(session, include_hidden=args.all)
        groups = queries.list_clusters(session) if args.all else []
    if args.json:
        out: dict[str, Any] = {"people": _people_json(people)}
        if args.all:
            out["groups"] = _groups_json(groups)
        print_json(out)
        return 0
    for p in people:
        print(f"{p.face_count:6d}  {printable(p.name)}{'  (hidden)' if p.hidden else ''}")
    if not people:
        print("No named people yet: see faceorg groups, then faceorg name CLUSTER NAME")
    for g in groups:
        print(f"{g.face_count:6d}  c{g.id} (unnamed)")
    return 0


def run_groups(args: argparse.Namespace) -> int:
    from core.library import queries

    with open_session(args, write=False) as session:
        groups = queries.list_clusters(session, min_size=args.min_size)
    if args.json:
        print_json({"groups": _groups_json(groups)})
        return 0
    for g in groups:
        print(f"{g.face_count:6d}  c{g.id}")
    if not groups:
        print("No groups: run faceorg cluster after importing photos")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from core.library import queries
    from core.library.people import find_person

    with open_session(args, write=False) as session:
        target = args.target.strip()
        found_id: int | None = None
        name: str | None = None
        if re.fullmatch(r"[pP]\d+", target):  # a label means the group or person it names, never a name
            found_id, name = resolve_person(session, target)
        elif not re.fullmatch(r"[cC]?\d+", target):
            found = find_person(session, target)
            if found is None:
                raise CliError(f'no person or group called "{printable(target)}"')
            found_id, name = found.id, found.name
        if found_id is not None:
            kind, ident = "person", found_id
            faces = queries.faces_of_person(session, found_id, limit=args.limit)
        else:
            kind, ident = "cluster", resolve_cluster(session, args.target)
            name = f"c{ident}"
            faces = queries.faces_of_cluster(session, ident, limit=args.limit)
    if args.json:
        print_json({"kind": kind, "id": ident, "name": name, "faces": [
            {"id": f.id, "photo_id": f.photo_id, "photo": f.photo_path, "box": [round(v, 1) for v in f.box],
             "source": f.source, "confidence": f.confidence} for f in faces]})
        return 0
    print(f"{printable(name or '')}: {len(faces)} face(s)")
    for f in faces:
        x, y, w, h = f.box
        print(f"  face {f.id}  {printable(f.photo_path)}  box=({x:.0f}, {y:.0f}, {w:.0f}, {h:.0f})  {f.source or ''}")
    return 0


def run_name(args: argparse.Namespace) -> int:
    from core.library.people import find_person, name_cluster, normalize_name

    name = normalize_name(" ".join(args.name))
    with open_session(args) as session:
        cluster = resolve_cluster(session, args.cluster)
        existing = find_person(session, name)
        if existing is not None and not args.yes:
            if not is_tty():
                raise CliError(f'"{existing.name}" already exists; use --yes to add group c{cluster} to them')
            if ask(f'"{existing.name}" already exists. Add group c{cluster} to them? [y/N]') not in ("y", "yes"):
                raise CliError("nothing changed")
        ref = name_cluster(session, cluster, name)
    verb, prep = ("Added", "to") if ref.merged else ("Named", "as")
    print(f'{verb} group c{cluster} {prep} "{printable(ref.name)}"')
    return 0


def run_rename(args: argparse.Namespace) -> int:
    from core.library.people import rename_person

    with open_session(args) as session:
        person_id, old = resolve_person(session, args.old)
        ref = rename_person(session, person_id, " ".join(args.new))
    print(f'Renamed "{printable(old)}" to "{printable(ref.name)}"')
    return 0


def run_merge(args: argparse.Namespace) -> int:
    from core.library.people import merge_people

    with open_session(args) as session:
        (src, src_name), (dst, _) = resolve_person(session, args.a), resolve_person(session, args.b)
        ref = merge_people(session, src, dst)
    print(f'Merged "{printable(src_name)}" into "{printable(ref.name)}"')
    return 0


def run_hide(args: argparse.Namespace) -> int:
    from core.library.people import hide_person

    with open_session(args) as session:
        person_id, name = resolve_person(session, args.person)
        hide_person(session, person_id, not args.show)
    print(f'{"Showing" if args.show else "Hid"} "{printable(name)}"')
    return 0



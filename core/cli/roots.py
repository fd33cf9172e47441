"""``faceorg roots list|map|unmap``: where the library's roots (the folders photo paths are
relative to) are on this computer. See :mod:`core.library.roots`; nothing here writes the library."""

from __future__ import annotations

import argparse

from core.cli.common import add_command, open_session, print_json
from core.safetext import printable


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("roots", help="library roots: the folders photo paths are relative to, "
                                            "and where each is on this computer")
    sub = p.add_subparsers(dest="roots_command", required=True, metavar="ACTION")
    add_command(sub, "list", run_list, "each root, its photos and its folder on this computer", json_flag=True)
    m = add_command(sub, "map", run_map, "map a root to its folder on this computer (e.g. where the share is mounted)")
    m.add_argument("name", help="the root's name (faceorg roots list)")
    m.add_argument("folder", help="the folder on this computer")
    u = add_command(sub, "unmap", run_unmap, "forget this computer's mapping of a root")
    u.add_argument("name")


def run_list(args: argparse.Namespace) -> int:
    from core.library.roots import quote, root_statuses

    with open_session(args, write=False) as session:
        roots = root_statuses(session)
    if args.json:
        print_json([{"name": r.name, "photos": r.photos, "folder": r.here, "how": r.how, "found": r.found,
                     "recorded": r.recorded} for r in roots])
        return 0
    if not roots:
        print("no roots yet (an import makes one for each folder it is given)")
    for r in roots:
        where = {"mapped": "mapped here", "recorded": "as recorded"}.get(r.how)
        if r.here is None:
            state = f"NOT MAPPED on this computer (recorded at {printable(r.recorded or '?')}): " \
                    f"faceorg roots map {printable(quote(r.name))} /path"
        else:
            state = f"{printable(r.here)} ({where}{'' if r.found else ', folder not found'})"
        print(f"{printable(r.name)}: {r.photos} photo{'' if r.photos == 1 else 's'}, {state}")
    return 0


def _label(args: argparse.Namespace) -> str:
    from core.paths import default_library_path
    from core.storage.postgres import mask_url

    return mask_url(str(args.library or default_library_path()))


def run_map(args: argparse.Namespace) -> int:
    from core.library.roots import map_root

    with open_session(args, write=False) as session:
        root = map_root(session, args.name, args.folder, label=_label(args))
    print(f"root '{printable(root.name)}' is at {printable(root.mount or '?')} on this computer")
    return 0


def run_unmap(args: argparse.Namespace) -> int:
    from core.library.roots import map_root

    with open_session(args, write=False) as session:
        root = map_root(session, args.name, None, label=_label(args))
    where = f"at its recorded folder {printable(root.mount)}" if root.mount else "not mapped on this computer"
    print(f"root '{printable(root.name)}': mapping forgotten, {where}")
    return 0

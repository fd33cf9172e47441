"""The folders that hold the library's photos, for browsing them as a tree.

:func:`photo_folders` lists every folder with photos directly in it (duplicates left out) and how
many; :func:`under` is the condition "the photo is in this folder or below it" (a range on the
unique path index, so a folder of a big library is found without a scan); :func:`folder_tree`
arranges folders as a tree whose roots are the topmost folders (a chain of folders without photos
of their own above them is folded into the root's name)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from core.storage.schema import Photo

SEPARATORS = "/\\"


@dataclass(frozen=True)
class FolderCount:
    path: str  # without a trailing separator
    photos: int  # directly in it


@dataclass
class FolderNode:
    """One folder of the tree: ``photos`` directly in it, ``total`` in it and below it."""

    path: str
    name: str
    photos: int = 0
    total: int = 0
    children: list[FolderNode] = field(default_factory=list)


def _dirname_sql() -> Any:
    """SQLite: the path up to and including its last separator."""
    stripped = func.replace(func.replace(Photo.path, "/", ""), "\\", "")
    return func.rtrim(Photo.path, stripped)


def photo_folders(session: Session) -> list[FolderCount]:
    """Folders with photos directly in them (not counting duplicates), by path."""
    folder = _dirname_sql().label("folder")
    rows = session.execute(select(folder, func.count()).where(Photo.duplicate_of.is_(None))
                           .group_by(folder).order_by(folder)).all()
    out = []
    for path, n in rows:
        trimmed = path.rstrip(SEPARATORS) or path[:1]  # "/" stays "/"
        out.append(FolderCount(trimmed, int(n)))
    return out


def under(folder: str) -> Any:
    """SQL condition: ``Photo.path`` is in ``folder`` or any folder below it."""
    base = folder.rstrip(SEPARATORS)
    sep = "\\" if "\\" in folder and "/" not in folder else "/"
    low, high = base + sep, base + chr(ord(sep) + 1)
    return and_(Photo.path >= low, Photo.path < high)


def _split(path: str) -> list[str]:
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    return parts


def folder_tree(folders: list[FolderCount]) -> list[FolderNode]:
    """The folders as a tree (roots first by path); see the module doc."""
    root = FolderNode("", "")
    index: dict[tuple[str, ...], FolderNode] = {(): root}
    sep = os.sep if any(os.sep in f.path for f in folders) else "/"
    for folder in folders:
        parts = _split(folder.path)
        node = root
        for depth in range(1, len(parts) + 1):
            key = tuple(parts[:depth])
            child = index.get(key)
            if child is None:
                prefix = "/" if folder.path.startswith("/") else ""
                child = FolderNode(prefix + sep.join(key), parts[depth - 1])
                index[key] = child
                node.children.append(child)
            node = child
        node.photos += folder.photos
    def total(node: FolderNode) -> int:
        node.total = node.photos + sum(total(c) for c in node.children)
        node.children.sort(key=lambda c: c.name.casefold())
        return node.total

    total(root)
    roots = root.children
    out = []
    for top in roots:  # fold the chain of photo-less single folders into the root
        node = top
        while node.photos == 0 and len(node.children) == 1:
            node = node.children[0]
        node.name = node.path
        out.append(node)
    return out

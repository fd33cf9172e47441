"""Folders holding photos: counts, the tree, and the photos under a folder."""

from __future__ import annotations

from sqlalchemy import update

from core.library import queries as q
from core.library.folders import FolderCount, folder_tree, photo_folders
from core.storage.schema import Photo

PATHS = ["/home/ann/Pictures/2020/a.jpg", "/home/ann/Pictures/2020/b.jpg", "/home/ann/Pictures/2020/trip/c.jpg",
         "/home/ann/Pictures/d.jpg", "/home/ann/Pictures2/e.jpg", "/media/usb/f.jpg"]


def test_folders_tree_and_photos_under_a_folder(library, factory):
    with library.session() as s:
        for path in PATHS:
            factory.photo(s, path=path)
        factory.photo(s, path="/home/ann/Pictures/2020/copy.jpg")
        s.execute(update(Photo).where(Photo.path.endswith("copy.jpg")).values(duplicate_of=1))
    with library.session() as s:
        folders = photo_folders(s)
        assert folders == [FolderCount("/home/ann/Pictures", 1), FolderCount("/home/ann/Pictures/2020", 2),
                           FolderCount("/home/ann/Pictures/2020/trip", 1), FolderCount("/home/ann/Pictures2", 1),
                           FolderCount("/media/usb", 1)]
        tree = folder_tree(folders)
        assert [(n.name, n.total) for n in tree] == [("/home/ann", 5), ("/media/usb", 1)]
        home = tree[0]
        assert [(c.name, c.photos, c.total) for c in home.children] == [("Pictures", 1, 4), ("Pictures2", 1, 1)]
        assert [(c.name, c.total) for c in home.children[0].children] == [("2020", 3)]
        under = [p.path for p in q.photos(s, folder="/home/ann/Pictures")]
        assert sorted(under) == sorted(PATHS[:4])  # not Pictures2, not the duplicate
        assert q.count_photos(s, folder="/home/ann/Pictures/2020/") == 3
        assert [p.path for p in q.photos(s, folder="/home/ann/Pictures/2020", offset=1, limit=1)] != []

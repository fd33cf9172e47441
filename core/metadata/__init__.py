"""Face names in photo metadata (XMP): read on import, write on request.

* :mod:`.regions`: the region model, box geometry and the 8 EXIF orientations.
* :mod:`.xmp_read`: XMP from a photo (embedded) or a sidecar -> regions and name-only tags.
* :mod:`.sidecars`: which file's XMP counts (``photo.jpg.xmp`` > ``photo.xmp`` > embedded).
* :mod:`.matching`: which region names which detected face.
* :mod:`.library_sync`: the import side: names from metadata into the library (its database work
  batched in :mod:`.sync_batch`; :mod:`.status` counts what the library holds from metadata).
* :mod:`.xmp_write` and :mod:`.export`: the export side: names from the library into XMP.

pyexiv2 holds the GIL and exiv2's XMP parser is not thread-safe: every pyexiv2 call goes through
:data:`.xmp_read.EXIV2_LOCK`, so there is one metadata thread at a time whoever calls.
"""

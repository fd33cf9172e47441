"""Face crops and photo thumbnails, loaded off the UI thread and kept in QPixmapCache.

Views ask :meth:`ThumbnailService.face` / :meth:`photo` while painting. A cached pixmap is
returned at once; otherwise the request is queued (newest first, so what is on screen now
wins over what was scrolled past) and :attr:`ready` fires when it is in the cache. Photo
thumbnails go through the core's on-disk cache (``core.imaging.thumbnails``); face crops
are cut from the photo with ``core.imaging.thumbnails.face_crop``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from PySide6.QtGui import QGuiApplication, QImage, QPixmap, QPixmapCache

if TYPE_CHECKING:
    from app.store import LibraryStore
    from core.library.queries import FaceInfo, PhotoInfo

MAX_PENDING = 256
DECODE_MAX_SIDE = 1600  # photos are decoded at most this big to cut face crops
CACHE_KB = 192 * 1024


def device_pixels(logical: int) -> int:
    """``logical`` pixels in device pixels on the sharpest screen (2x: twice as many)."""
    app = QGuiApplication.instance()
    ratio = app.devicePixelRatio() if isinstance(app, QGuiApplication) else 1.0
    return int(round(logical * max(1.0, ratio)))


def rgb_to_qimage(rgb: Any) -> QImage:
    """A deep-copied QImage of an H x W x 3 uint8 array (safe to pass between threads)."""
    height, width = rgb.shape[:2]
    data = rgb.tobytes()
    return QImage(data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def load_face_crop(path: str, box: tuple[float, float, float, float], size: int) -> QImage:
    """A square crop of one face (core face_crop) as a QImage; raises ImageLoadError."""
    from core.imaging.loader import load_image
    from core.imaging.thumbnails import face_crop

    loaded = load_image(path, max_side=DECODE_MAX_SIDE)
    s = loaded.scale
    crop = face_crop(loaded.rgb, (box[0] * s, box[1] * s, box[2] * s, box[3] * s), size=size)
    return rgb_to_qimage(crop)


def load_photo_thumbnail(info: PhotoInfo, size: int) -> QImage:
    """The photo's thumbnail from the core on-disk cache (made if missing)."""
    from core.imaging.loader import content_hash
    from core.imaging.thumbnails import ensure_thumbnail

    digest = getattr(info, "content_hash", None) or content_hash(info.path)
    path = ensure_thumbnail(info.path, digest, size=size)
    image = QImage(str(path))
    if image.isNull():
        raise OSError(f"unreadable thumbnail {path}")
    return image


class _Signals(QObject):
    loaded = Signal(str, QImage)
    failed = Signal(str)


class _Worker(QRunnable):
    def __init__(self, service: ThumbnailService) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._service = service

    def run(self) -> None:
        while (job := self._service._next_job()) is not None:
            key, fn = job
            try:
                image = fn()
            except Exception:  # noqa: BLE001 - a bad photo shows a placeholder, never crashes
                self._service._signals.failed.emit(key)
            else:
                self._service._signals.loaded.emit(key, image)


class ThumbnailService(QObject):
    """Asynchronous, cached face crops and photo thumbnails."""

    ready = Signal(str)

    def __init__(self, store: LibraryStore, parent: QObject | None = None, threads: int = 2) -> None:
        super().__init__(parent)
        QPixmapCache.setCacheLimit(max(QPixmapCache.cacheLimit(), CACHE_KB))
        self.store = store
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._lock = threading.Lock()
        self._pending: OrderedDict[str, Callable[[], QImage]] = OrderedDict()
        self._running: set[str] = set()
        self._failed: set[str] = set()
        self._workers = 0
        self._signals = _Signals(self)
        self._signals.loaded.connect(self._on_loaded)
        self._signals.failed.connect(self._on_failed)

    # -- public -----------------------------------------------------------------------------

    def face(self, info: FaceInfo, size: int = 160) -> QPixmap | None:
        """The crop of a face whose FaceInfo is known, or None while it loads."""
        key = f"f{info.id}:{size}"
        return self._get(key, lambda: load_face_crop(info.photo_path, info.box, size))

    def face_by_id(self, face_id: int, resolve: Callable[[], FaceInfo | None], size: int = 160) -> QPixmap | None:
        """The crop of face ``face_id``; ``resolve`` (run in a worker) finds its FaceInfo."""
        key = f"f{face_id}:{size}"

        def load() -> QImage:
            info = resolve()
            if info is None:
                raise LookupError(face_id)
            return load_face_crop(info.photo_path, info.box, size)

        return self._get(key, load)

    def photo(self, info: PhotoInfo, size: int = 256) -> QPixmap | None:
        """The thumbnail of a photo, or None while it loads."""
        return self._get(f"p{info.id}:{size}", lambda: load_photo_thumbnail(info, size))

    def has_failed(self, key: str) -> bool:
        return key in self._failed

    def idle(self) -> bool:
        """Nothing queued or loading (screenshots wait for this)."""
        with self._lock:
            return not self._pending and not self._running and self._workers == 0

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the loader threads finished (shutdown)."""
        with self._lock:
            self._pending.clear()
        return self._pool.waitForDone(msecs)

    def clear(self) -> None:
        QPixmapCache.clear()
        self._failed.clear()
        with self._lock:
            self._pending.clear()

    # -- internals ----------------------------------------------------------------------------

    def _get(self, key: str, load: Callable[[], QImage]) -> QPixmap | None:
        pixmap = QPixmapCache.find(key)  # type: ignore[call-overload]  # PySide6 stubs lack find(str) -> QPixmap
        if pixmap is not None and not pixmap.isNull():
            return pixmap
        if key in self._failed:
            return None
        with self._lock:
            if key in self._running:
                return None
            self._pending[key] = load
            self._pending.move_to_end(key)
            while len(self._pending) > MAX_PENDING:
                self._pending.popitem(last=False)
            start = self._workers < self._pool.maxThreadCount()
            if start:
                self._workers += 1
        if start:
            self._pool.start(_Worker(self))
        return None

    def _next_job(self) -> tuple[str, Callable[[], QImage]] | None:
        with self._lock:
            if not self._pending:
                self._workers -= 1
                return None
            key, fn = self._pending.popitem(last=True)
            self._running.add(key)
            return key, fn

    @Slot(str, QImage)
    def _on_loaded(self, key: str, image: QImage) -> None:
        with self._lock:
            self._running.discard(key)
        QPixmapCache.insert(key, QPixmap.fromImage(image))
        self.ready.emit(key)

    @Slot(str)
    def _on_failed(self, key: str) -> None:
        with self._lock:
            self._running.discard(key)
        self._failed.add(key)
        self.ready.emit(key)

"""The photo viewer's canvas: the photo, a labelled box per face, and drawing a new box.

Scene coordinates are the photo's original pixels (the upright image core boxes use), so
face boxes go in as they are; the pixmap, possibly decoded smaller, is scaled up to fit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QMouseEvent, QPainter, QPen, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QWidget,
)

if TYPE_CHECKING:
    from core.library.queries import FaceInfo


class FaceBox(QGraphicsRectItem):
    """One face: a rounded box and a name tag; clicking it asks what to do."""

    def __init__(self, face: FaceInfo, colour: str, label: str, bounds: QRectF | None = None) -> None:
        rect = QRectF(*face.box)
        if bounds is not None and not bounds.isEmpty():  # a face at the edge: the box stops at the photo's edge
            clipped = rect.intersected(bounds)
            rect = clipped if not clipped.isEmpty() else rect
        x, y, h = rect.x(), rect.y(), rect.height()
        super().__init__(rect)
        self.face = face
        self.colour = QColor(colour)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, False)
        self.setToolTip(f"{label} — click to name or correct")
        self.tag = QGraphicsSimpleTextItem(label, self)
        self.tag.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        font = QFont()
        font.setPointSizeF(10.5)
        font.setWeight(QFont.Weight.DemiBold)
        self.tag.setFont(font)
        self.tag.setBrush(QBrush(QColor("#111114")))
        below = bounds is None or bounds.isEmpty() or y + h < bounds.bottom() - 0.04 * bounds.height()
        self.tag.setPos(x, y + h if below else y)  # at the photo's bottom edge the name goes inside the box
        self._hover = False
        self._style()

    def _style(self) -> None:
        pen = QPen(self.colour, 3 if self._hover else 2)
        pen.setCosmetic(True)
        if self.face.person_id is None:
            pen.setStyle(Qt.PenStyle.DashLine)
        self.setPen(pen)

    def hoverEnterEvent(self, event: object) -> None:
        self._hover = True
        self._style()

    def hoverLeaveEvent(self, event: object) -> None:
        self._hover = False
        self._style()

    def paint(self, painter: QPainter, option: object, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(self.pen())
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(self.rect())


class _TagBackground(QGraphicsRectItem):
    """The filled label behind a face's name (drawn in screen pixels)."""


class PhotoCanvas(QGraphicsView):
    """Shows a photo with face boxes; in draw mode a drag makes a new box."""

    faceClicked = Signal(object, QPointF)  # FaceInfo, global position
    boxDrawn = Signal(QRectF)  # in photo pixels

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("viewer")
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setAccessibleName("Photo")
        self.pixmap_item: QGraphicsPixmapItem | None = None
        self.boxes: list[FaceBox] = []
        self.photo_size = (0, 0)
        self.drawing = False
        self._start: QPointF | None = None
        self._rubber: QGraphicsRectItem | None = None

    def set_photo(self, image: QImage, scale: float, size: tuple[int, int]) -> None:
        """``image`` decoded at ``scale`` of the original ``size`` (width, height)."""
        self.scene().clear()
        self.boxes = []
        self.photo_size = size
        self.pixmap_item = self.scene().addPixmap(QPixmap.fromImage(image))
        self.pixmap_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.pixmap_item.setScale(1.0 / scale if scale else 1.0)
        self.scene().setSceneRect(QRectF(0, 0, size[0], size[1]))
        self.fit()

    def clear(self) -> None:
        self.scene().clear()
        self.boxes, self.pixmap_item = [], None

    def set_faces(self, faces: list[FaceInfo], colours: dict[str, str]) -> None:
        """Replace the boxes. ``colours``: "named", "unnamed", "ignored"."""
        for box in self.boxes:
            self.scene().removeItem(box)
        self.boxes = []
        for face in faces:
            if face.ignored:
                colour, label = colours["ignored"], "Ignored"
            elif face.person_name:
                colour, label = colours["named"], face.person_name
            else:
                colour, label = colours["unnamed"], "Who is this?"
            box = FaceBox(face, colour, f" {label} ", self.scene().sceneRect())
            self.scene().addItem(box)
            box.tag.setBrush(QBrush(QColor("#ffffff")))
            back = _TagBackground(box.tag.boundingRect(), box.tag)
            back.setBrush(QColor(0, 0, 0, 170))
            back.setPen(Qt.PenStyle.NoPen)
            back.setFlag(QGraphicsItem.GraphicsItemFlag.ItemStacksBehindParent)
            self.boxes.append(box)

    def fit(self) -> None:
        if self.pixmap_item is not None:
            self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit()

    def set_drawing(self, on: bool) -> None:
        self.drawing = on
        self.viewport().setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = self.mapToScene(event.position().toPoint())
        if self.drawing and event.button() == Qt.MouseButton.LeftButton:
            self._start = pos
            self._rubber = self.scene().addRect(QRectF(pos, pos), self._rubber_pen())
            return
        for item in self.items(event.position().toPoint()):
            box = item if isinstance(item, FaceBox) else item.parentItem()
            if isinstance(box, FaceBox):
                self.faceClicked.emit(box.face, event.globalPosition())
                return
        super().mousePressEvent(event)

    @staticmethod
    def _rubber_pen() -> QPen:
        pen = QPen(QColor("#ffd60a"), 2, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        return pen

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._start is not None and self._rubber is not None:
            end = self.mapToScene(event.position().toPoint())
            self._rubber.setRect(QRectF(self._start, end).normalized())
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._start is not None and self._rubber is not None:
            rect = self._rubber.rect().intersected(self.scene().sceneRect())
            self.scene().removeItem(self._rubber)
            self._start, self._rubber = None, None
            if rect.width() >= 12 and rect.height() >= 12:
                self.boxDrawn.emit(rect)
            return
        super().mouseReleaseEvent(event)

"""Unknown faces: the faces that belong to no group and no person (too few alike to make a group),
otherwise only reachable one photo at a time. Select one or many: "Who Is This?" names them
(M), "Ignore" puts them away (I); Return opens the photo."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.itemmodels.faces import FacesModel
from app.operations import Operations
from app.theme import Theme
from app.views.detail_page import DetailPage

TITLE = "Unknown Faces"


class UnknownFacesPage(DetailPage):
    """A DetailPage over ("unknown", 0): no back, rename, "not this person" or cover."""

    def __init__(self, model: FacesModel, ops: Operations, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(model, ops, theme, parent)
        self.kind = "unknown"
        self.header.title.setText(TITLE)
        for button in (self.back, self.rename_button, self.not_button, self.cover_button):
            button.hide()
        self.move_button.setText("&Who Is This?")
        self.move_button.setToolTip("Say who the selected faces are (M)")
        self.shown = False

    def show_owner(self, kind: str = "unknown", owner_id: int = 0, title: str = TITLE) -> None:
        self.kind, self.owner_id, self.title = "unknown", 0, TITLE
        self.shown = True
        self.model.set_owner("unknown", 0)
        self._update_state()

    def _update_state(self, *_args: object) -> None:
        super()._update_state()
        n = self.model.rowCount()
        if n == 0 and not self.model.canFetchMore():
            self.header.subtitle.setText("Every face belongs to a group or a person")
        else:
            more = "+" if self.model.canFetchMore() else ""
            self.header.subtitle.setText(f"{n:,}{more} face{'s' if n != 1 else ''} in no group · "
                                         "select some, then Who Is This? or Ignore")
        for button in (self.back, self.rename_button, self.not_button, self.cover_button):
            button.hide()

    def _names_changed(self) -> None:
        pass

"""The user's edits as thin GUI actions: ask what is needed, then push an undoable step
that calls one core people operation on the writer thread."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QStringListModel, Qt, Signal
from PySide6.QtWidgets import QCompleter, QWidget

from app.store import LibraryStore
from app.undo import UndoController
from app.views.widgets import ask_name, confirm

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def _faces(n: int) -> str:
    return "1 face" if n == 1 else f"{n} faces"


class Operations(QObject):
    """Naming, merging, moving, rejecting, hiding and ignoring, with confirmations."""

    message = Signal(str)  # a short status line for the status bar
    namesChanged = Signal()
    personNamed = Signal(int)  # faces were given to this person (naming, merging, moving): recognise them

    def __init__(self, store: LibraryStore, undo: UndoController, window: QWidget) -> None:
        super().__init__(window)
        self.store, self.undo, self.window = store, undo, window
        self.people: dict[int, str] = {}  # id -> name of every person, hidden ones too
        self.names_model = QStringListModel(self)
        store.changed.connect(self.refresh_names)
        store.opened.connect(lambda _p: self.refresh_names())
        undo.error.connect(self._error)

    # -- names ---------------------------------------------------------------------------------

    def refresh_names(self) -> None:
        def fetch(session: Session) -> dict[int, str]:
            from core.library.queries import list_people

            return {p.id: p.name for p in list_people(session, include_hidden=True, sort="name")}

        self.store.read(fetch, self._names_arrived, name="names")

    def _names_arrived(self, people: dict[int, str]) -> None:
        self.people = people
        self.names_model.setStringList(sorted(people.values(), key=str.casefold))
        self.namesChanged.emit()

    def completer(self, parent: QObject) -> QCompleter:
        """A completer over the existing names (case-insensitive, matches inside names)."""
        completer = QCompleter(self.names_model, parent)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        return completer

    def person_named(self, name: str) -> int | None:
        key = " ".join(name.split()).casefold()
        return next((pid for pid, n in self.people.items() if n.casefold() == key), None)

    # -- operations ----------------------------------------------------------------------------

    def _push(self, text: str, op: Callable[[Session], Any], done: Callable[[Any], None] | None = None,
              settled: Callable[[], None] | None = None) -> None:
        """Do ``op`` as an undoable step; ``done(result)`` on success, ``settled()`` after
        success or failure (a typed name may stop being shown as pending)."""
        def ok(result: Any) -> None:
            if done is not None:
                done(result)
            if settled is not None:
                settled()

        def failed(exc: BaseException) -> None:
            self.message.emit(f"{text}: {exc}")
            if settled is not None:
                settled()

        self.undo.push(text, op, on_done=ok, on_error=failed)
        self.message.emit(text)

    def _named(self, result: Any) -> None:
        person = getattr(result, "id", None)  # core PersonRef
        if isinstance(person, int):
            self.personNamed.emit(person)

    def _error(self, text: str) -> None:
        self.message.emit(text)

    def name_group(self, cluster_id: int, name: str, done: Callable[[Any], None] | None = None,
                   settled: Callable[[], None] | None = None) -> None:
        """Name an unnamed group; if the name exists, ask before adding the faces to that person.
        ``settled()`` runs once the name is stored, refused, or the user cancelled."""
        from_people = self.person_named(name)

        def op(session: Session) -> Any:
            from core.library.people import name_cluster

            return name_cluster(session, cluster_id, name)

        def named(result: Any) -> None:
            self._named(result)
            if done is not None:
                done(result)

        if from_people is None:
            self._push(f"Name group “{name}”", op, named, settled)
            return
        existing = self.people[from_people]
        confirm(self.window, "Add to existing person", f"“{existing}” already exists.",
                f"Add to {existing}", lambda: self._push(f"Add group to “{existing}”", op, named, settled),
                "The faces of this group will be added to that person.", cancelled=settled)

    def rename_person(self, person_id: int, name: str, settled: Callable[[], None] | None = None) -> None:
        """Rename; if another person has that name, offer to merge into them."""
        other = self.person_named(name)
        if other is None or other == person_id:
            def op(session: Session) -> Any:
                from core.library.people import rename_person

                return rename_person(session, person_id, name)

            self._push(f"Rename to “{name}”", op, settled=settled)
            return
        old = self.people.get(person_id, "this person")

        def merge() -> None:
            self.merge_people([person_id], other)
            if settled is not None:
                settled()

        confirm(self.window, "Merge people", f"“{self.people[other]}” already exists.",
                f"Merge into {self.people[other]}", merge,
                f"All faces of “{old}” will be moved to “{self.people[other]}”.", cancelled=settled)

    def merge_people(self, sources: Sequence[int], target: int) -> None:
        """Merge people into ``target`` (one undoable step per person, in one macro)."""
        sources = [s for s in sources if s != target]
        if not sources:
            return
        name = self.people.get(target, "")
        self.undo.stack.beginMacro(f"Merge into “{name}”")
        for src in sources:
            def op(session: Session, src: int = src) -> Any:
                from core.library.people import merge_people

                return merge_people(session, src, target)

            self.undo.push(f"Merge into “{name}”", op, on_done=self._named)
        self.undo.stack.endMacro()
        self.message.emit(f"Merged {len(sources)} into “{name}”")

    def merge(self, sources: Sequence[tuple[str, int]], target: tuple[str, int], *, ask: bool = False) -> None:
        """Merge cards (people and/or groups) into ``target``. Groups dropped on a person are
        named after them; a person dropped on a group gives the group their name; groups
        dropped on a group become one unnamed group."""
        sources = [s for s in sources if s != target]
        if not sources:
            return
        kind, target_id = target
        people_ids = [i for k, i in sources if k == "person"]
        clusters = [i for k, i in sources if k == "cluster"]
        if kind == "cluster":
            if people_ids:  # the group joins the first person; the other people merge into them
                self.merge([("cluster", target_id)] + [s for s in sources if s != ("person", people_ids[0])],
                           ("person", people_ids[0]), ask=ask)
                return
            self.merge_groups(clusters, target_id)
            return
        name = self.people.get(target_id, "")

        def run() -> None:
            self.undo.stack.beginMacro(f"Merge into “{name}”")
            for cid in clusters:
                self.name_group_now(cid, name)
            self.merge_people(people_ids, target_id)
            self.undo.stack.endMacro()

        if ask:
            what = f"{len(sources)} selected" if len(sources) > 1 else "the selected card"
            confirm(self.window, "Merge", f"Merge {what} into “{name}”?", "Merge", run)
        else:
            run()

    def merge_groups(self, sources: Sequence[int], target: int) -> None:
        """Unnamed groups become one unnamed group (no name asked)."""
        ids = [s for s in sources if s != target]
        if not ids:
            return

        def op(session: Session) -> Any:
            from core.library.group_edits import merge_groups

            return merge_groups(session, ids, target)

        self._push(f"Merge {len(ids) + 1} groups", op)

    def name_group_now(self, cluster_id: int, name: str) -> None:
        def op(session: Session) -> Any:
            from core.library.people import name_cluster

            return name_cluster(session, cluster_id, name)

        self.undo.push(f"Add group to “{name}”", op, on_done=self._named)

    def _name_groups(self, cluster_ids: Sequence[int], name: str) -> None:
        self.undo.stack.beginMacro(f"Name groups “{name}”")
        for cid in cluster_ids:
            self.name_group_now(cid, name)
        self.undo.stack.endMacro()

    def not_this_person(self, person_id: int, face_ids: Sequence[int]) -> None:
        """Take faces away from a person for good (they never come back to them)."""
        ids = list(face_ids)

        def op(session: Session) -> Any:
            from core.library.people import remove_faces

            return remove_faces(session, person_id, ids)

        self._push(f"{_faces(len(ids))} not “{self.people.get(person_id, '')}”", op)

    def move_faces(self, face_ids: Sequence[int], person: int | str) -> None:
        """Say these faces are ``person`` (an id or a name; a new name creates the person)."""
        ids = list(face_ids)
        label = self.people.get(person, "") if isinstance(person, int) else person

        def op(session: Session) -> Any:
            from core.library.people import assign_faces

            return assign_faces(session, ids, person)

        self._push(f"Move {_faces(len(ids))} to “{label}”", op, self._named)

    def ask_move_faces(self, face_ids: Sequence[int]) -> None:
        ids = list(face_ids)
        if ids:
            ask_name(self.window, "Move to", f"Who is in {'this face' if len(ids) == 1 else 'these faces'}?",
                     sorted(self.people.values()), lambda name: self.move_faces(ids, self.person_named(name) or name))

    def answer_review(self, face_id: int, person_id: int, accept: bool,
                      settled: Callable[[], None] | None = None) -> None:
        """"Is this NAME?" answered (core answer_review: assigns, or says "not them");
        ``settled()`` once the answer is stored or refused."""
        def op(session: Session) -> Any:
            from core.library.grouping import answer_review

            return answer_review(session, face_id, person_id, accept)

        name = self.people.get(person_id, "")
        self._push(f"1 face {'is' if accept else 'not'} “{name}”", op, settled=settled)

    def answer_reviews(self, person_id: int, yes: Sequence[int], no: Sequence[int]) -> None:
        """Many "Is this NAME?" answered at once: ``yes`` are that person, ``no`` are not (one undo step)."""
        name = self.people.get(person_id, "")
        yes_ids, no_ids = list(yes), list(no)
        self.undo.stack.beginMacro(f"Review {_faces(len(yes_ids) + len(no_ids))} of “{name}”")
        if yes_ids:
            def accept(session: Session) -> Any:
                from core.library.people import assign_faces

                return assign_faces(session, yes_ids, person_id)

            self.undo.push(f"{_faces(len(yes_ids))} are “{name}”", accept)
        if no_ids:
            def reject(session: Session) -> Any:
                from core.library.people import remove_faces

                return remove_faces(session, person_id, no_ids)

            self.undo.push(f"{_faces(len(no_ids))} not “{name}”", reject)
        self.undo.stack.endMacro()
        self.message.emit(f"{_faces(len(yes_ids))} confirmed as “{name}”"
                          + (f", {_faces(len(no_ids)).lower()} not" if no_ids else ""))

    def reject_merge(self, a: tuple[str, int], b: tuple[str, int]) -> None:
        """"These are not the same person", remembered (core reject_merge: undoable)."""
        def op(session: Session) -> Any:
            from core.library.merge_suggestions import reject_merge

            return reject_merge(session, a, b)

        self._push("Not the same person", op)

    def hide_person(self, person_id: int, hidden: bool = True) -> None:
        def op(session: Session) -> Any:
            from core.library.people import hide_person

            return hide_person(session, person_id, hidden)

        self._push(f"{'Hide' if hidden else 'Show'} “{self.people.get(person_id, '')}”", op)

    def ignore_faces(self, face_ids: Sequence[int], ignored: bool = True) -> None:
        ids = list(face_ids)

        def op(session: Session) -> Any:
            from core.library.people import ignore_faces

            return ignore_faces(session, ids, ignored)

        self._push(f"{'Ignore' if ignored else 'Stop ignoring'} {_faces(len(ids))}", op)

    def set_cover(self, person_id: int, face_id: int) -> None:
        def op(session: Session) -> Any:
            from core.library.people import set_cover_face

            return set_cover_face(session, person_id, face_id)

        self._push(f"Change the picture of “{self.people.get(person_id, '')}”", op)

"""The geometry of a photo grid under month headings, as plain arithmetic on the months:
where each heading and each cell is, which row a point falls on, where the arrow keys go. Built in
one pass over the months, so 100,000 photos in 120 months cost 120 steps; every question after
that is a binary search over the months."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

from app.itemmodels.photos import Section

LEFT, RIGHT, TOP, BOTTOM = 14, 8, 4, 16  # insets of the grid in the viewport
HEADING = 44  # height of a month's heading row
GAP = 6  # below a month's last row
SMALLEST = 0.68  # cells shrink to this part of the size asked for before a column is dropped


def covering(sections: Sequence[Section], rows: int) -> list[Section]:
    """``sections`` made to cover exactly ``rows`` rows (rows reported before their months arrive
    go in an untitled section at the end), without empty ones."""
    out: list[Section] = []
    for s in sections:
        if s.first >= rows:
            break
        out.append(Section(s.title, s.first, min(s.count, rows - s.first)))
    covered = out[-1].first + out[-1].count if out else 0
    if covered < rows:
        out.append(Section("", covered, rows - covered))
    return [s for s in out if s.count > 0]


class TimelineLayout:
    """Square cells of ``cell`` pixels in ``columns`` columns; each section a heading row (none for
    an untitled one), then its rows of cells. Coordinates are content pixels (0 = the top of the
    grid, not of the viewport)."""

    def __init__(self) -> None:
        self.sections: list[Section] = []
        self.firsts: list[int] = []  # each section's first row
        self.tops: list[int] = []  # each section's top (its heading)
        self.columns = 1
        self.cell = 1
        self.height = 0

    def build(self, sections: list[Section], width: int, cell_hint: int) -> None:
        """Lay ``sections`` out in ``width`` pixels in square cells filling the rows: at most
        ``cell_hint`` and at least :data:`SMALLEST` of it where whole columns allow (a narrow grid
        gets two smaller columns, not one huge one)."""
        room = width - LEFT - RIGHT
        self.sections = sections
        hint = max(1, cell_hint)
        self.columns = max(1, math.ceil(room / hint))  # cells no bigger than the hint …
        if room // self.columns < hint * SMALLEST and self.columns > 1:  # … nor much smaller
            self.columns -= 1
        self.cell = max(1, room // self.columns)
        self.firsts, self.tops, y = [], [], TOP
        for i, s in enumerate(sections):
            self.firsts.append(s.first)
            self.tops.append(y)
            y += self.heading_height(i) + self.lines(i) * self.cell + GAP
        self.height = y + BOTTOM

    def rows(self) -> int:
        return self.firsts[-1] + self.sections[-1].count if self.sections else 0

    def heading_height(self, s: int) -> int:
        return HEADING if self.sections[s].title else 0

    def lines(self, s: int) -> int:
        return math.ceil(self.sections[s].count / self.columns)

    def section_at(self, y: int) -> int:
        """The section whose span holds content height ``y`` (0 above the first)."""
        return max(0, bisect.bisect_right(self.tops, y) - 1)

    def locate(self, row: int) -> tuple[int, int, int]:
        """(section, line, column) of ``row``."""
        s = bisect.bisect_right(self.firsts, row) - 1
        line, col = divmod(row - self.firsts[s], self.columns)
        return s, line, col

    def body_top(self, s: int) -> int:
        """The top of section ``s``'s first line of cells."""
        return self.tops[s] + self.heading_height(s)

    def cell_at(self, row: int) -> tuple[int, int]:
        """The top-left corner of ``row``'s cell."""
        s, line, col = self.locate(row)
        return LEFT + col * self.cell, self.body_top(s) + line * self.cell

    def row_at(self, s: int, line: int, col: int) -> int:
        """The row at (line, col) of section ``s``, clamped into the section."""
        k = max(0, min(line * self.columns + col, self.sections[s].count - 1))
        return self.sections[s].first + k

    def row_under(self, x: int, y: int) -> int:
        """The row whose cell holds the point, or -1 (a heading, a margin, past a month's end)."""
        s = bisect.bisect_right(self.tops, y) - 1
        if s < 0 or x < LEFT:
            return -1
        local, col = y - self.body_top(s), (x - LEFT) // self.cell
        if local < 0 or col >= self.columns:
            return -1
        line = local // self.cell
        k = line * self.columns + col
        return self.firsts[s] + k if line < self.lines(s) and k < self.sections[s].count else -1

    def row_near(self, x: int, y: int) -> int:
        """The row under the point, or the nearest one of the section there."""
        row = self.row_under(x, y)
        if row >= 0 or not self.sections:
            return row
        s = self.section_at(y)
        line = max(0, min(self.lines(s) - 1, (y - self.body_top(s)) // self.cell))
        return self.row_at(s, line, min(self.columns - 1, max(0, (x - LEFT) // self.cell)))

    def visible_rows(self, top: int, height: int) -> tuple[int, int]:
        """The first and last row of the lines that meet content pixels ``top`` .. ``top + height``."""
        if not self.sections:
            return 0, -1
        first = self.row_near(LEFT, top)
        s, line, _col = self.locate(self.row_near(LEFT, top + height))
        return first, self.row_at(s, line, self.columns - 1)

    def move(self, row: int, key: str, page: int = 0) -> int:
        """Where ``key`` ("left", "right", "up", "down", "home", "end", "page") takes the cursor
        from ``row``: up and down keep the column across the headings; "page" moves ``page`` pixels."""
        s, line, col = self.locate(row)
        if key == "left":
            row -= 1
        elif key == "right":
            row += 1
        elif key == "home":
            row = 0
        elif key == "end":
            row = self.rows() - 1
        elif key == "up":
            if line > 0:
                row -= self.columns
            elif s > 0:
                row = self.row_at(s - 1, self.lines(s - 1) - 1, col)
        elif key == "down":
            if line + 1 < self.lines(s):
                row = self.row_at(s, line + 1, col)
            elif s + 1 < len(self.sections):
                row = self.row_at(s + 1, 0, col)
        elif key == "page":
            y = min(max(0, self.body_top(s) + line * self.cell + self.cell // 2 + page), self.height - 1)
            row = self.row_near(LEFT + col * self.cell + self.cell // 2, y)
        return max(0, min(self.rows() - 1, row))

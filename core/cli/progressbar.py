"""A small terminal progress bar on stderr for long commands (files done/total, faces,
photos/s, ETA). On a terminal it redraws one line; otherwise it prints a line now and then."""

from __future__ import annotations

import math
import shutil
import sys
import time
from typing import TextIO

from core.progress import Progress


def format_duration(seconds: float) -> str:
    """"1:02:03", "4:05", or "?" when unknown."""
    if not math.isfinite(seconds) or seconds < 0:
        return "?"
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def render(p: Progress, width: int = 80) -> str:
    """One line for ``p`` at most ``width`` characters wide."""
    extra = p.extra
    done = int(extra.get("files_done", p.done))
    total = extra.get("files_total", p.total)
    if p.message == "scanning" or not total:
        text = f"{p.message or 'working'}: {p.done} files found"
        return text[:width]
    total = int(total)
    tail = f" {done}/{total} files"
    if "faces" in extra:
        tail += f", {int(extra['faces'])} faces"
    rate = extra.get("photos_per_s")
    if rate is not None and rate > 0:
        tail += f", {rate:.1f} photos/s"
    if "eta_s" in extra:
        tail += f", ETA {format_duration(extra['eta_s'])}"
    pct = f"{100 * min(1.0, done / total):3.0f}%" if total else ""
    bar_width = max(0, min(30, width - len(tail) - len(pct) - 4))
    filled = round(bar_width * min(1.0, done / total)) if total else 0
    bar = f"[{'#' * filled}{'.' * (bar_width - filled)}] " if bar_width >= 5 else ""
    return f"{bar}{pct}{tail}"[:width]


class ProgressBar:
    """Callable as a core ``progress`` function. Redraws at most every ``interval`` seconds
    on a terminal, every ``log_interval`` seconds otherwise. Call :meth:`close` at the end."""

    def __init__(self, stream: TextIO | None = None, interval: float = 0.1,
                 log_interval: float = 5.0) -> None:
        self.stream: TextIO | None = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval if self.tty else log_interval
        self._last = -math.inf
        self._drawn = False
        self._latest: Progress | None = None

    def __call__(self, progress: Progress) -> None:
        self._latest = progress
        now = time.monotonic()
        finished = progress.total is not None and progress.done >= progress.total
        if now - self._last < self.interval and not finished:
            return
        self._last = now
        self._draw(progress)

    def _draw(self, progress: Progress) -> None:
        if self.stream is None:
            return
        try:
            self._write(progress)
        except (OSError, ValueError):  # the terminal or pipe went away: the work goes on, unseen
            self.stream = None

    def _write(self, progress: Progress) -> None:
        assert self.stream is not None
        if self.tty:
            width = max(20, shutil.get_terminal_size((80, 20)).columns - 1)
            self.stream.write("\r" + render(progress, width).ljust(width))
            self._drawn = True
        else:
            self.stream.write(render(progress, 200) + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Finish the line (drawing the last state if it was skipped)."""
        if self.tty and self._drawn and self.stream is not None:
            if self._latest is not None:
                self._draw(self._latest)
            try:
                if self.stream is not None:
                    self.stream.write("\n")
                    self.stream.flush()
            except (OSError, ValueError):
                self.stream = None

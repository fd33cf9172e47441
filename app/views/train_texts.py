"""What the Train dialog says, in plain words: the core's progress messages and run outcomes speak of
folds, heads, epochs and the seed notebook; a person training a model sees what was measured and
whether the new model is worth using."""

from __future__ import annotations

import re
from typing import Any

PLAIN_MESSAGES = (  # the core's progress messages (regex) and what the dialog shows instead
    (r"reading named faces", "Reading the faces you named"),
    (r"personal head trained", "Trained"),
    (r"trunk features of view (\d+)", r"Reading the photos (pass \1)"),
    (r"trunk features", "Reading the photos"),
    (r"fold (\d+)", r"Training (test part \1)"),
    (r"epoch (\d+)/(\d+) validated", r"Round \1 of \2 checked"),
    (r"epoch (\d+)/(\d+)", r"Round \1 of \2"),
)


def plain_status(message: str) -> str:
    """The core's progress ``message`` in plain words (unknown ones are kept, capitalised)."""
    for pattern, plain in PLAIN_MESSAGES:
        if re.fullmatch(pattern, message.strip()):
            return re.sub(pattern, plain, message.strip())
    return message[:1].upper() + message[1:]


def _pct(x: float) -> str:
    return f"{x:.1%}"


def outcome_lines(o: Any) -> list[str]:
    """The result of a run (a core ``RunOutcome``): what was measured, before and after, and what
    to do with the new model."""
    lines: list[str] = []
    measured = o.before is not None and o.after is not None
    if o.mode == "personal":
        result = o.result
        faces = f" ({result.n_test} faces of {result.n_people} people)" if result is not None else ""
        if measured:
            lines.append(f"Faces it did not learn from{faces}, recognised correctly: "
                         f"{_pct(o.before)} before, {_pct(o.after)} after.")
        lines.append("Better than the model in use: you can use it." if o.adopted else
                     "Not better than the model in use: keep the one you have.")
    elif o.mode == "finetune":
        if measured:
            lines.append(f"Accuracy on the public face test set (LFW), on people it did not learn from: "
                         f"{_pct(o.before)} before, {_pct(o.after)} after.")
            lines.append("Better than the standard model." if o.adopted else "Not better than the standard model.")
        else:
            lines.append("Trained on every person of the public face set (LFW): nobody was left to test it on.")
    else:  # scratch: a research model
        if measured:
            lines.append(f"Test photos of 62 people named correctly: {_pct(o.after)} "
                         f"(the example this network comes from: {_pct(o.before)}).")
        lines.append("A research model: it works on small 60 × 60 pixel faces and cannot be used for your library.")
    if o.model is not None:
        lines.append(f"Saved as “{o.model.name}”.")
    return lines

"""Text from outside (file names, person names) made safe to show, and checked on input.

File names on POSIX are bytes; Python hands over the bytes that are not UTF-8 as lone
surrogates U+DC80..U+DCFF (PEP 383, "surrogateescape"), and Windows names may hold other lone
surrogates. Such a str cannot be printed or encoded as UTF-8, and a name with control
characters or ANSI escapes would drive the user's terminal. :func:`printable` is the one
display form used by the CLI and the app:

* a byte that is not UTF-8 (U+DC80..U+DCFF) is written ``\\xNN`` (``bad_\\xff.jpg``);
* another lone surrogate is written ``\\udNNN``;
* control characters (C0, DEL, C1) are written ``\\n``, ``\\t``, ``\\r``, ``\\x1b``, ...

JSON output keeps the exact value instead: it is the path as Python sees it, each non-UTF-8
byte a lone surrogate written ``\\udcNN`` (so ``os.fsencode(value)`` gives the file's exact
bytes back).
"""

from __future__ import annotations

import json
import re
from typing import Any

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if ch in _NAMED:
        return _NAMED[ch]
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    if code >= 0xD800:
        return f"\\u{code:04x}"
    return f"\\x{code:02x}"


def printable(text: str) -> str:
    """``text`` with non-UTF-8 bytes, lone surrogates and control characters escaped (see the
    module doc); ordinary text, accents and emoji included, is unchanged."""
    return _UNSAFE.sub(_escape, text)


def has_control(text: str) -> bool:
    """True when ``text`` holds a control character (C0, DEL, C1: ANSI escapes start with one)
    or a lone surrogate: such text is refused as a name."""
    return _UNSAFE.search(text) is not None


def json_dumps(data: Any, *, ensure_ascii: bool = False) -> str:
    """``json.dumps`` whose output can always be printed: lone surrogates (non-UTF-8 bytes of
    file names) are written as ``\\udcNN`` escapes even when ``ensure_ascii`` is False."""
    text = json.dumps(data, ensure_ascii=ensure_ascii)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

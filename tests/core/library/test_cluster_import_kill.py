"""A Ray cluster import (``faceorg import --cluster``) whose driver is SIGKILLed after some photos
are committed resumes: the next run leaves the library a clean import makes (same photos, same
faces and embeddings, nothing lost, nothing stored twice), on both backends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from import_support import SETTINGS, check_consistent, copy_photos, faces_per_photo, lfw_photos
from test_cluster_import import _faces

from core.embedding.settings import EmbedderSettings
from core.library.importer import import_folders
from core.pipeline import FacePipeline, PipelineSettings
from core.storage.engine import open_library
from core.storage.postgres import DatabaseLocation, is_database_url

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install '.[cluster]')")
REPO = Path(__file__).resolve().parents[3]
N_PHOTOS = 40  # the CLI commits every 32 faces: the first commit comes at about photo 28

pytestmark = pytest.mark.slow
# Ray's per-node agents notice the raylet's death at once ("Raylet is dead! Exiting") but take a while
# to end on a busy machine; they hold no photos and no library connection. The test ends them.
AGENTS = ("ray::DashboardAgent", "ray::RuntimeEnvAgent")

# The real command line, on a local Ray of 2 CPUs started first (``connect`` then keeps it).
DRIVER = f"""
import sys
from core.cli.main import main
from core.library.cluster_import import connect

connect("local", num_cpus=2, object_store_memory=300 * 2**20, include_dashboard=False, log_to_driver=False,
        runtime_env={{"env_vars": {{"PYTHONPATH": {str(REPO)!r}}}}})
sys.exit(main(["--library", sys.argv[1], "import", sys.argv[2], "--cluster", "local", "--no-group", "--no-flip",
               "--no-progress"]))
"""


# the killed driver's embedder (``--no-flip``, the rest default): the rerun and the reference use the same one
CLI_PIPELINE = FacePipeline(PipelineSettings(embedder=EmbedderSettings(flip=False)))


def _where(location: str) -> Path | DatabaseLocation:
    return DatabaseLocation(location) if is_database_url(location) else Path(location)


def _done(location: str) -> int:
    """Done photos as another process sees them (0 while the library is being created)."""
    try:
        return len(faces_per_photo(_where(location)))
    except Exception:  # no tables yet, a file still being made
        return 0


def _ray_processes(session: int) -> list[int]:
    """Processes still in the killed driver's session (its Ray head and workers, if any)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            out.append(int(stat.parent.name))
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
    except OSError:
        return str(pid)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the driver's Ray processes")
def test_a_sigkilled_cluster_driver_resumes_to_a_clean_import(library_location: str, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    copy_photos(lfw_photos(N_PHOTOS), folder)
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"} | {"PYTHONPATH": str(REPO)}  # a new Ray
    log = tmp_path / "driver.log"  # a file, not a pipe nobody reads: Ray's output cannot block the driver
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", DRIVER, library_location, str(folder)], cwd=REPO, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while (done := _done(library_location)) == 0:
            if proc.poll() is not None:
                pytest.fail(f"import ended early ({proc.returncode}): {log.read_text(errors='replace')[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail("no photo committed within 300 s")
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)  # the driver only: its Ray processes must go with it
        proc.wait(timeout=30)
        deadline = time.monotonic() + 60
        while (left := [c for c in map(_cmdline, _ray_processes(proc.pid)) if not c.startswith(AGENTS)]) \
                and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        with_ray = _ray_processes(proc.pid)
        names = [_cmdline(pid) for pid in with_ray]
        if with_ray:
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert left == [], f"the killed driver's Ray processes outlived it: {left} (all: {names})"

    killed = check_consistent(_where(library_location))  # no face without its embedding, counts agree
    assert 0 < done <= killed["done"] < N_PHOTOS, "killed before its first commit or after its last"

    from core.library.cluster_import import ClusterSettings, connect, import_folders_cluster

    started = not ray.is_initialized()
    connect("local", num_cpus=2, object_store_memory=300 * 2**20, include_dashboard=False,
            runtime_env={"env_vars": {"PYTHONPATH": str(REPO)}}, log_to_driver=False)
    try:
        with open_library(library_location) as library:  # the dead writer's lock or lease is gone with it
            rep = import_folders_cluster(library, [folder], pipeline=CLI_PIPELINE, settings=SETTINGS,
                                         cluster=ClusterSettings(actors=1, detect_batch=2, embed_batch=4))
            assert not rep.cancelled and rep.errors == []
            assert (rep.photos_unchanged, rep.photos_new) == (killed["done"], N_PHOTOS - killed["done"])
            got = _faces(library)
    finally:
        if started:
            ray.shutdown()
    after = check_consistent(_where(library_location))
    assert after["photos"] == after["done"] == N_PHOTOS

    with open_library(tmp_path / "clean.sqlite") as clean:  # the reference: one uninterrupted local import
        import_folders(clean, [folder], pipeline=CLI_PIPELINE, settings=SETTINGS)
        expected = _faces(clean)
    assert faces_per_photo(_where(library_location)) == faces_per_photo(tmp_path / "clean.sqlite")
    assert got.keys() == expected.keys()
    for name in expected:
        np.testing.assert_allclose([f[0] for f in got[name]], [f[0] for f in expected[name]], atol=1e-6)
        for (_, a), (_, b) in zip(got[name], expected[name], strict=True):
            assert np.max(np.abs(a - b)) < 1e-5

"""`faceorg import` as a whole process, this checkout against an older one (and face_recognition), paired.

    .venv/bin/python benchmarks/bench_import_speed.py --collages DIR --base WORKTREE [--runs 3]
        [--fr-venv VENV] [--fr-runs 1] [--lfw N] [--scaling 20,100,500,2000] [--scaling-base]
        [--json OUT]

Each run imports a folder into a fresh temporary library with the CLI of one checkout
(``python -m core.cli.main --library LIB import --json FOLDER``, PYTHONPATH = the checkout, same Python),
timed from process start to exit, so model loading and the grouping after the import count. Runs of
the two checkouts alternate (base, new, base, new, ...) so that the machine's load hits both alike;
reported: median wall seconds, median CPU seconds (user + system of the process and its children),
peak RSS, faces found, and the ratios of the medians. ``--fr-venv``: also run face_recognition (HOG
detector with 1 upsample, as its CLI does, plus the encodings of every face found) from that venv on
the same photos, one process, ``--fr-runs`` times. ``--lfw N``: the same paired runs on N LFW photos.
``--scaling``: photos/s of this checkout (and with ``--scaling-base`` the base's) against the number of
LFW photos imported. The machine's load (``os.getloadavg``) is recorded before and after each run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.paths import lfw_default  # noqa: E402

FR_SCRIPT = """
import sys, pathlib, face_recognition
n = 0
for p in sorted(pathlib.Path(sys.argv[1]).iterdir()):
    if p.suffix.lower() not in ('.jpg', '.jpeg', '.png'):
        continue
    image = face_recognition.load_image_file(str(p))
    boxes = face_recognition.face_locations(image, number_of_times_to_upsample=1, model='hog')
    n += len(face_recognition.face_encodings(image, boxes))
print(n)
"""


def timed(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> dict:
    """Run ``cmd``; wall seconds, CPU seconds and peak RSS of that process (os.wait4), its stdout."""
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} failed ({proc.returncode}): {stderr[-2000:]}")
    rss = usage.ru_maxrss / (1 << 20) if sys.platform == "darwin" else usage.ru_maxrss / 1024
    return {"wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2), "peak_rss_mib": round(rss),
            "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2), "stdout": stdout}


def faceorg(checkout: Path, folder: Path, tmp: Path, extra: tuple[str, ...] = ()) -> dict:
    library = tempfile.mktemp(suffix=".sqlite", dir=tmp)
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    # cwd too: ``python -m`` puts the working directory on sys.path ahead of PYTHONPATH
    r = timed([sys.executable, "-m", "core.cli.main", "--library", library, "import", "--json", "--no-progress",
               *extra, str(folder)], env, cwd=checkout)
    report = json.loads(r.pop("stdout").strip().splitlines()[-1])
    r.update(faces=report["faces_new"], photos=report["photos_new"], import_s=round(report["elapsed_s"], 2))
    return r


def face_recognition_run(venv: Path, folder: Path) -> dict:
    r = timed([str(venv / "bin" / "python"), "-c", FR_SCRIPT, str(folder)], dict(os.environ))
    r["faces"] = int(r.pop("stdout").strip().splitlines()[-1])
    return r


def summary(runs: list[dict]) -> dict:
    keys = ("wall_s", "cpu_s", "peak_rss_mib", "faces", "import_s")
    return {f"median_{k}": statistics.median(r[k] for r in runs) for k in keys if runs and k in runs[0]} | \
        {"runs": runs}


def paired(base: Path | None, folder: Path, runs: int, tmp: Path, variants: tuple[str, ...] = ()) -> dict:
    new_runs, base_runs = [], []
    other: dict[str, list[dict]] = {v: [] for v in variants}
    for i in range(runs):
        if base is not None:
            base_runs.append(faceorg(base, folder, tmp))
            print(f"  base run {i + 1}: {base_runs[-1]['wall_s']} s", file=sys.stderr, flush=True)
        new_runs.append(faceorg(REPO, folder, tmp))
        print(f"  new run {i + 1}: {new_runs[-1]['wall_s']} s", file=sys.stderr, flush=True)
        for v in variants:
            other[v].append(faceorg(REPO, folder, tmp, tuple(v.split())))
            print(f"  new {v} run {i + 1}: {other[v][-1]['wall_s']} s", file=sys.stderr, flush=True)
    out = {"new": summary(new_runs)}
    for v, v_runs in other.items():
        out[f"new {v}"] = summary(v_runs)
        if base_runs:
            out[f"new {v}"]["wall_ratio"] = round(statistics.median(r["wall_s"] for r in base_runs)
                                                  / out[f"new {v}"]["median_wall_s"], 2)
            out[f"new {v}"]["cpu_ratio"] = round(statistics.median(r["cpu_s"] for r in base_runs)
                                                 / out[f"new {v}"]["median_cpu_s"], 2)
    if base is not None:
        out["base"] = summary(base_runs)
        out["wall_ratio"] = round(out["base"]["median_wall_s"] / out["new"]["median_wall_s"], 2)
        out["cpu_ratio"] = round(out["base"]["median_cpu_s"] / out["new"]["median_cpu_s"], 2)
        out["paired_wall_ratios"] = [round(b["wall_s"] / n["wall_s"], 2) for b, n in zip(base_runs, new_runs,
                                                                                         strict=True)]
    return out


def lfw_folder(root: Path, n: int, where: Path) -> Path:
    """A folder of links to ``n`` LFW photos spread over the sorted list."""
    files = sorted((root / "images").glob("*/*.jpg"))
    idx = np.unique(np.linspace(0, len(files) - 1, min(n, len(files))).round().astype(int))
    folder = where / f"lfw{n}"
    folder.mkdir()
    for i in idx:
        (folder / files[i].name).symlink_to(files[i])
    return folder


def markdown(out: dict) -> str:
    """The results as markdown tables (also: ``--table RESULTS.json`` prints them for a saved run)."""
    lines = []
    for phase in ("collages", "lfw"):
        res = out.get(phase)
        if not res:
            continue
        lines += [f"**{phase}**", "", "| run | wall s (median) | CPU s (median) | wall ratio | CPU ratio | faces | "
                  "peak RSS MiB | wall s of each run |", "|---|---|---|---|---|---|---|---|"]
        rows = [("base " + str(out.get("base")), res.get("base"), None, None)]
        rows.append(("new " + str(out.get("new")), res.get("new"), res.get("wall_ratio"), res.get("cpu_ratio")))
        rows += [(k, v, v.get("wall_ratio"), v.get("cpu_ratio")) for k, v in res.items() if k.startswith("new ")]
        rows.append(("face_recognition (HOG, 1 upsample)", res.get("face_recognition"), None, None))
        for name, r, wr, cr in rows:
            if not r:
                continue
            if name.startswith("face_recognition"):
                wr, cr = res.get("fr_wall_ratio"), res.get("fr_cpu_ratio")
                name += " (ratios: it / new)"
            each = ", ".join(str(x["wall_s"]) for x in r["runs"])
            lines.append(f"| {name} | {r['median_wall_s']} | {r['median_cpu_s']} | {wr or ''} | {cr or ''} | "
                         f"{r['median_faces']} | {r['median_peak_rss_mib']} | {each} |")
        lines.append("")
    if out.get("scaling"):
        lines += ["| LFW photos | new: wall s | photos/s (process) | photos/s (import) | CPU s | peak RSS MiB |",
                  "|---|---|---|---|---|---|"]
        for row in out["scaling"]:
            r = row["new"]
            lines.append(f"| {row['photos']} | {r['wall_s']} | {r['photos_per_s_process']} | "
                         f"{r['photos_per_s_import']} | {r['cpu_s']} | {r['peak_rss_mib']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collages", type=Path, default=None)
    parser.add_argument("--base", type=Path, default=None, help="worktree of the older commit")
    parser.add_argument("--runs", type=int, default=3, help="paired runs (0: only face_recognition)")
    parser.add_argument("--variant", action="append", default=[],
                        help="extra `faceorg import` options for a further paired run of this checkout, "
                             "e.g. --variant=--no-flip (repeatable)")
    parser.add_argument("--fr-venv", type=Path, default=None)
    parser.add_argument("--fr-runs", type=int, default=1)
    parser.add_argument("--lfw", type=int, default=0, help="also pair runs on N LFW photos")
    parser.add_argument("--lfw-runs", type=int, default=1)
    parser.add_argument("--scaling", default="", help="comma-separated LFW photo counts")
    parser.add_argument("--scaling-base", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--table", type=Path, default=None, help="print the tables of a saved run and exit")
    args = parser.parse_args(argv)
    if args.table is not None:
        print(markdown(json.loads(args.table.read_text())))
        return 0
    def commit(checkout: Path | None) -> str | None:
        return None if checkout is None else subprocess.run(
            ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()

    out: dict = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": {
        "platform": platform.platform(), "cpu_count": os.cpu_count(), "python": platform.python_version()},
        "new": commit(REPO), "base": commit(args.base)}
    with tempfile.TemporaryDirectory(prefix="faceorg-speed-") as tmp_name:
        tmp = Path(tmp_name)
        if args.collages is not None:
            print("collages", file=sys.stderr)
            out["collages"] = paired(args.base, args.collages.resolve(), args.runs, tmp, tuple(args.variant)) \
                if args.runs else {}
            if args.fr_venv is not None:
                fr = [face_recognition_run(args.fr_venv, args.collages.resolve()) for _ in range(args.fr_runs)]
                out["collages"]["face_recognition"] = summary(fr)
            new = out["collages"].get("new")
            if args.fr_venv is not None and new:
                out["collages"]["fr_wall_ratio"] = round(statistics.median(r["wall_s"] for r in fr)
                                                         / new["median_wall_s"], 2)
                out["collages"]["fr_cpu_ratio"] = round(statistics.median(r["cpu_s"] for r in fr)
                                                        / new["median_cpu_s"], 2)
        root = lfw_default()
        if args.lfw and root is not None:
            print(f"lfw {args.lfw}", file=sys.stderr)
            out["lfw"] = paired(args.base, lfw_folder(root, args.lfw, tmp), args.lfw_runs, tmp, tuple(args.variant))
        if args.scaling and root is not None:
            out["scaling"] = []
            for n in (int(v) for v in args.scaling.split(",")):
                folder = tmp / f"lfw{n}" if (tmp / f"lfw{n}").exists() else lfw_folder(root, n, tmp)
                row = {"photos": n, "new": faceorg(REPO, folder, tmp)}
                if args.scaling_base and args.base is not None:
                    row["base"] = faceorg(args.base, folder, tmp)
                for k in ("new", "base"):
                    if k in row:
                        row[k]["photos_per_s_process"] = round(n / row[k]["wall_s"], 2)
                        row[k]["photos_per_s_import"] = round(n / max(row[k]["import_s"], 1e-9), 2)
                print(f"  scaling {n}: {row['new']['wall_s']} s", file=sys.stderr, flush=True)
                out["scaling"].append(row)
    text = json.dumps(out, indent=2)
    print(markdown(out))
    if args.json is not None:
        args.json.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Peak memory of importing the hostile folder (tests/hostile/hostile_corpus.py, with the 381 KB
16-bit PNG of 14000 x 14000 pixels that once made one worker peak at 5.6 GB).

    .venv/bin/python benchmarks/bench_hostile.py [--workers N ...] [--json OUT]

Each run is ``faceorg import`` in a fresh child process (the command a user types, default
workers unless ``--workers`` is given), and its peak resident memory is the child's ru_maxrss
(models, decode and all threads included). The baseline, in the same run, imports the same
folder without the big PNG. Passes (exit 0) when every peak is at most 1.5 GB. Prints a markdown
table; ``--json`` also writes the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "hostile")]

from hostile_corpus import build  # noqa: E402

LIMIT_MIB = 1.5 * 1024


def _run(folder: Path, library: Path, workers: int | None) -> dict:
    """``faceorg import`` in a child; its peak RSS (MiB), wall time and exit code."""
    command = [sys.executable, "-m", "core.cli.main", "--library", str(library), "import", str(folder),
               "--no-progress", "--json"]
    if workers:
        command += ["--workers", str(workers)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: exec so that its ru_maxrss is the import's alone
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        os.execve(command[0], command, env)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - t0
    rss = usage.ru_maxrss / (1 << 20) if sys.platform == "darwin" else usage.ru_maxrss / 1024
    return {"exit": os.waitstatus_to_exitcode(status), "seconds": round(seconds, 1), "peak_rss_mib": round(rss, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="*", default=[0],
                        help="worker counts to run (0: the default, min(4, CPUs))")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="faceorg-hostile-") as tmp:
        root = Path(tmp)
        cases = build(root / "hostile", big=True)
        small = build(root / "baseline")  # the same folder without the 14000 x 14000 PNG
        for workers in args.workers:
            for name, folder, n in (("baseline (no big PNG)", root / "baseline", len(small)),
                                    ("hostile folder", root / "hostile", len(cases))):
                library = root / f"{name.split()[0]}-{workers}.sqlite"
                result = _run(folder, library, workers or None)
                rows.append({"folder": name, "cases": n, "workers": workers or min(4, os.cpu_count() or 1),
                             **result})
    ok = all(r["exit"] == 0 and r["peak_rss_mib"] <= LIMIT_MIB for r in rows)
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"{datetime.now(UTC):%Y-%m-%d} (limit {LIMIT_MIB:.0f} MiB)\n")
    print("| folder | cases | workers | exit | seconds | peak RSS (MiB) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['folder']} | {r['cases']} | {r['workers']} | {r['exit']} | {r['seconds']} | {r['peak_rss_mib']} |")
    if args.json:
        args.json.write_text(json.dumps({"date": f"{datetime.now(UTC):%Y-%m-%d}", "cpus": os.cpu_count(),
                                         "limit_mib": LIMIT_MIB, "rows": rows}, indent=2))
    print("\nPASS" if ok else "\nFAIL: a run failed or went over the limit")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

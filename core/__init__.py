"""FaceNet Organizer core: the GUI-free library (no Qt, no app imports)."""

import os

# Idle OpenMP threads sleep instead of spinning. Under CPU contention (an import decoding photos in
# other threads, other programs) spinning oneDNN threads wait on descheduled peers and batched
# embedding ran 2.5x slower than OpenCV's single-image path; with passive waiting it stays 1.6x
# faster (benchmarks/bench_embedding.py). Must be set before torch loads its OpenMP runtime.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

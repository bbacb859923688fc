"""Benchmark: `ganzoo eval` of 10,000 samples must finish in under 30 s on 2 CPU cores.

Not a test (timings on a shared machine are noise). Run it on an otherwise idle machine:

    taskset -c 0,1 python bench/eval_speed.py [--n 10000] [--repeat 3]

It writes a .npy of N images from the shipped train subset, then times the whole
command line in a fresh process (Python start, TensorFlow import, classifier load,
features, every metric, saving the JSON), and each stage on its own in this process.
Reports wall and CPU seconds; exits 1 when the best end-to-end wall time is 30 s or more.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

LIMIT_S = 30.0


def _timed(label: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    print(f"  {label:<28} wall {time.perf_counter() - wall:6.2f} s   "
          f"cpu {time.process_time() - cpu:6.2f} s")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from ganzoo.data.loading import load_embedded

    print(f"cores available: {len(os.sched_getaffinity(0))}; n = {args.n}")
    images = load_embedded().images
    images = np.concatenate([images] * (args.n // len(images) + 1))[: args.n]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "samples.npy"
        np.save(path, images)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        best = float("inf")
        for i in range(args.repeat):
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "ganzoo.cli.app", "eval", str(path),
                                   "--n", str(args.n)], capture_output=True, text=True, env=env)
            seconds = time.perf_counter() - start
            if proc.returncode != 0:
                print(proc.stdout, proc.stderr)
                return 2
            best = min(best, seconds)
            print(f"end to end, run {i + 1}: {seconds:.2f} s")

        print("stages, in this process:")
        from ganzoo.evaluation import evaluate as evaluation
        from ganzoo.evaluation import metrics
        from ganzoo.evaluation.features import classifier_extractor

        extractor = _timed("TensorFlow + classifier", classifier_extractor)
        feats, probs = _timed("features", extractor, images)
        ref = evaluation.shipped_reference()
        mean, cov = metrics.gaussian_stats(feats)
        _timed("Fréchet distance", metrics.frechet_distance, mean, cov, ref.mean, ref.cov)
        _timed("KID (100 subsets of 1000)", metrics.kid, feats, ref.features)
        _timed("precision/recall (k=3)", metrics.precision_recall, ref.features, feats)
        _timed("classifier score", metrics.classifier_score, probs)
    verdict = "PASS" if best < LIMIT_S else "FAIL"
    print(f"{verdict}: best end-to-end {best:.2f} s (limit {LIMIT_S:.0f} s)")
    return 0 if best < LIMIT_S else 1


if __name__ == "__main__":
    raise SystemExit(main())

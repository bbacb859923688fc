"""Scaling benchmark: images/s of one training process against several tf.distribute workers.

    python bench/scaling.py                        # default vs 1 and 2 workers on loopback
    python bench/scaling.py --steps 400 --workers 1 2 4 --batch-size 128
    python bench/scaling.py --mirrored             # also MirroredStrategy (all local GPUs)

Each configuration trains DCGAN on the built-in data for --steps generator steps with the
same global batch, in fresh processes (multi-worker runs start one process per worker on
127.0.0.1 with its own TF_CONFIG). The rate is taken from the chief's metrics.csv after
--warmup steps, so graph tracing and start-up are not counted:
images/s = (steps - warmup) * batch / (time at last step - time at step warmup).
Prints a Markdown table for docs/BENCHMARKS.md. Workers on one machine share its cores:
that measures the cost of the collectives, not the gain of more machines.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def rate(run_dir: Path, batch: int, warmup: int) -> float:
    rows = list(csv.DictReader((run_dir / "metrics.csv").open()))
    if len(rows) <= warmup + 1:
        raise SystemExit(f"{run_dir}: {len(rows)} steps, need more than --warmup {warmup}")
    start, end = rows[warmup - 1] if warmup else rows[0], rows[-1]
    steps = int(end["step"]) - int(start["step"])
    return steps * batch / (float(end["seconds"]) - float(start["seconds"]))


def launch(strategy: str, workers: int, args: argparse.Namespace, root: Path) -> float:
    out = root / f"{strategy}-{workers}"
    cmd = [sys.executable, "-c", "import sys; from ganzoo.cli.app import main; main(sys.argv[1:])",
           "run", "dcgan", "--steps", str(args.steps), "--batch-size", str(args.batch_size),
           "--seed", "0", "--out", str(out), "--strategy", strategy,
           "--set", f"precision={args.precision}", "--set", "visualizers="]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p))
    env.pop("TF_CONFIG", None)
    procs = []
    cluster = {"worker": [f"127.0.0.1:{p}" for p in free_ports(workers)]}
    try:
        for index in range(workers if strategy == "multi-worker" else 1):
            worker_env = dict(env)
            if strategy == "multi-worker":
                worker_env["TF_CONFIG"] = json.dumps(
                    {"cluster": cluster, "task": {"type": "worker", "index": index}})
            log = (root / f"{strategy}-{workers}-{index}.log").open("w")
            procs.append((subprocess.Popen(cmd, env=worker_env, stdout=log,
                                           stderr=subprocess.STDOUT), log))
        deadline = time.monotonic() + args.timeout
        for proc, _ in procs:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        for proc, log in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
            log.close()
    for i, (proc, _) in enumerate(procs):
        if proc.returncode != 0:
            raise SystemExit(f"{strategy} x{workers} worker {i} failed; see "
                             f"{root / f'{strategy}-{workers}-{i}.log'}")
    return rate(out, args.batch_size, args.warmup)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64, help="global batch")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--precision", default="auto", choices=("auto", "float32", "bfloat16"))
    parser.add_argument("--mirrored", action="store_true",
                        help="also run MirroredStrategy over this machine's GPUs")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per configuration")
    parser.add_argument("--keep", action="store_true", help="keep the run folders and logs")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="ganzoo-bench-"))
    configs = [("default", 1)] + [("multi-worker", n) for n in args.workers]
    if args.mirrored:
        configs.append(("mirrored", 1))
    results = [(strategy, n, launch(strategy, n, args, root)) for strategy, n in configs]
    base = results[0][2]
    print(f"\nDCGAN 28x28, global batch {args.batch_size}, {args.steps} steps "
          f"(rate after {args.warmup}), precision {args.precision}, "
          f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}")
    print("\n| strategy | processes | images/s | vs default |\n|---|---|---|---|")
    for strategy, n, value in results:
        procs = n if strategy == "multi-worker" else 1
        print(f"| {strategy} | {procs} | {value:.0f} | {value / base:.2f}x |")
    if args.keep:
        print(f"\nrun folders and logs: {root}")
    else:
        import shutil

        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

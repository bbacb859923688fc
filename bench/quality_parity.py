"""Sample quality at equal images: the TensorFlow tutorial's step against ganzoo's engine.

The speed ratio of bench/train_speed.py counts only if ganzoo's faster step (bfloat16,
fused batch norm, 16-bit dropout draws, its kernel gradients) learns as well. This script
trains, for each seed, (a) our reimplementation of the tutorial's model and step
(float32, Keras' layers) and (b) ganzoo's `dcgan-tutorial` entry at the precision ganzoo
picks, for the same number of steps of 256 images on the embedded Fashion-MNIST subset,
then draws 10,000 samples from each (numpy seed 12345) and scores them with ganzoo's
evaluation (Fréchet distance, KID, precision/recall on ganzoo's classifier features,
against the Fashion-MNIST test split). The goal (issue #6): ganzoo's mean Fréchet
distance within 10 % of the tutorial's.

    python bench/quality_parity.py --out parity --seeds 0 1          # ~35 min on 2 cores
    python bench/quality_parity.py --out parity --steps 200 --seeds 0  # a smoke run
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_speed import LATENT, Tutorial, load_images

import ganzoo
from ganzoo.artifacts import sampling
from ganzoo.evaluation.evaluate import evaluate_source

SAMPLE_SEED = 12345
BATCH = 256


def tutorial_samples(images: np.ndarray, steps: int, seed: int, n: int) -> tuple[np.ndarray,
                                                                                 float]:
    tutorial = Tutorial(images, BATCH, seed)
    start = time.perf_counter()
    tutorial.train(steps, warm_up=False)
    seconds = time.perf_counter() - start
    z = np.random.default_rng(SAMPLE_SEED).standard_normal((n, LATENT)).astype(np.float32)
    out = [np.asarray(tutorial.generator(z[i:i + 500], training=False))
           for i in range(0, n, 500)]
    return (np.concatenate(out).astype(np.float32) + 1.0) / 2.0, seconds


def ganzoo_samples(out: Path, steps: int, seed: int, n: int, cat) -> tuple[np.ndarray, float,
                                                                           str]:
    start = time.perf_counter()
    result = ganzoo.train("dcgan-tutorial", steps=steps, batch_size=BATCH, seed=seed, out=out,
                          overwrite=True, verbose=0, cat=cat,
                          overrides={"visualizers": "", "precision": "auto"})
    seconds = time.perf_counter() - start
    return sampling.sample(sampling.load(out, cat), n, seed=SAMPLE_SEED), seconds, \
        result.precision


def score(samples: np.ndarray, path: Path, cat) -> dict:
    np.save(path, samples.astype(np.float32), allow_pickle=False)
    result = evaluate_source(path, cat, n=len(samples))
    return {k: result["metrics"][k] for k in ("frechet_distance", "kid", "precision", "recall")
            if k in result["metrics"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("parity"))
    parser.add_argument("--steps", type=int, default=1953,
                        help="train steps of 256 images (default: 50 passes over the 10k set)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--samples", type=int, default=10_000)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    cat = ganzoo.catalog()
    images = load_images("fashion-mnist-10k")
    rows = []
    for seed in args.seeds:
        x, secs = tutorial_samples(images, args.steps, seed, args.samples)
        rows.append({"who": "tutorial", "policy": "float32", "seed": seed,
                     "seconds": round(secs, 1),
                     **score(x, args.out / f"tutorial-seed{seed}.npy", cat)})
        print(json.dumps(rows[-1]), flush=True)
        x, secs, precision = ganzoo_samples(args.out / f"ganzoo-seed{seed}", args.steps, seed,
                                            args.samples, cat)
        rows.append({"who": "ganzoo", "policy": precision, "seed": seed,
                     "seconds": round(secs, 1),
                     **score(x, args.out / f"ganzoo-seed{seed}.npy", cat)})
        print(json.dumps(rows[-1]), flush=True)
    (args.out / "parity.json").write_text(json.dumps(
        {"steps": args.steps, "batch": BATCH, "images": args.steps * BATCH, "rows": rows},
        indent=2) + "\n")
    fd = {who: statistics.mean(r["frechet_distance"] for r in rows if r["who"] == who)
          for who in ("tutorial", "ganzoo")}
    print(f"\n{args.steps} steps x {BATCH} images, seeds {args.seeds}, {args.samples} samples")
    print(f"mean Fréchet distance: tutorial {fd['tutorial']:.2f}, ganzoo {fd['ganzoo']:.2f} "
          f"({(fd['ganzoo'] / fd['tutorial'] - 1) * 100:+.1f} %)")


if __name__ == "__main__":
    main()

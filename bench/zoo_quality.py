"""Train every zoo model for the same number of real images and save samples for scoring.

The quality table of the zoo (docs) needs a sample-quality metric that ganzoo does not
have yet; this script produces what that metric will score, under one protocol:

- data: the model's default data set (the embedded fashion-mnist-10k), default seed 0;
- budget: the same number of *real images read by the discriminator* for every model
  (``--images``, default 640,000 = 64 passes over the 10k set). A model with
  ``d_steps = 5`` (WGAN, WGAN-GP) therefore makes 5x fewer generator steps; the number of
  generator steps is recorded next to the samples;
- everything else is the registry entry's defaults (each paper's settings);
- samples: ``--samples`` images (default 10,000) from numpy seed 12345 through
  ``ganzoo sample``'s path (for conditional models, classes cycle so they are balanced),
  saved as ``OUT/MODEL/samples.npy`` (float32, N x H x W x C in [0, 1]) plus a grid PNG;
- ``OUT/manifest.json`` lists, per model, steps, batch size, d_steps, images, wall seconds
  and the run folder. Wall seconds depend on the machine and its load: report them only with
  the machine and precision.

Usage: ``python bench/zoo_quality.py --out bench-runs [--models wgan-gp,sngan]
[--images 640000]``. It runs for a long time on a CPU (hours for the whole zoo); run it on
a quiet machine or a GPU.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import ganzoo
from ganzoo.artifacts import sampling

SAMPLE_SEED = 12345


def run_one(model: str, out: Path, images: int, n_samples: int, seed: int) -> dict:
    from ganzoo.zoo.config import resolve

    cat = ganzoo.catalog()
    entry = cat.models[model][0]
    config = resolve(entry, cat)
    per_step = int(config["batch_size"]) * int(config["d_steps"])
    steps = max(1, images // per_step)
    run_dir = out / model / "run"
    start = time.perf_counter()
    result = ganzoo.train(model, steps=steps, seed=seed, out=run_dir, overwrite=True,
                          verbose=2, cat=cat)
    seconds = time.perf_counter() - start
    loaded = sampling.load(run_dir, cat)
    samples = sampling.sample(loaded, n_samples, seed=SAMPLE_SEED)
    np.save(out / model / "samples.npy", samples.astype(np.float32), allow_pickle=False)
    sampling.save(samples[:100], out / model / "samples.png", rows=loaded.grid_rows)
    return {"model": model, "steps": result.steps, "batch_size": int(config["batch_size"]),
            "d_steps": int(config["d_steps"]), "real_images": result.steps * per_step,
            "samples": n_samples, "sample_seed": SAMPLE_SEED, "train_seed": seed,
            "precision": result.precision, "wall_seconds": round(seconds, 1),
            "stopped": result.stopped, "run_dir": str(run_dir)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("bench-runs"))
    parser.add_argument("--models", default="", help="comma-separated; default: every model")
    parser.add_argument("--images", type=int, default=640_000,
                        help="real images read by D per model")
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    models = [m for m in args.models.split(",") if m] or ganzoo.list_models()
    args.out.mkdir(parents=True, exist_ok=True)
    manifest_path = args.out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    for model in models:
        (args.out / model).mkdir(parents=True, exist_ok=True)
        manifest[model] = run_one(model, args.out, args.images, args.samples, args.seed)
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
        print(json.dumps(manifest[model]), flush=True)


if __name__ == "__main__":
    main()

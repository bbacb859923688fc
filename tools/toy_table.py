"""Measure the toy-benchmark table of docs/ZOO.md: modes covered and high-quality share.

Protocol (written next to the numbers in docs/ZOO.md): train each configuration with
`ganzoo.train` (the same path as `ganzoo run`) for a fixed number of generator steps
and seeds, draw 2,500 samples from the run's export with `ganzoo.sample(..., seed=0)`,
and score them with `ganzoo.data.toy.mode_metrics`. Everything is seeded, so a rerun on the
same platform gives the same figures. Runs go to a temporary folder.

Usage (from the repository root):

    python tools/toy_table.py [--steps 5000] [--seeds 0 1 2] [--datasets ring8 grid25]
    python tools/toy_table.py --zoo --seeds 0     # the zoo's models on MLP networks
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(REPO))

#: (row label, model, overrides): the losses that run on the MLP networks today.
CONFIGS: list[tuple[str, str, dict]] = [
    ("toy-gan (nsgan)", "toy-gan", {}),
    ("toy-gan, loss=minimax", "toy-gan", {"loss": "minimax"}),
    ("toy-gan, loss=lsgan", "toy-gan", {"loss": "lsgan"}),
    ("toy-gan, loss=hinge", "toy-gan", {"loss": "hinge"}),
    ("toy-gan, loss=wasserstein, clip 0.01, 5 critic steps, RMSprop 5e-5", "toy-gan",
     {"loss": "wasserstein", "clip_value": 0.01, "d_steps": 5, "optimizer": "rmsprop",
      "lr_g": 5e-5, "lr_d": 5e-5}),
]

#: The zoo's entries with their papers' defaults, the networks swapped for the MLPs, and
#: the benchmark's batch (100) and noise (2-D) as in PacGAN's protocol for every method.
_MLP = {"generator": "mlp", "discriminator": "mlp", "visualizers": ["scatter", "losses"],
        "batch_size": 100, "latent_dim": 2}
ZOO: list[tuple[str, str, dict]] = [
    (name, name, _MLP)
    for name in ("gan", "nsgan", "lsgan", "wgan", "wgan-gp", "dragan", "sngan", "cgan", "acgan",
                 "infogan")
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--datasets", nargs="+", default=["ring8", "grid25"])
    parser.add_argument("--only", type=int, nargs="*", help="indices of the rows to run")
    parser.add_argument("--zoo", action="store_true",
                        help="run the zoo's entries on MLP networks instead of toy-gan's rows")
    args = parser.parse_args()
    os.environ.setdefault("GANZOO_OFFLINE", "1")

    import ganzoo
    from ganzoo.data import toy

    table = ZOO if args.zoo else CONFIGS
    rows = [table[i] for i in args.only] if args.only else table
    with tempfile.TemporaryDirectory() as tmp:
        for row, (label, model, overrides) in enumerate(rows):
            for dataset in args.datasets:
                for seed in args.seeds:
                    result = ganzoo.train(model, dataset=dataset, steps=args.steps, seed=seed,
                                          overrides=overrides, verbose=0,
                                          out=Path(tmp) / f"{row}-{model}-{dataset}-{seed}")
                    points = ganzoo.sample(result.run_dir, n=toy.EVAL_SAMPLES, seed=0)
                    m = toy.mode_metrics(points, dataset)
                    print(json.dumps({"config": label, "dataset": dataset, "seed": seed,
                                      "steps": result.steps, "modes": m["modes_covered"],
                                      "of": m["modes"],
                                      "high_quality": round(m["high_quality_share"], 4)}),
                          flush=True)


if __name__ == "__main__":
    main()

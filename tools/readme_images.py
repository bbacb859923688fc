"""Copy the pictures of a finished run into docs/images/ under the names README.md shows.

    ganzoo run dcgan --out runs/default      # the default run, 25 epochs
    python tools/readme_images.py runs/default

Run it after a full default run so that the README shows what a user will get.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

#: run file -> docs/images name
PICTURES = {
    "grid.png": "dcgan-default-grid.png",
    "compare.png": "dcgan-default-compare.png",
    "progress.gif": "dcgan-default-progress.gif",
    "losses.png": "dcgan-default-losses.png",
    "histogram.png": "dcgan-default-histogram.png",
    "interpolation.gif": "dcgan-default-interpolation.gif",
    "interpolation.png": "dcgan-default-interpolation.png",
    "neighbours.png": "dcgan-default-neighbours.png",
}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    run = Path(argv[0])
    out = Path(__file__).resolve().parent.parent / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    missing = [name for name in PICTURES if not (run / name).is_file()]
    if missing:
        print(f"error: {run} lacks {', '.join(missing)}", file=sys.stderr)
        return 2
    for name, target in PICTURES.items():
        shutil.copyfile(run / name, out / target)
        print(f"{run / name} -> {out / target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Build the Fashion-MNIST subset shipped in ganzoo/datafiles/fashion-mnist-10k.

Why a script: the shipped files must be reproducible by anyone from the public data
set, byte for byte. The rule is fixed: from the TRAINING split only, pick exactly
`per_class` images of every class with numpy.random.default_rng(seed), keep them in
their original order, and write IDX files gzipped with mtime=0 (no timestamp, no
file name), so that rebuilding gives identical bytes.

Usage (from the repository root; needs the Debian package dataset-fashion-mnist or
the four upstream .gz files in --source):

    python tools/make_embedded_data.py [--source DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import struct
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(REPO))

from ganzoo.data.loading import read_idx  # noqa: E402

DEFAULT_SOURCE = Path("/usr/share/datasets/fashion-mnist")
DEFAULT_OUT = REPO / "ganzoo" / "datafiles" / "fashion-mnist-10k"
SEED = 0
PER_CLASS = 1000
IMAGES_NAME = "train-images-idx3-ubyte.gz"
LABELS_NAME = "train-labels-idx1-ubyte.gz"

MIT_LICENCE = """\
The MIT License (MIT)

Copyright (c) 2017 Zalando SE, https://tech.zalando.com

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def select_indices(labels: np.ndarray, per_class: int, seed: int = SEED) -> np.ndarray:
    """Indices of `per_class` images of each class, in original order (the shipping rule)."""
    rng = np.random.default_rng(seed)
    chosen = []
    for cls in np.unique(labels):  # ascending class ids, so the draw order is fixed
        pool = np.flatnonzero(labels == cls)
        if pool.size < per_class:
            raise SystemExit(f"class {cls} has only {pool.size} images, need {per_class}")
        chosen.append(rng.choice(pool, size=per_class, replace=False))
    return np.sort(np.concatenate(chosen))


def idx_bytes(arr: np.ndarray) -> bytes:
    """Encode a uint8 array as an IDX file (magic 0x0000 08 ndim, big-endian dims)."""
    if arr.dtype != np.uint8:
        raise ValueError("only uint8 arrays are written")
    header = bytes([0, 0, 0x08, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + np.ascontiguousarray(arr).tobytes()


def gzip_bytes(data: bytes) -> bytes:
    """Gzip without a timestamp or file name, so equal input gives equal output."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def readme_text(
    source: Path,
    per_class: int,
    n_total: int,
    source_hashes: dict[str, str],
    out_hashes: dict[str, str],
) -> str:
    """Provenance and licence notice written beside the shipped files."""
    src = "\n".join(f"    {h}  {n}" for n, h in source_hashes.items())
    out = "\n".join(f"    {h}  {n}" for n, h in out_hashes.items())
    return f"""\
# fashion-mnist-10k

A {n_total:,}-image subset of **Fashion-MNIST**, shipped with ganzoo so that it
trains out of the box, offline, with no download.

## Provenance

Fashion-MNIST is by Zalando Research: Han Xiao, Kashif Rasul and Roland Vollgraf,
"Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine Learning
Algorithms", 2017, arXiv:1708.07747. https://github.com/zalandoresearch/fashion-mnist

The images and labels are unchanged (28x28 grey, uint8; labels 0-9), only a subset.

## How the subset was chosen

Built by `tools/make_embedded_data.py` from the Fashion-MNIST files in {source}
(`apt install dataset-fashion-mnist` puts them in /usr/share/datasets/fashion-mnist),
TRAINING split only
(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz; no test image is included):

- for each class 0..9 in ascending order, draw exactly {per_class:,} distinct indices
  with `rng.choice(indices_of_class, size={per_class}, replace=False)`, where
  `rng = numpy.random.default_rng({SEED})` is one generator shared by all classes;
- sort the chosen indices, so the images keep their original order;
- write them as IDX files gzipped with mtime=0 and no file name, so that a rebuild
  is byte-identical (with the same numpy and zlib behaviour).

Source files used (sha256 of the uncompressed IDX contents, which do not depend on
how a copy was gzipped):

{src}

Shipped files (sha256):

{out}

## Licence

Fashion-MNIST is distributed under the MIT licence; this subset keeps it:

```
{MIT_LICENCE}```
"""


def build(source: Path, out: Path, per_class: int = PER_CLASS, seed: int = SEED) -> dict[str, str]:
    """Write the subset and its README; returns {file name: sha256} of the two data files."""
    src_images, src_labels = source / IMAGES_NAME, source / LABELS_NAME
    images = read_idx(src_images)
    labels = read_idx(src_labels)
    if images.ndim != 3 or labels.shape != (images.shape[0],):
        raise SystemExit(f"{source}: unexpected shapes {images.shape} and {labels.shape}")
    keep = select_indices(labels, per_class, seed)
    out.mkdir(parents=True, exist_ok=True)
    hashes = {}
    for fname, arr in ((IMAGES_NAME, images[keep]), (LABELS_NAME, labels[keep])):
        data = gzip_bytes(idx_bytes(arr))
        (out / fname).write_bytes(data)
        hashes[fname] = sha256(data)
    # Hash the uncompressed contents: copies of the source differ in their gzip bytes
    # (Debian's package recompresses the upstream files) but not in their pixels.
    source_hashes = {
        p.name.removesuffix(".gz"): sha256(gzip.decompress(p.read_bytes()))
        for p in (src_images, src_labels)
    }
    (out / "README.md").write_text(
        readme_text(source, per_class, int(keep.size), source_hashes, hashes), encoding="utf-8"
    )
    return hashes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    hashes = build(args.source, args.out)
    for name, digest in hashes.items():
        size = (args.out / name).stat().st_size
        print(f"{digest}  {args.out / name}  ({size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

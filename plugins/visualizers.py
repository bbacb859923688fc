"""Built-in image visualizers: sample grid, real beside generated, latent interpolation,
training progress and nearest training neighbours.

Each factory returns a callable ``(VisualContext) -> list[Path]``. They run after
every epoch (when listed in the model's ``visualizers``) and through
``ganzoo visualize``. All of them need image data (N, H, W, C); for point data
such as the 2-D toy sets they skip with a reason instead of failing.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from ganzoo.plugin import (
    BuildContext,
    VisualContext,
    as_unit,
    atomic_path,
    captioned,
    grid_scale,
    hstack,
    save_gif,
    save_grid,
    save_png,
    tile,
    vstack,
    write_json,
)

#: Salts that give each view its own fixed noise, distinct from the grid's.
_INTERP_SALT = (4_000_037, 5_000_011)
_NEIGHBOUR_SALT = 6_000_001

INTERPOLATION_PARAMS = {"interp_rows": 6, "interp_steps": 10}
NEIGHBOUR_PARAMS = {"nn_samples": 8, "nn_k": 5}

#: progress.gif frames are at most this wide (a 25-epoch GIF of full-size grids is megabytes)
PROGRESS_WIDTH = 320
#: and show at most this many epochs, evenly spaced
PROGRESS_FRAMES = 13
#: Caption strip height and the gap between panels, in pixels.
CAPTION = 16
GAP = 8


def _not_images(run: VisualContext, what: str) -> list[Path] | None:
    if run.is_image_data():
        return None
    return run.skip(f"{what} needs image data (N, H, W, C); this model makes points")


def _rows_of(run: VisualContext) -> int | None:
    """Grid rows: one per class for conditional grids, else square."""
    if run.grid_labels is None:
        return None
    return len(np.unique(run.grid_labels))


def build_grid(ctx: BuildContext | None) -> Any:
    def grid(run: VisualContext) -> list[Path]:
        """samples/epoch_NNN.png from the fixed noise batch, and grid.png, the latest one."""
        if (skipped := _not_images(run, "the sample grid")) is not None:
            return skipped
        latest = run.out / "grid.png"
        if not run.epoch:
            return [save_grid(run.samples(), latest, rows=_rows_of(run))]
        path = save_grid(run.samples(), run.out / "samples" / f"epoch_{run.epoch:03d}.png",
                         rows=_rows_of(run))
        with atomic_path(latest) as tmp:
            shutil.copyfile(path, tmp)
        return [path, latest]

    return grid


def build_compare(ctx: BuildContext | None) -> Any:
    def compare(run: VisualContext) -> list[Path]:
        """compare.png: real training images beside the grid samples, in the same layout
        (for conditional models, the real images of each row are of that row's class)."""
        if (skipped := _not_images(run, "real-versus-generated")) is not None:
            return skipped
        fake = run.samples()
        real = run.real(len(fake), labels=run.grid_labels)
        if real is None or len(real) < len(fake):
            return run.skip("real-versus-generated needs the training images")
        rows, scale = _rows_of(run), grid_scale(fake)
        panels = [captioned(tile(real, rows=rows, scale=scale), "real", CAPTION),
                  captioned(tile(fake, rows=rows, scale=scale), "generated", CAPTION)]
        return [save_png(hstack(panels, GAP), run.out / "compare.png")]

    return compare


def build_interpolation(ctx: BuildContext | None) -> Any:
    def interpolation(run: VisualContext) -> list[Path]:
        """interpolation.png (one path per row, start to end) and interpolation.gif (all
        paths moving together, there and back): spherical interpolation between random
        noise vectors; for conditional models one row per class."""
        from ganzoo.plugin import interpolation_paths

        if (skipped := _not_images(run, "latent interpolation")) is not None:
            return skipped
        if run.generate is None or not run.latent_dim:
            return run.skip("latent interpolation needs the generator")
        steps = max(2, int(run.config.get("interp_steps", INTERPOLATION_PARAMS["interp_steps"])))
        rows = run.num_classes or max(1, int(run.config.get("interp_rows",
                                                            INTERPOLATION_PARAMS["interp_rows"])))
        paths = interpolation_paths(run.noise(rows, _INTERP_SALT[0]),
                                    run.noise(rows, _INTERP_SALT[1]), steps)
        labels = None if not run.num_classes else np.repeat(
            np.arange(rows, dtype=np.int32), steps)
        images = run.generate(paths.reshape(rows * steps, -1), labels)
        scale = grid_scale(images)
        png = save_png(tile(images, rows=rows, scale=scale), run.out / "interpolation.png")
        by_step = images.reshape(rows, steps, *images.shape[1:])
        order = list(range(steps)) + list(range(steps - 2, 0, -1))
        frames = [tile(by_step[:, t], scale=scale) for t in order]
        gif = save_gif(frames, run.out / "interpolation.gif", duration_ms=120)
        return [png, gif]

    return interpolation


_EPOCH_FILE = re.compile(r"epoch_(\d+)\.png$")


def build_progress(ctx: BuildContext | None) -> Any:
    def progress(run: VisualContext) -> list[Path]:
        """progress.gif: the per-epoch grids (samples/epoch_NNN.png) as one animation, at
        most 320 pixels wide and 13 frames (evenly spaced epochs), so it stays small.

        List it after ``grid`` so that the epoch just finished is included.
        """
        from PIL import Image

        if run.run_dir is None:
            return run.skip("the training-progress GIF needs a run folder (samples/epoch_*.png)")
        found = sorted((int(m.group(1)), p) for p in (run.run_dir / "samples").glob("epoch_*.png")
                       if (m := _EPOCH_FILE.search(p.name)))
        if not found:
            return run.skip("the training-progress GIF needs per-epoch grids: train with the "
                            "'grid' visualizer")
        if len(found) > PROGRESS_FRAMES:  # evenly spaced epochs, the first and the last kept
            keep = np.unique(np.linspace(0, len(found) - 1, PROGRESS_FRAMES).round().astype(int))
            found = [found[i] for i in keep]
        frames = []
        size: tuple[int, int] | None = None
        for epoch, path in found:
            with Image.open(path) as img:
                img = img.convert("RGB" if img.mode not in ("L", "LA") else "L")
                if size is None:  # grids were enlarged by repeating pixels: undo that
                    factor = -(-img.width // PROGRESS_WIDTH)
                    size = (img.width // factor, img.height // factor)
                if img.size != size:
                    img = img.resize(size, Image.Resampling.BOX)
                array = np.asarray(img, dtype=np.uint8)
            array = array[..., None] if array.ndim == 2 else array
            frames.append(captioned(array, f"epoch {epoch}", CAPTION))
        return [save_gif(frames, run.out / "progress.gif", duration_ms=300, hold_last_ms=1500)]

    return progress


def _classifier_features(shape: tuple[int, ...]) -> Any:
    """The evaluation classifier's penultimate layer as a feature function, for the data it
    was trained for (28x28 grey); None elsewhere, or when its files are missing."""
    from ganzoo.plugin import GanzooError, features

    if not features.uses_classifier(shape):
        return None
    try:
        extractor = features.classifier_extractor()
    except GanzooError:
        return None

    def embed(images: np.ndarray) -> np.ndarray:
        pixels = np.clip(np.asarray(images, dtype=np.float32) * 255.0 + 0.5, 0, 255)
        return extractor(pixels.astype(np.uint8))[0]

    embed.feature_name = f"{extractor.name} classifier"  # type: ignore[attr-defined]
    return embed


def _same(x: np.ndarray) -> np.ndarray:
    return x


def build_neighbours(ctx: BuildContext | None) -> Any:
    cache: dict[tuple[int, ...], Any] = {}

    def neighbours(run: VisualContext) -> list[Path]:
        """neighbours.png: each generated sample (left) and its nearest training images,
        closest first; neighbours.json: their indices and distances.

        Distances are L2 in ``run.features`` space; by default the evaluation classifier's
        features for 28x28 grey images (where it was trained), pixels elsewhere.
        """
        from ganzoo.plugin import nearest

        if (skipped := _not_images(run, "nearest neighbours")) is not None:
            return skipped
        if run.generate is None or not run.latent_dim:
            return run.skip("nearest neighbours needs the generator")
        if run.training_data is not None:
            train, _ = run.training_data()
        elif run.real_samples is not None:
            train = run.real_samples
        else:
            return run.skip("nearest neighbours needs the training images")
        n = run.num_classes or max(1, int(run.config.get("nn_samples",
                                                         NEIGHBOUR_PARAMS["nn_samples"])))
        k = max(1, int(run.config.get("nn_k", NEIGHBOUR_PARAMS["nn_k"])))
        labels = run.labels_for(n)
        fakes = run.generate(run.noise(n, _NEIGHBOUR_SALT), labels)
        feature_fn = run.features
        if feature_fn is None:
            key = ("classifier", tuple(train.shape))
            if key not in cache:
                cache[key] = _classifier_features(tuple(train.shape[1:]))
            feature_fn = cache[key]
        if feature_fn is not None and run.features is None:
            # The training set does not change during a run: embed it once.
            key = ("train", tuple(train.shape))
            if key not in cache:
                cache[key] = feature_fn(as_unit(train))
            index, dist = nearest(feature_fn(fakes), cache[key], k, features=_same)
        else:
            index, dist = nearest(fakes, train, k, features=feature_fn, to_unit=as_unit)
        space = getattr(feature_fn, "feature_name", "pixel") if feature_fn else "pixel"
        scale = grid_scale(fakes)
        lines = [hstack([tile(fakes[i:i + 1], rows=1, scale=scale),
                         tile(as_unit(train[index[i]]), rows=1, scale=scale)], GAP)
                 for i in range(n)]
        picture = captioned(vstack(lines), f"generated | {index.shape[1]} nearest training "
                                           f"images, L2 in {space} space", CAPTION)
        png = save_png(picture, run.out / "neighbours.png")
        report = {"feature_space": space, "k": int(index.shape[1]), "training_images": len(train),
                  "labels": None if labels is None else labels.tolist(),
                  "indices": index.tolist(), "distances": np.round(dist, 5).tolist()}
        path = run.out / "neighbours.json"
        write_json(path, report)
        return [png, path]

    return neighbours


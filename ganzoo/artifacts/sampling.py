"""Rebuild a trained model from a run folder or an export, and draw samples from it.

A SOURCE is either a run folder (its export when training finished, else its
latest checkpoint) or an exported ``.weights.h5`` file. Networks are rebuilt
in float32 from the stored config by the same plugin factories that trained
them, then the stored weights are loaded: no code is read from any file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ganzoo.artifacts.export import ExportMeta, read_meta
from ganzoo.contract.imagedata import is_point_shape
from ganzoo.engine.latent import DEFAULT_BATCH
from ganzoo.errors import ConfigError, GanzooError, WeightsError
from ganzoo.zoo.components import Catalog

#: one block of generator input: (z with its codes, class labels or None)
Inputs = tuple[np.ndarray, "np.ndarray | None"]

#: the largest PNG grid ``ganzoo sample`` draws, in pixels (4096 x 4096): 4,660 28x28
#: images; more is an array's job (.npy), not a picture's
MAX_GRID_PIXELS = 4096 * 4096


@dataclass
class Loaded:
    generator: Any
    discriminator: Any
    meta: ExportMeta
    origin: Path

    @property
    def conditional(self) -> bool:
        return bool(self.meta.config.get("conditional")) and self.meta.num_classes > 0

    @property
    def categories(self) -> int:
        """Categories of the model's categorical latent code (InfoGAN); 0 is none."""
        from ganzoo.engine.latent import code_widths

        return code_widths(self.meta.config)[0]

    @property
    def grid_rows(self) -> int | None:
        """Rows of a grid of mixed classes (or code categories): one per class."""
        if self.conditional:
            return self.meta.num_classes
        return self.categories or None

    @property
    def is_points(self) -> bool:
        """The model makes points (N, D), not images."""
        return is_point_shape(self.meta.image_shape)

    @property
    def dataset(self) -> str | None:
        """Name of the data set the model was trained on, when recorded."""
        name = (self.meta.data or {}).get("name")
        return str(name) if name else None


#: what each way of loading builds: the generator to sample, the discriminator too to
#: export, the whole GAN (its loss and penalties may hold weights) from a checkpoint
SAMPLE_SLOTS = ("generator",)
EXPORT_SLOTS = ("generator", "discriminator")
CHECKPOINT_SLOTS = ("generator", "discriminator", "loss", "penalties")


def _check_catalog(catalog: Catalog, meta: ExportMeta, origin: Path,
                   slots: tuple[str, ...] = EXPORT_SLOTS) -> None:
    """The components in `slots` (what this load builds) must be installed, and the stored
    config must type-check like ``--set`` values, so that nothing read from a file
    reaches a factory unchecked. The others may be gone: sampling needs no loss."""
    from ganzoo.zoo.config import SLOTS, resolve
    from ganzoo.zoo.registry import validate_entry

    for slot in slots:
        kind, value = SLOTS[slot], meta.config.get(slot)
        for name in value if isinstance(value, list) else [value]:
            if isinstance(name, str) and name in catalog.components[kind]:
                continue
            if isinstance(name, str):
                catalog.raise_if_broken(kind, name)
            why = ("" if slot in EXPORT_SLOTS else
                   "; its checkpoint holds the whole GAN, loss included (an export of a "
                   "finished run needs only the generator)")
            raise WeightsError(
                f"{origin}: needs {kind} {name!r}, which no installed plugin provides "
                f"(model {meta.model!r}){why}; install the plugin that trained it"
                f"{catalog.failed_plugins_hint()}"
            )
    try:
        validate_entry(meta.model, meta.entry, "")
        checked = resolve(meta.entry, _with_stand_ins(catalog, meta), meta.config)
    except (ConfigError, KeyError) as exc:
        raise WeightsError(f"{origin}: stored config of model {meta.model!r} is not valid "
                           f"here: {exc}") from None
    meta.config.update(checked)


def _with_stand_ins(catalog: Catalog, meta: ExportMeta) -> Catalog:
    """`catalog`, plus a stand-in for each component no plugin provides any more (only
    those a load does not build get this far), so that `resolve` can type-check the
    rest of the stored config.

    A stand-in declares the stored keys that no trainer setting or installed component
    reads, at their stored values: they reach no factory that is built.
    """
    import dataclasses

    from ganzoo.zoo.components import Component
    from ganzoo.zoo.config import SLOTS, TRAINER

    named: list[tuple[str, str]] = []  # the components `resolve` will look up
    for slot, kind in SLOTS.items():
        value = meta.config.get(slot, (meta.entry.get("components") or {}).get(slot))
        for name in value if isinstance(value, list) else [value]:
            if isinstance(name, str) and (kind, name) not in named:
                named.append((kind, name))
    missing = [(kind, name) for kind, name in named if name not in catalog.components[kind]]
    if not missing:
        return catalog
    claimed = set(TRAINER) | set(SLOTS)
    for kind, name in named:
        if name in catalog.components[kind]:
            claimed |= set(catalog.components[kind][name].params)
    unclaimed = {k: v for k, v in meta.config.items() if k not in claimed}
    components = {kind: dict(found) for kind, found in catalog.components.items()}
    for i, (kind, name) in enumerate(missing):
        components[kind][name] = Component(kind=kind, name=name, factory=_not_installed,
                                           plugin="(not installed)",
                                           params=unclaimed if i == 0 else {})
    return dataclasses.replace(catalog, components=components)


def _not_installed(*args: Any) -> Any:
    raise AssertionError("a stand-in for a missing component is never built")


def _meta_from_run(run: dict[str, Any], step: int) -> ExportMeta:
    data = run["data"]
    return ExportMeta(
        model=run["model"], entry=run["entry"], config=run["config"],
        image_shape=tuple(data["image_shape"]), num_classes=int(data["num_classes"]),
        class_names=tuple(data.get("class_names") or ()),
        data={"name": data.get("name"), "images": data.get("images")},
        ganzoo_version=run.get("ganzoo_version", ""), keras_version=run.get("keras_version", ""),
        tensorflow_version=run.get("tensorflow_version", ""), step=step,
    )


def load(source: str | Path, catalog: Catalog, prefer_checkpoint: bool = False,
         discriminator: bool | None = None) -> Loaded:
    """Networks and metadata from a run folder or an export file.

    From an export only the generator is rebuilt unless `discriminator` (None: when
    `prefer_checkpoint`, i.e. for exporting), so that sampling needs only the plugin of
    the generator; `Loaded.discriminator` is then None.
    """
    from ganzoo.artifacts import runs

    with_d = prefer_checkpoint if discriminator is None else discriminator
    source = Path(source)
    if source.is_dir():
        run = runs.read_config(source)
        export_path = source / f"{run['model']}.weights.h5"
        if export_path.is_file() and not prefer_checkpoint:
            return load_export(export_path, catalog, with_d)
        found = runs.latest_checkpoint(source)
        if found is None:
            if export_path.is_file():
                return load_export(export_path, catalog, with_d)
            raise GanzooError(f"{source}: the run has no checkpoint or export yet")
        return load_checkpoint(found[0], _meta_from_run(run, int(found[1]["step"])), catalog)
    if not source.exists():
        raise GanzooError(f"{source}: no such run folder or weights file")
    return load_export(source, catalog, with_d)


def load_export(path: Path, catalog: Catalog, discriminator: bool = True) -> Loaded:
    """The networks of an export; the generator alone unless `discriminator`."""
    from ganzoo.artifacts.export import load_into
    from ganzoo.engine.builder import build_sampler

    meta = read_meta(path)
    _check_catalog(catalog, meta, path, EXPORT_SLOTS if discriminator else SAMPLE_SLOTS)
    try:
        generator, disc = build_sampler(catalog, meta.config, meta.image_shape,
                                        meta.num_classes, with_discriminator=discriminator)
    except (ConfigError, KeyError) as exc:
        raise WeightsError(f"{path}: cannot rebuild model {meta.model!r}: {exc}") from None
    load_into(path, generator, disc)  # a missing discriminator: its arrays are not read
    return Loaded(generator, disc, meta, path)


def load_checkpoint(path: Path, meta: ExportMeta, catalog: Catalog) -> Loaded:
    from ganzoo.engine.builder import build_gan

    _check_catalog(catalog, meta, path, CHECKPOINT_SLOTS)
    # The schedule must be the run's (Keras keeps a constant rate as an optimizer variable,
    # a schedule not), but not its length: loading never steps the optimizers.
    gan = build_gan(catalog, meta.config, meta.image_shape, meta.num_classes,
                    policy="float32", total_steps=1)
    from ganzoo.artifacts.export import CHECKPOINT_DTYPES, load_weights_strictly

    load_weights_strictly(gan, path, "checkpoint weights", CHECKPOINT_DTYPES)
    return Loaded(gan.sampler, gan.discriminator, meta, path)


def noise(n: int, latent_dim: int, seed: int) -> np.ndarray:
    """Gaussian noise from numpy's PCG64: the same seed gives the same z everywhere."""
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)


def labels_for(loaded: Loaded, n: int, label: int | None) -> np.ndarray | None:
    """Class labels for a conditional model: `label` for every sample, else cycling."""
    _check_label(loaded, label)
    return _label_rows(loaded, label, 0, n)


def _check_label(loaded: Loaded, label: int | None) -> None:
    """`label` must name a class of a conditional model or a code category of InfoGAN."""
    if label is None:
        return
    if loaded.conditional:
        classes = loaded.meta.num_classes
        if not 0 <= label < classes:
            raise GanzooError(f"--label {label}: choose a class in 0..{classes - 1}")
    elif loaded.categories:
        if not 0 <= label < loaded.categories:
            raise GanzooError(f"--label {label}: choose a code category in "
                              f"0..{loaded.categories - 1}")
    else:
        raise GanzooError(f"--label: model {loaded.meta.model!r} is not conditional")


def _label_rows(loaded: Loaded, label: int | None, start: int, m: int) -> np.ndarray | None:
    """Labels of samples ``start .. start + m - 1``: `label`, else cycling over the classes."""
    if not loaded.conditional:
        return None
    if label is not None:
        return np.full(m, label, dtype=np.int32)
    return (np.arange(start, start + m) % loaded.meta.num_classes).astype(np.int32)


def _inputs(loaded: Loaded, n: int, seed: int, label: int | None,
            batch: int) -> Iterator[Inputs]:
    """Blocks of (z with codes, labels) for `n` samples, drawn as they are needed."""
    from ganzoo.engine import latent

    categories = None
    if loaded.categories and not loaded.conditional and label is not None:
        categories = np.full(n, label, dtype=np.int64)
    start = 0
    for z in latent.input_chunks(loaded.meta.config, n, seed, categories, batch=batch):
        yield z, _label_rows(loaded, label, start, len(z))
        start += len(z)


def generate(loaded: Loaded, z: np.ndarray, labels: np.ndarray | None = None,
             batch: int = DEFAULT_BATCH) -> np.ndarray:
    """Images in [0, 1], float32, (n, H, W, C); or points as the model makes them, (n, D).

    `labels` reach the generator only when the model is conditional.
    """
    from ganzoo.engine.generate import generate as generate_samples

    return generate_samples(loaded.generator, z, labels if loaded.conditional else None,
                            points=loaded.is_points, batch=batch)


def stream(loaded: Loaded, n: int, seed: int = 0, label: int | None = None,
           batch: int = DEFAULT_BATCH) -> Iterator[np.ndarray]:
    """`sample`'s samples in blocks of at most `batch`, each made when asked for: what
    writes a .npy file and feeds ``ganzoo eval`` without holding all `n` samples.

    Arguments are checked at once, before any block is made.
    """
    from ganzoo.engine.generate import stream as stream_samples

    if n < 1:
        raise GanzooError(f"--n {n}: ask for at least one sample")
    _check_label(loaded, label)
    return stream_samples(loaded.generator, _inputs(loaded, n, seed, label, batch),
                          points=loaded.is_points)


def sample(loaded: Loaded, n: int, seed: int = 0, label: int | None = None) -> np.ndarray:
    """`n` images in [0, 1] (points as made); `label` picks the class, or the categorical
    code of InfoGAN. The same samples whatever the batch they are made in."""
    from ganzoo.engine.generate import fill

    return fill(stream(loaded, n, seed=seed, label=label), n)


def max_grid_samples(image_shape: tuple[int, ...]) -> int:
    """The most images of `image_shape` a PNG grid holds (`MAX_GRID_PIXELS`)."""
    from ganzoo.artifacts.images import grid_scale

    h, w = int(image_shape[0]), int(image_shape[1])
    scale = grid_scale(np.zeros((1, h, w, 1), np.uint8))
    return max(1, MAX_GRID_PIXELS // ((h + 2) * (w + 2) * scale * scale))


def check_grid_size(n: int, image_shape: tuple[int, ...], out: str | Path) -> None:
    """Refuse a PNG grid too large to draw or to look at, before any sample is made."""
    if is_point_shape(image_shape) or Path(out).suffix != ".png":
        return
    most = max_grid_samples(image_shape)
    if n > most:
        size = "x".join(str(s) for s in image_shape[:2])
        raise GanzooError(
            f"--n {n}: a PNG grid holds at most {most} {size} images "
            f"({MAX_GRID_PIXELS // 1_000_000} megapixels); lower --n, or write all {n} "
            f"as an array with --out FILE.npy")


def write(loaded: Loaded, out: str | Path, n: int, seed: int = 0,
          label: int | None = None) -> Path:
    """``ganzoo sample``: `n` samples to a .npy array or a .png grid (scatter for points).

    A .npy file is written block by block (`write_npy`), so memory does not grow with
    `n`; a grid is refused above `max_grid_samples` before anything is generated.
    """
    out = Path(out)
    if out.suffix not in (".png", ".npy"):
        raise GanzooError(f"--out {out}: use a .png (grid) or .npy (array) file name")
    check_grid_size(n, loaded.meta.image_shape, out)
    if out.suffix == ".npy":
        return write_npy(out, stream(loaded, n, seed=seed, label=label),
                         (n, *loaded.meta.image_shape))
    rows = loaded.grid_rows if label is None else None
    return save(sample(loaded, n, seed=seed, label=label), out, rows=rows,
                dataset=loaded.dataset)


def write_npy(out: str | Path, chunks: Iterable[np.ndarray], shape: tuple[int, ...]) -> Path:
    """A float32 .npy file of `shape` from consecutive blocks of rows, written atomically.

    The header goes first, then each block as it comes: the file is the bytes of
    ``np.save`` of the whole array, and memory holds one block. (A memory map of the file,
    ``open_memmap``, would count every page written in the process's resident memory.)
    A failure part-way leaves no file and keeps an older one.
    """
    from ganzoo.artifacts.files import atomic_path

    out = Path(out)
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)),
              "fortran_order": False, "shape": tuple(int(s) for s in shape)}
    done = 0
    with atomic_path(out) as tmp, tmp.open("wb") as f:
        np.lib.format.write_array_header_1_0(f, header)
        for chunk in chunks:
            block = np.ascontiguousarray(chunk, dtype=np.float32)
            if block.shape[1:] != tuple(shape[1:]) or done + len(block) > shape[0]:
                raise ValueError(f"{out}: a block of {block.shape} after {done} rows does "
                                 f"not fit an array of shape {tuple(shape)}")
            f.write(memoryview(block).cast("B"))
            done += len(block)
        if done != shape[0]:
            raise ValueError(f"{out}: {done} samples made, {shape[0]} expected")
    return out


def save(images: np.ndarray, out: str | Path, rows: int | None = None,
         dataset: str | None = None) -> Path:
    """A PNG grid for .png (a scatter plot for points), the float32 array for .npy.

    For points from a toy set (`dataset`, see `ganzoo.data.toy`), the plot marks its modes
    and its title gives the samples' mode coverage and high-quality share.
    """
    from ganzoo.artifacts.images import save_grid

    out = Path(out)
    if out.suffix == ".png" and images.ndim == 2:
        return _save_points_png(images, out, dataset)
    if out.suffix == ".png":
        check_grid_size(len(images), images.shape[1:], out)
        return save_grid(images, out, rows=rows)
    if out.suffix == ".npy":
        return write_npy(out, [images], images.shape)
    raise GanzooError(f"--out {out}: use a .png (grid) or .npy (array) file name")


def _save_points_png(points: np.ndarray, out: Path, dataset: str | None) -> Path:
    from ganzoo.artifacts.scatter import save_scatter
    from ganzoo.data import toy

    if dataset not in toy.toy_names():
        return save_scatter(points, out, title=f"{len(points)} samples")
    spec = toy.toy_set(dataset)
    m = toy.mode_metrics(points, dataset)
    title = (f"{dataset}: {len(points)} samples, modes {m['modes_covered']}/{m['modes']}, "
             f"high quality {100 * m['high_quality_share']:.1f}%")
    return save_scatter(points, out, modes=spec.means, radius=toy.HIGH_QUALITY_STD * spec.std,
                        title=title)

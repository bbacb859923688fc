"""Rebuild a trained model from a run folder or an export, and draw samples from it.

A SOURCE is either a run folder (its export when training finished, else its
latest checkpoint) or an exported ``.weights.h5`` file. Networks are rebuilt
in float32 from the stored config by the same plugin factories that trained
them, then the stored weights are loaded: no code is read from any file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ganzoo.artifacts.export import ExportMeta, read_meta
from ganzoo.contract.imagedata import is_point_shape
from ganzoo.errors import ConfigError, GanzooError, WeightsError
from ganzoo.zoo.components import Catalog


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
        return int(self.meta.config.get("code_categorical", 0) or 0)

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
    gan = build_gan(catalog, meta.config, meta.image_shape, meta.num_classes,
                    policy="float32")
    from ganzoo.artifacts.export import CHECKPOINT_DTYPES, load_weights_strictly

    load_weights_strictly(gan, path, "checkpoint weights", CHECKPOINT_DTYPES)
    return Loaded(gan.sampler, gan.discriminator, meta, path)


def noise(n: int, latent_dim: int, seed: int) -> np.ndarray:
    """Gaussian noise from numpy's PCG64: the same seed gives the same z everywhere."""
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)


def labels_for(loaded: Loaded, n: int, label: int | None) -> np.ndarray | None:
    """Class labels for a conditional model: `label` for every sample, else cycling."""
    if not loaded.conditional:
        if label is not None and not loaded.categories:
            raise GanzooError(f"--label: model {loaded.meta.model!r} is not conditional")
        return None
    classes = loaded.meta.num_classes
    if label is not None:
        if not 0 <= label < classes:
            raise GanzooError(f"--label {label}: choose a class in 0..{classes - 1}")
        return np.full(n, label, dtype=np.int32)
    return (np.arange(n) % classes).astype(np.int32)


def generate(loaded: Loaded, z: np.ndarray, labels: np.ndarray | None = None,
             batch: int = 1000) -> np.ndarray:
    """Images in [0, 1], float32, (n, H, W, C); or points as the model makes them, (n, D)."""
    from ganzoo.artifacts.images import to_unit

    outs = []
    for start in range(0, len(z), batch):
        chunk = z[start:start + batch]
        inputs = chunk if labels is None else [chunk, labels[start:start + batch]]
        outs.append(np.asarray(loaded.generator(inputs, training=False)))
    out = np.concatenate(outs) if outs else np.zeros((0, *loaded.meta.image_shape))
    return out.astype(np.float32) if loaded.is_points else to_unit(out)


def sample(loaded: Loaded, n: int, seed: int = 0, label: int | None = None) -> np.ndarray:
    if n < 1:
        raise GanzooError(f"--n {n}: ask for at least one sample")
    """`n` images in [0, 1]; `label` picks the class, or the categorical code of InfoGAN."""
    from ganzoo.engine import latent

    labels = labels_for(loaded, n, label)
    categories = None
    if loaded.categories and not loaded.conditional and label is not None:
        if not 0 <= label < loaded.categories:
            raise GanzooError(f"--label {label}: choose a code category in "
                              f"0..{loaded.categories - 1}")
        categories = np.full(n, label, dtype=np.int64)
    z = latent.inputs(loaded.meta.config, n, seed, categories=categories)
    return generate(loaded, z, labels)


def save(images: np.ndarray, out: str | Path, rows: int | None = None,
         dataset: str | None = None) -> Path:
    """A PNG grid for .png (a scatter plot for points), the float32 array for .npy.

    For points from a toy set (`dataset`, see `ganzoo.data.toy`), the plot marks its modes
    and its title gives the samples' mode coverage and high-quality share.
    """
    from ganzoo.artifacts.files import atomic_path
    from ganzoo.artifacts.images import save_grid

    out = Path(out)
    if out.suffix == ".png" and images.ndim == 2:
        return _save_points_png(images, out, dataset)
    if out.suffix == ".png":
        return save_grid(images, out, rows=rows)
    if out.suffix == ".npy":
        with atomic_path(out) as tmp, tmp.open("wb") as f:
            np.save(f, images.astype(np.float32), allow_pickle=False)
        return out
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

"""DiffAugment: differentiable augmentation of D's inputs (Zhao, Liu, Lin, Zhu & Han 2020,
"Differentiable Augmentation for Data-Efficient GAN Training").

D sees only augmented images, real and fake alike, in its own step and in G's step; since
every transform is differentiable with respect to the images, G's gradient passes through
the augmentation. The augmentations, as the paper describes them (section 3, fig. 4):

- ``translation``: shift each image by whole pixels, up to 1/8 of its size up/down and
  left/right, filling with zeros;
- ``cutout``: zero a square of half the image size at a random position (it may reach past
  the border, so less than a quarter of the image is then cut);
- ``color``: add a brightness offset in [-0.5, 0.5), scale the saturation (the distance
  from each pixel's mean over channels) by [0, 2) and the contrast (the distance from the
  image's mean) by [0.5, 1.5). Grey images (one channel) have no saturation to scale.

Each is a deterministic transform with its draws as arguments (`translate`, `cutout`,
`adjust_color`), so tests can give the offsets, plus a `random_*` function that draws one
set per example. Images are NHWC in [-1, 1]; nothing is clipped, as in the paper.
Each is registered as a component of kind "augmentation" (``--set augment=translation,
cutout,color``; the paper's full policy is ``color,translation,cutout``), a callable
``augment(images, seed) -> images`` whose seed is a ``keras.random.SeedGenerator`` or a
stateless seed tensor (shape (2,) or scalar), so it works inside a traced train step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ganzoo.plugin import BuildContext, ConfigError

#: Shifts reach this fraction of the image size; cutout squares have this side fraction.
TRANSLATION_RATIO = 0.125
CUTOUT_RATIO = 0.5


def _check_images(images: Any) -> Any:
    from keras import ops

    images = ops.convert_to_tensor(images)
    if len(images.shape) != 4:
        raise ConfigError(
            f"DiffAugment augments images (batch, height, width, channels); got data of shape "
            f"{tuple(images.shape)}. Augmentation is for images: leave augment empty for "
            "point data")
    return images


def _seed_tensor(seed: Any) -> Any:
    """A stateless seed, int64 of shape (2,), from a SeedGenerator or a seed tensor."""
    import keras
    import tensorflow as tf

    if isinstance(seed, keras.random.SeedGenerator):
        seed = seed.next()
    seed = tf.cast(tf.convert_to_tensor(seed), tf.int64)
    if seed.shape.rank == 0:
        seed = tf.stack([seed, tf.constant(0, tf.int64)])
    return tf.ensure_shape(seed, [2])


def _split(seed: Any, count: int) -> list[Any]:
    import tensorflow as tf

    seeds = tf.random.experimental.stateless_split(_seed_tensor(seed), count)
    return [seeds[i] for i in range(count)]


def _uniform(shape: Any, seed: Any, low: float, high: float, dtype: Any = "float32") -> Any:
    import tensorflow as tf

    return tf.random.stateless_uniform(shape, seed, low, high, dtype=dtype)


def _integers(shape: Any, seed: Any, low: int, high: int) -> Any:
    """Uniform integers in [low, high], both included."""
    import tensorflow as tf

    return tf.random.stateless_uniform(shape, seed, low, high + 1, dtype=tf.int32)


# -- translation ---------------------------------------------------------------------------

def translate(images: Any, shift_y: Any, shift_x: Any) -> Any:
    """Shift each image down by `shift_y[b]` and right by `shift_x[b]` pixels (negative:
    up/left), zeros coming in: out[b, i, j] = images[b, i - dy, j - dx] where that exists.

    Done as two products with one-hot shift matrices (a row past the border is all zeros),
    so the gradient with respect to the images is the opposite shift.
    """
    from keras import ops

    x = _check_images(images)
    height, width = x.shape[1], x.shape[2]
    rows = ops.arange(height)[None, :] - ops.cast(shift_y, "int32")[:, None]  # source rows
    cols = ops.arange(width)[None, :] - ops.cast(shift_x, "int32")[:, None]
    row_shift = ops.one_hot(rows, height, dtype=x.dtype)  # [b, i, k] = 1 iff k == i - dy
    col_shift = ops.one_hot(cols, width, dtype=x.dtype)
    x = ops.einsum("bik,bkjc->bijc", row_shift, x)
    return ops.einsum("bjl,bilc->bijc", col_shift, x)


def translation_limit(size: int, ratio: float = TRANSLATION_RATIO) -> int:
    """The largest shift for a side of `size` pixels: size / 8, rounded half up."""
    return int(size * ratio + 0.5)


def random_translation(images: Any, seed: Any, ratio: float = TRANSLATION_RATIO) -> Any:
    """`translate` by shifts drawn per example, uniform in [-limit, limit] on each axis."""
    from keras import ops

    x = _check_images(images)
    batch = ops.shape(x)[0]
    seed_y, seed_x = _split(seed, 2)
    limit_y, limit_x = translation_limit(x.shape[1], ratio), translation_limit(x.shape[2], ratio)
    return translate(x, _integers([batch], seed_y, -limit_y, limit_y),
                     _integers([batch], seed_x, -limit_x, limit_x))


# -- cutout --------------------------------------------------------------------------------

def cutout_mask(height: int, width: int, top: Any, left: Any, size: tuple[int, int],
                dtype: Any = "float32") -> Any:
    """(batch, height, width, 1): 0 inside each example's square (rows top..top+size-1,
    columns left..left+size-1, clipped to the image), 1 elsewhere."""
    from keras import ops

    top = ops.cast(top, "int32")[:, None]
    left = ops.cast(left, "int32")[:, None]
    rows = ops.arange(height)[None, :]
    cols = ops.arange(width)[None, :]
    in_rows = ops.logical_and(rows >= top, rows < top + size[0])  # (batch, height)
    in_cols = ops.logical_and(cols >= left, cols < left + size[1])
    inside = ops.logical_and(in_rows[:, :, None], in_cols[:, None, :])
    return ops.cast(ops.logical_not(inside), dtype)[..., None]


def cutout_size(height: int, width: int, ratio: float = CUTOUT_RATIO) -> tuple[int, int]:
    """The square's sides: half the image's, rounded half up."""
    return int(height * ratio + 0.5), int(width * ratio + 0.5)


def cutout(images: Any, top: Any, left: Any, size: tuple[int, int] | None = None) -> Any:
    """Zero each image's square at (`top[b]`, `left[b]`) of `size` (default: half the image
    side); corners may be negative or the square may reach past the border."""
    x = _check_images(images)
    height, width = x.shape[1], x.shape[2]
    size = size or cutout_size(height, width)
    return x * cutout_mask(height, width, top, left, size, x.dtype)


def random_cutout(images: Any, seed: Any, ratio: float = CUTOUT_RATIO) -> Any:
    """`cutout` with each square's centre drawn uniformly over the image's pixels."""
    from keras import ops

    x = _check_images(images)
    batch = ops.shape(x)[0]
    height, width = x.shape[1], x.shape[2]
    size = cutout_size(height, width, ratio)
    seed_y, seed_x = _split(seed, 2)
    top = _integers([batch], seed_y, 0, height - 1) - size[0] // 2
    left = _integers([batch], seed_x, 0, width - 1) - size[1] // 2
    return cutout(x, top, left, size)


# -- color ---------------------------------------------------------------------------------

def adjust_color(images: Any, brightness: Any, saturation: Any | None, contrast: Any) -> Any:
    """Per example b, in this order: x + brightness[b]; the distance from the pixel's mean
    over channels times saturation[b] (skipped when None or for one channel: the
    distance is 0 there); the distance from the image's mean times contrast[b]."""
    from keras import ops

    x = _check_images(images)

    def per_example(values: Any) -> Any:
        return ops.reshape(ops.cast(values, x.dtype), (-1, 1, 1, 1))

    x = x + per_example(brightness)
    if saturation is not None and x.shape[-1] > 1:
        mean = ops.mean(x, axis=-1, keepdims=True)
        x = (x - mean) * per_example(saturation) + mean
    mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
    return (x - mean) * per_example(contrast) + mean


def random_color(images: Any, seed: Any) -> Any:
    """`adjust_color` with brightness in [-0.5, 0.5), saturation in [0, 2) and contrast in
    [0.5, 1.5), drawn per example."""
    from keras import ops

    x = _check_images(images)
    batch = ops.shape(x)[0]
    seed_b, seed_s, seed_c = _split(seed, 3)
    saturation = _uniform([batch], seed_s, 0.0, 2.0) if x.shape[-1] > 1 else None
    return adjust_color(x, _uniform([batch], seed_b, -0.5, 0.5), saturation,
                        _uniform([batch], seed_c, 0.5, 1.5))


#: Name -> random augmentation ``(images, seed) -> images``.
AUGMENTATIONS: dict[str, Callable[[Any, Any], Any]] = {
    "color": random_color,
    "translation": random_translation,
    "cutout": random_cutout,
}


class Augmentation:
    """One augmentation as the engine applies it: ``augment(images, seed) -> images``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, images: Any, seed: Any) -> Any:
        return AUGMENTATIONS[self.name](_check_images(images), seed)

    def __repr__(self) -> str:
        return f"Augmentation({self.name!r})"


def _factory(name: str) -> Callable[[BuildContext], Augmentation]:
    def build(ctx: BuildContext) -> Augmentation:
        if ctx.is_points:
            raise ConfigError(
                f"--set augment={name}: DiffAugment is for images, but this data set holds "
                f"points of shape {tuple(ctx.image_shape)}; leave augment empty")
        return Augmentation(name)

    build.__name__ = f"build_{name}"
    build.__doc__ = f"The {name!r} augmentation of DiffAugment (Zhao et al. 2020)."
    return build


#: registered name -> (factory, description); listed with ``--set augment=a,b`` in order
FACTORIES: dict[str, tuple[Callable[[BuildContext], Augmentation], str]] = {
    "translation": (_factory("translation"), "DiffAugment: shift by up to 1/8 of the size, "
                    "zero fill (Zhao et al. 2020)"),
    "cutout": (_factory("cutout"), "DiffAugment: zero a random square of half the size "
               "(Zhao et al. 2020)"),
    "color": (_factory("color"), "DiffAugment: random brightness, saturation and contrast "
              "(Zhao et al. 2020)"),
}

"""`ImageData`: the one type every data set loader returns.

Images are uint8 (N, H, W, C); point data (the toy 2-D sets) are float32 (N, D).
Plugins' data set loaders return it, so it belongs to the plugin contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: the data set runs use when neither the command nor the registry entry names one: the
#: 10,000 Fashion-MNIST training images shipped inside the package
DEFAULT_DATASET = "fashion-mnist-10k"


@dataclass(frozen=True, eq=False, repr=False)
class ImageData:
    """A labelled or unlabelled set of samples, already in the layout the models expect.

    The samples are either images, uint8 (N, H, W, C) with C in {1, 3}, or points,
    float32 (N, D) in the models' own coordinates (no scaling; see `is_points`).
    Compared by identity (the arrays make value equality ambiguous).
    """

    images: np.ndarray  # uint8 (N, H, W, C), C in {1, 3}; or float32 (N, D) points
    labels: np.ndarray | None  # int64, shape (N,), or None when unlabelled
    num_classes: int  # 0 when unlabelled
    name: str  # e.g. "fashion-mnist-10k", or the path given
    source: str  # where the data actually came from (file paths)
    class_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Loaders validate user data and raise DataError; reaching here is a bug.
        imgs = self.images
        if not isinstance(imgs, np.ndarray):
            raise ValueError("ImageData.images must be a numpy array")
        if imgs.ndim == 2:
            if imgs.dtype != np.float32 or imgs.shape[1] < 1:
                raise ValueError("ImageData points must be a float32 array of shape (N, D)")
            if not np.isfinite(imgs).all():
                raise ValueError("ImageData points must be finite")
        elif imgs.dtype != np.uint8 or imgs.ndim != 4:
            raise ValueError(
                "ImageData.images must be uint8 (N, H, W, C) images or float32 (N, D) points"
            )
        elif imgs.shape[3] not in (1, 3):
            raise ValueError(f"ImageData.images must have 1 or 3 channels, not {imgs.shape[3]}")
        if self.labels is None:
            if self.num_classes != 0:
                raise ValueError("unlabelled ImageData must have num_classes == 0")
            return
        if self.labels.dtype != np.int64 or self.labels.shape != (imgs.shape[0],):
            raise ValueError("ImageData.labels must be int64 of shape (N,)")
        if self.num_classes < 1:
            raise ValueError("labelled ImageData must have num_classes >= 1")
        if self.class_names and len(self.class_names) != self.num_classes:
            raise ValueError("ImageData.class_names must have num_classes entries")

    @property
    def is_points(self) -> bool:
        """True for point data (N, D): no pixel scaling, scatter plots instead of grids."""
        return is_point_shape(self.image_shape)

    @property
    def image_shape(self) -> tuple[int, ...]:
        """Shape of one sample, what a generator must output: (H, W, C), or (D,) for points."""
        return tuple(int(s) for s in self.images.shape[1:])

    def describe(self) -> str:
        """'10000 images 28x28x1' or '100000 points in 2-D', for messages."""
        if self.is_points:
            return f"{len(self)} points in {self.image_shape[0]}-D"
        return f"{len(self)} images {'x'.join(str(s) for s in self.image_shape)}"

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def __repr__(self) -> str:
        return (
            f"ImageData(name={self.name!r}, n={len(self)}, image_shape={self.image_shape}, "
            f"num_classes={self.num_classes}, source={self.source!r})"
        )


def is_point_shape(shape: Sequence[int]) -> bool:
    """A sample shape of one axis, (D,), is point data; (H, W, C) is an image."""
    return len(tuple(shape)) == 1


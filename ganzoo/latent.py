"""Paths through the generator's noise space, for interpolation views.

Gaussian noise in many dimensions concentrates on a shell of radius about
sqrt(d); the straight line between two samples passes well inside it, where the
generator saw almost no training noise. Spherical interpolation (slerp) keeps the
path on the shell (White 2016, "Sampling Generative Networks", arXiv:1609.04468).
"""

from __future__ import annotations

import numpy as np


def slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """Spherical interpolation between vectors `a` and `b` (shape (d,)) at fractions `t`.

    Returns (len(t), d), or (d,) for a scalar t. Nearly parallel vectors fall back to
    linear interpolation, where slerp's formula divides by ~0.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    ts = np.atleast_1d(np.asarray(t, dtype=np.float64))[:, None]
    cos = float(np.dot(a, b) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))
    omega = float(np.arccos(np.clip(cos, -1.0, 1.0)))
    if np.sin(omega) < 1e-6:
        out = (1.0 - ts) * a + ts * b
    else:
        out = (np.sin((1.0 - ts) * omega) * a + np.sin(ts * omega) * b) / np.sin(omega)
    out = out.astype(np.float32)
    return out if np.ndim(t) else out[0]


def interpolation_paths(starts: np.ndarray, ends: np.ndarray, steps: int) -> np.ndarray:
    """(rows, steps, d): `steps` evenly spaced slerp points from each start to its end."""
    ts = np.linspace(0.0, 1.0, steps)
    return np.stack([slerp(a, b, ts) for a, b in zip(starts, ends, strict=True)])

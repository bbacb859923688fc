"""Normalizations that networks share: chosen per network with ``g_norm`` / ``d_norm``.

- ``batch``: BatchNormalization (Ioffe & Szegedy 2015), DCGAN's choice (ganzoo's fused
  kernel, ganzoo.layers).
- ``layer``: LayerNormalization (Ba et al. 2016) over the last axis: each example's
  features, and for a convolution each position's channels (Keras' ``axis=-1``), with a
  scale and offset per channel. Gulrajani et al. 2017 recommend layer normalization as
  the drop-in replacement for BatchNorm in a critic; their code normalizes an example's
  whole feature map (channels and positions) instead. Under mixed bfloat16 it computes in
  float32, a chain of elementwise ops that bfloat16 hardware does not speed up.
- ``spectral``: spectral normalization of every weight layer (Miyato et al. 2018): ganzoo's
  ``SpectralNormalization`` (ganzoo.engine.layers), one power iteration per training call
  and the gradient through sigma, as the paper has it.
- ``none``.

A gradient penalty needs a critic whose output for one example does not depend on the
rest of the batch, so ``batch`` is wrong there; ``layer``, ``spectral`` and ``none`` fit.
"""

from __future__ import annotations

from typing import Any

from ganzoo.plugin import ConfigError

GENERATOR_NORMS = ("batch", "layer", "none")
DISCRIMINATOR_NORMS = ("batch", "layer", "spectral", "none")


def check(kind: str, key: str, allowed: tuple[str, ...]) -> str:
    """`kind` if it is one of `allowed`, else a one-line error naming the choices."""
    if kind not in allowed:
        raise ConfigError(f"--set {key}={kind}: choose one of {', '.join(allowed)}")
    return kind


def after(kind: str, name: str) -> Any:
    """The layer that follows a weight layer: BatchNorm, LayerNorm or identity."""
    import keras

    from ganzoo.plugin import layers as fast

    if kind == "batch":
        return fast.BatchNormalization(momentum=0.9, epsilon=1e-5, name=name)
    if kind == "layer":
        return keras.layers.LayerNormalization(axis=-1, epsilon=1e-5, name=name)
    return keras.layers.Identity(name=name)


def weight(layer: Any, kind: str) -> Any:
    """Wrap a Dense/Conv layer in spectral normalization when `kind` is ``spectral``.

    The wrapper takes the wrapped layer's dtype policy: under mixed_bfloat16 it would
    otherwise cast a float32 logit layer's output to bfloat16 (found for SNGAN's logits)."""
    from ganzoo.plugin import layers as fast

    if kind == "spectral":
        return fast.SpectralNormalization(layer, power_iterations=1, name=f"{layer.name}_sn",
                                          dtype=layer.dtype_policy)
    return layer

"""The plugin contract: every hook a ganzoo plugin may implement.

Each hook receives a `register` callback and calls it once per component it
provides (the pattern of simonw/llm's `register_models`). Registration only
*describes* a component: the factory is called when a model is built, so
listing models never imports TensorFlow. A plugin module must therefore import
TensorFlow/Keras inside its factories, never at module level.

Factories are called with a `BuildContext` (see `ganzoo.components`) and return:

- generator:     a `keras.Model` mapping the generator input (z followed by
                 any latent codes, width ``ctx.generator_input_dim``; plus a
                 label when ``ctx.conditional``) to images in [-1, 1],
                 shape (batch, H, W, C); or, for point data (``ctx.is_points``,
                 sample shape (D,)), to points (batch, D) in the data's own
                 coordinates.
- discriminator: a `keras.Model` mapping samples (and labels, for conditional
                 models) to a dict of outputs with at least "logits"
                 (batch, 1); "class_logits" and "code" are optional heads.
- loss:          an object with `discriminator_loss(real, fake)` and
                 `generator_loss(real, fake)` over discriminator output dicts;
                 optionally `variables` (state saved in checkpoints) and
                 `update(real, fake) -> logs`, called after each D update.
- penalty:       a callable `(ctx: StepContext) -> scalar` added to the D loss,
                 or an object with `discriminator_term(ctx)` and/or
                 `generator_term(ctx)` (terms for both networks) and `heads`.
- visualizer:    a callable `(run: VisualContext, out: Path) -> list[Path]`.
- dataset:       a callable `(split: str) -> ganzoo.data.ImageData` (uint8 images
                 or float32 points).

See docs/PLUGINS.md for the full reference.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

PROJECT_NAME = "ganzoo"
#: Version of the hook contract. A plugin may set ``GANZOO_API = 1`` at module
#: level; a plugin that asks for another major version is refused with a clear error.
API_VERSION = 1

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

Register = Callable[..., Any]


@hookspec
def ganzoo_register_generators(register: Register) -> None:
    """Register generator factories: ``register(name, factory, description=..., params=...)``."""


@hookspec
def ganzoo_register_discriminators(register: Register) -> None:
    """Register discriminator (or critic) factories."""


@hookspec
def ganzoo_register_losses(register: Register) -> None:
    """Register adversarial losses (the pair of D and G objectives)."""


@hookspec
def ganzoo_register_penalties(register: Register) -> None:
    """Register regularizers added to the discriminator loss (gradient penalties, R1, ...)."""


@hookspec
def ganzoo_register_visualizers(register: Register) -> None:
    """Register visualizers, run after each epoch and by ``ganzoo visualize``."""


@hookspec
def ganzoo_register_datasets(register: Register) -> None:
    """Register named data sets usable with ``--dataset NAME``."""


@hookspec
def ganzoo_register_models(register: Register) -> None:
    """Register model entries: ``register(name, entry_dict)``, the same schema as registry.json."""

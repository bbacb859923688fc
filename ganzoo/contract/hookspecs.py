"""The plugin contract: every hook a ganzoo plugin may implement.

Each hook receives a `register` callback and calls it once per thing it
provides (the pattern of simonw/llm's `register_models`). Registration only
*describes* a component: the factory is called when a model is built, so
listing models never imports TensorFlow. A plugin module must therefore import
TensorFlow/Keras inside its factories, never at module level.

Every hook is called once per command that needs the catalog (``list``,
``info``, ``run``, ``sample``, ...), for each loaded plugin on its own, built-ins
first, then third-party plugins in alphabetical order. A hook that raises makes
its plugin "broken": everything the plugin registered is dropped and
``ganzoo plugins`` shows why; the other plugins are not affected.

Component registrations: ``register(name, factory, *, description="", params={},
info={}, replace=False)``; visualizers also take ``outputs=(...)``, the files they write.
Factories are called with a `BuildContext` (see `ganzoo.contract.contexts`), except data
set loaders, and return:

- generator:     a `keras.Model` mapping the generator input (z followed by
                 any latent codes, width ``ctx.generator_input_dim``; plus a
                 label when ``ctx.conditional``) to images in [-1, 1],
                 shape (batch, H, W, C); or, for point data (``ctx.is_points``,
                 sample shape (D,)), to points (batch, D) in the data's own
                 coordinates.
- discriminator: a `keras.Model` mapping images or points (and labels, for
                 conditional models) to a dict with at least "logits" (batch, 1).
- loss:          an object with `discriminator_loss(real, fake)` and
                 `generator_loss(real, fake)` over discriminator output dicts;
                 optionally `variables` (state saved in checkpoints) and
                 `update(real, fake) -> logs`, called after each D update.
- penalty:       a callable `(ctx: StepContext) -> scalar` added to the D loss,
                 or an object with `discriminator_term(ctx)` and/or
                 `generator_term(ctx)` (terms for both networks) and `heads`.
- visualizer:    a callable `(run: VisualContext) -> list[Path]` (the files it wrote),
                 each matched by one of the ``outputs`` it was registered with.
- dataset:       the loader itself, `(split: str) -> ImageData` (uint8
                 images or float32 points).
- augmentation:  a callable `(images, seed) -> images`, differentiable in the images.
- metric:        the function itself, `(ctx: EvalContext) -> dict | None`:
                 named figures for ``ganzoo eval`` and ``eval_every``; None when it does
                 not apply.

docs/PLUGINS.md is the full reference; a test checks that it documents every hook here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

PROJECT_NAME = "ganzoo"
#: Version of the hook contract. A plugin declares the version it was written for with
#: ``GANZOO_API = 1`` (or a list of versions) at module level; a plugin that needs another
#: version is refused with a clear error. Raised only for incompatible changes.
API_VERSION = 1

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

Register = Callable[..., Any]


@hookspec
def ganzoo_register_generators(register: Register) -> None:
    """Register generators: ``register(name, factory, description=, params=, replace=)``.

    ``factory(ctx: BuildContext) -> keras.Model``: z (or ``[z, label]``) -> images in [-1, 1].
    """


@hookspec
def ganzoo_register_discriminators(register: Register) -> None:
    """Register discriminators (critics): ``register(name, factory, ...)``.

    ``factory(ctx: BuildContext) -> keras.Model``: images (or ``[images, label]``) ->
    ``{"logits": (batch, 1), ...}``.
    """


@hookspec
def ganzoo_register_losses(register: Register) -> None:
    """Register adversarial losses (the pair of D and G objectives): ``register(name, factory)``.

    ``factory(ctx: BuildContext)`` returns an object with ``discriminator_loss(real, fake)``
    and ``generator_loss(real, fake)``, each taking D's output dicts, returning a scalar.
    """


@hookspec
def ganzoo_register_penalties(register: Register) -> None:
    """Register regularizers added to the discriminator loss (gradient penalties, R1, ...).

    ``factory(ctx: BuildContext)`` returns a callable ``(StepContext) -> scalar``.
    """


@hookspec
def ganzoo_register_visualizers(register: Register) -> None:
    """Register visualizers: run after each epoch, at the end, and by ``ganzoo visualize``.

    ``register(name, factory, description=, params=, outputs=("view.png", "views/e_*.png"))``:
    ``factory(ctx)`` returns a callable ``(VisualContext) -> list[Path]`` (the files written).
    ``outputs`` declares every file it may write, as names or globs relative to the run
    folder: ``--overwrite`` removes them, ``ganzoo report`` embeds the pictures among them
    and the end-of-run summary lists them. Undeclared files are none of these.
    """


@hookspec
def ganzoo_register_datasets(register: Register) -> None:
    """Register named data sets usable with ``--dataset NAME``: ``register(name, loader,
    description=, info=)``; ``loader(split: str) -> ImageData``."""


@hookspec
def ganzoo_register_metrics(register: Register) -> None:
    """Register evaluation metrics: ``register(name, function, description=...)``; the
    function takes an `EvalContext` and returns a dict of figures (or None)."""



@hookspec
def ganzoo_register_augmentations(register: Register) -> None:
    """Register augmentations of D's inputs (``--set augment=a,b``, applied in order to
    every image D sees, real and fake, in both players' steps): ``factory(ctx)`` returns a
    callable ``(images, seed) -> images`` that is differentiable with respect to the images
    (DiffAugment, Zhao et al. 2020); `seed` is the train step's ``keras.random.SeedGenerator``.
    """


@hookspec
def ganzoo_register_models(register: Register) -> None:
    """Register model entries: ``register(name, entry, source=None, replace=False)``.

    ``entry`` is a dict in the schema of registry.json; ``source`` names the file it came
    from, for error messages.
    """

"""What each kind of component is, as `typing.Protocol`s: the shapes a plugin must fill.

These are documentation a type checker can read; ganzoo checks what factories return
at build time (`ganzoo.engine.builder`) and names the plugin when something does not fit.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ganzoo.contract.contexts import BuildContext, EvalContext, StepContext
    from ganzoo.contract.imagedata import ImageData
    from ganzoo.contract.visual import VisualContext

#: a discriminator's outputs: "logits" (batch, 1) always, other heads as a model needs them
Outputs = Mapping[str, Any]


class NetworkFactory(Protocol):
    """A generator or discriminator factory: returns a `keras.Model`.

    Generator: input (batch, ctx.generator_input_dim) (plus labels (batch,) when
    ``ctx.conditional``) -> samples in [-1, 1], (batch, *ctx.image_shape).
    Discriminator: samples (plus labels when ``ctx.discriminator_conditional``) -> a dict
    with a float32 "logits" head (batch, 1).
    """

    def __call__(self, ctx: BuildContext) -> Any: ...


@runtime_checkable
class Loss(Protocol):
    """Scalar losses of both players from D's outputs on real and fake samples."""

    def discriminator_loss(self, real: Outputs, fake: Outputs) -> Any: ...

    def generator_loss(self, real: Outputs, fake: Outputs) -> Any: ...


@runtime_checkable
class StatefulLoss(Loss, Protocol):
    """A loss with state of its own (BEGAN's k_t): `variables` are checkpointed, and
    `update` runs after each D update and returns values to log."""

    variables: list[Any]

    def update(self, real: Outputs, fake: Outputs) -> Mapping[str, Any]: ...


class Penalty(Protocol):
    """A term added to D's loss: a weighted scalar from the step's context."""

    def __call__(self, ctx: StepContext) -> Any: ...


@runtime_checkable
class Term(Protocol):
    """A term on both players' losses (ACGAN's class loss, InfoGAN's mutual information).

    Either method may be absent; `heads` names the D outputs it reads.
    """

    heads: tuple[str, ...]

    def discriminator_term(self, ctx: StepContext) -> Any: ...

    def generator_term(self, ctx: StepContext) -> Any: ...


class Visualizer(Protocol):
    """Draws a view of a run or an export; returns the files written (none when skipped)."""

    def __call__(self, run: VisualContext) -> list[Path]: ...


class Metric(Protocol):
    """Named figures of a sample set, or None when the metric does not apply to it."""

    def __call__(self, ctx: EvalContext) -> dict[str, Any] | None: ...


class DatasetLoader(Protocol):
    """Loads one split ("train" or "test") of a data set."""

    def __call__(self, split: str) -> ImageData: ...

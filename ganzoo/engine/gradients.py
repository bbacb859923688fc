"""Gradients of the discriminator with respect to its input, for gradient penalties.

A penalty runs inside the engine's own gradient tapes; the tape opened here is nested
in them, so the penalty's gradient with respect to D's weights (a second derivative)
reaches D's optimizer in both the simultaneous and the alternating update.
"""

from __future__ import annotations

from typing import Any


def input_gradients(ctx: Any, points: Any, labels: Any = None, head: str = "logits") -> Any:
    """dD/dx at `points`: the gradient of the sum of D's `head` over the batch.

    `ctx` is the `StepContext` a penalty is called with. For a discriminator that treats
    examples independently (no BatchNorm: a penalised critic must not use it), row i of
    the result is example i's own gradient. Shape and dtype (float32) of `points`.
    """
    import tensorflow as tf
    from keras import ops

    points = ops.convert_to_tensor(points, "float32")
    with tf.GradientTape() as tape:
        tape.watch(points)
        total = ops.sum(ops.cast(ctx.discriminator(points, labels)[head], "float32"))
    return tape.gradient(total, points)


def input_gradient_norms(ctx: Any, points: Any, labels: Any = None) -> Any:
    """Per-example L2 norms of dD/dx at `points`, shape (batch,)."""
    from keras import ops

    grads = input_gradients(ctx, points, labels)
    squared = ops.sum(ops.square(grads), axis=list(range(1, len(grads.shape))))
    return ops.sqrt(squared + 1e-12)

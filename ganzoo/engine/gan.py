"""The GAN as a `keras.Model` whose `train_step` runs one generator step.

`fit()` then brings the progress bar, callbacks, TensorBoard and
tf.distribute. One train step covers every variant in the zoo without special
cases:

- ``d_steps`` discriminator steps per generator step (WGAN's n_critic). The
  input pipeline delivers ``d_steps * batch_size`` real images per step and
  each D step takes its own slice, as in Arjovsky et al. 2017, Algorithm 1.
- ``update="simultaneous"``: with ``d_steps == 1`` D and G can both be updated
  from one forward pass (two gradient tapes, the source text's train step),
  which does no work twice. ``"alternating"`` updates D first, then G against
  the updated D.
- ``clip_value`` clips D's weights after each D update (WGAN).
- penalties see D, real and fake batches and labels (WGAN-GP, DRAGAN, R1);
  a penalty component may also add a term to G's loss (ACGAN's class loss,
  InfoGAN's mutual-information term) through ``generator_term``.
- conditional models feed labels to G and D (or to G only, ``d_labels``); D
  returns a dict of heads, so auxiliary classifiers (ACGAN) and code heads
  (InfoGAN) fit the same step.
- latent codes (InfoGAN) are drawn with z and appended to it; terms see them.
- a loss may keep state (BEGAN's k_t) in Keras variables that it updates after
  each D step and logs; the model tracks them, so checkpoints hold them.
- an exponential moving average of G's weights (Yazici et al. 2019) is kept
  in a second generator used for samples and export.

This module imports TensorFlow; import it only when training or sampling.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import tensorflow as tf
from keras import ops

from ganzoo.contract.contexts import StepContext
from ganzoo.engine.distribute import gradient_scale, replica_position

Outputs = dict[str, Any]


def discriminator_term(term: Any) -> Callable[[StepContext], Any] | None:
    """The part of a penalty component that joins D's loss (a bare callable is one)."""
    if hasattr(term, "discriminator_term"):
        return term.discriminator_term
    if hasattr(term, "generator_term"):
        return None
    return term if callable(term) else None


def generator_term(term: Any) -> Callable[[StepContext], Any] | None:
    """The part of a penalty component that joins G's loss, if it has one."""
    return getattr(term, "generator_term", None)


class GAN(keras.Model):
    """A generator, a discriminator, an adversarial loss and optional penalties/terms."""

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        loss: Any,
        *,
        latent_dim: int,
        num_classes: int = 0,
        conditional: bool = False,
        d_labels: bool = True,
        code_categorical: int = 0,
        code_continuous: int = 0,
        penalties: Sequence[tuple[str, Any]] = (),
        d_steps: int = 1,
        update: str = "simultaneous",
        clip_value: float = 0.0,
        generator_ema: keras.Model | None = None,
        ema: float = 0.0,
        seed: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if update == "simultaneous" and d_steps != 1:
            update = "alternating"  # several D steps per G step cannot share one pass
        self.generator = generator
        self.discriminator = discriminator
        self.generator_ema = generator_ema
        self.loss_fn = loss
        # State a loss keeps across steps (BEGAN's k_t) is tracked here, so checkpoints
        # save and restore it with the networks.
        self.loss_state = list(getattr(loss, "variables", None) or [])
        self.penalties = list(penalties)
        self.latent_dim = int(latent_dim)
        self.num_classes = int(num_classes)
        self.conditional = bool(conditional)
        self.d_conditional = self.conditional and bool(d_labels)
        self.code_categorical = int(code_categorical)
        self.code_continuous = int(code_continuous)
        self.d_steps = int(d_steps)
        self.update = update
        self.clip_value = float(clip_value)
        self.ema = float(ema)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True

    # -- the parts a train step is made of -------------------------------------------------

    @property
    def sampler(self) -> keras.Model:
        """The generator used for samples and export: the weight average when kept."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    def generate(self, z: Any, labels: Any = None, training: bool = False,
                 model: keras.Model | None = None) -> Any:
        """Images from generator inputs: z with its codes appended, of the width
        `ganzoo.engine.latent.input_dim` gives (the train step; samples outside it are
        drawn through `ganzoo.engine.generate`)."""
        model = model or self.generator
        return model([z, labels] if self.conditional else z, training=training)

    def discriminate(self, images: Any, labels: Any = None, training: bool = True) -> Outputs:
        out = self.discriminator([images, labels] if self.d_conditional else images,
                                 training=training)
        if not isinstance(out, dict):
            out = {"logits": out}
        return {k: ops.cast(v, "float32") for k, v in out.items()}

    def call(self, inputs: Any, training: bool = False) -> Any:
        return self.sampler(inputs, training=training)

    def _noise(self, batch: Any) -> tuple[Any, Any, Any]:
        """(generator input, fake labels or None, codes or None) for one batch.

        Under tf.distribute every replica draws the global batch's noise from the same
        seed and keeps its own slice: replicas get different noise, and the run draws
        what one device would (ganzoo.engine.distribute).
        """
        n, i = replica_position()
        total = batch * n
        z = keras.random.normal((total, self.latent_dim), seed=self.seed_generator)
        labels = None
        if self.conditional:
            labels = keras.random.randint((total,), 0, self.num_classes,
                                          seed=self.seed_generator, dtype="int32")
        parts = []
        if self.code_categorical:
            category = keras.random.randint((total,), 0, self.code_categorical,
                                            seed=self.seed_generator, dtype="int32")
            parts.append(ops.one_hot(category, self.code_categorical, dtype="float32"))
        if self.code_continuous:
            parts.append(keras.random.uniform((total, self.code_continuous), -1.0, 1.0,
                                              seed=self.seed_generator))
        codes = ops.concatenate(parts, axis=1) if parts else None
        if n > 1:
            z = z[i * batch:(i + 1) * batch]
            labels = None if labels is None else labels[i * batch:(i + 1) * batch]
            codes = None if codes is None else codes[i * batch:(i + 1) * batch]
        if codes is None:
            return z, labels, None
        return ops.concatenate([z, codes], axis=1), labels, codes

    def _context(self, real: Any, labels: Any, fake: Any, fake_labels: Any,
                 real_out: Outputs, fake_out: Outputs, codes: Any) -> StepContext:
        return StepContext(
            discriminator=lambda x, y=None: self.discriminate(x, y, training=True),
            real=real, fake=fake, labels=labels, fake_labels=fake_labels,
            real_out=real_out, fake_out=fake_out, seed=self.seed_generator, codes=codes,
        )

    def _d_objective(self, ctx: StepContext) -> tuple[Any, dict[str, Any]]:
        d_loss = self.loss_fn.discriminator_loss(ctx.real_out, ctx.fake_out)
        return self._with_terms(d_loss, ctx, discriminator_term, "")

    def _g_objective(self, ctx: StepContext) -> tuple[Any, dict[str, Any]]:
        g_loss = self.loss_fn.generator_loss(ctx.real_out, ctx.fake_out)
        return self._with_terms(g_loss, ctx, generator_term, "_g")

    def _with_terms(self, loss: Any, ctx: StepContext, term_of: Any,
                    suffix: str) -> tuple[Any, dict[str, Any]]:
        """`loss` plus each penalty's term for this network (`term_of` picks it), and each
        term's value to log under the penalty's name + `suffix`."""
        logs: dict[str, Any] = {}
        for name, penalty in self.penalties:
            term = term_of(penalty)
            if term is not None:
                value = ops.cast(term(ctx), "float32")
                logs[name + suffix] = value
                loss = loss + value
        return loss, logs

    def _loss_update(self, real_out: Outputs, fake_out: Outputs) -> dict[str, Any]:
        """Let a stateful loss (BEGAN) update its state after D's step; returns its logs."""
        update = getattr(self.loss_fn, "update", None)
        if update is None:
            return {}
        return dict(update(real_out, fake_out) or {})

    def _needs_real_for_generator(self) -> bool:
        return any(getattr(obj, "needs_real_for_generator", False)
                   for obj in [self.loss_fn, *(p for _, p in self.penalties)])

    def _apply(self, optimizer: keras.optimizers.Optimizer, tape: tf.GradientTape,
               loss: Any, model: keras.Model) -> None:
        weights = model.trainable_weights
        # The optimizer sums gradients over replicas; 1/replicas makes that the global mean.
        grads = tape.gradient(loss, weights, output_gradients=gradient_scale())
        optimizer.apply_gradients(zip(grads, weights, strict=True))

    def _clip(self) -> None:
        if self.clip_value > 0:
            for w in self.discriminator.trainable_weights:
                w.assign(ops.clip(w, -self.clip_value, self.clip_value))

    def _update_ema(self) -> None:
        if self.generator_ema is None:
            return
        step = ops.cast(self.g_optimizer.iterations, "float32")
        # Warm-up as in tf.train.ExponentialMovingAverage(num_updates): early averages
        # forget the random initialisation quickly.
        decay = ops.minimum(self.ema, (1.0 + step) / (10.0 + step))
        for avg, w in zip(self.generator_ema.weights, self.generator.weights, strict=True):
            avg.assign(decay * avg + (1.0 - decay) * ops.cast(w, avg.dtype))

    # -- Keras plumbing -------------------------------------------------------------------

    def compile(self, g_optimizer: keras.optimizers.Optimizer,
                d_optimizer: keras.optimizers.Optimizer, **kwargs: Any) -> None:
        super().compile(**kwargs)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        g_optimizer.build(self.generator.trainable_variables)
        d_optimizer.build(self.discriminator.trainable_variables)

    def train_step(self, data: Any) -> dict[str, Any]:
        real, labels = (data if isinstance(data, tuple) else (data, None))
        batch = ops.shape(real)[0] // self.d_steps
        if self.update == "simultaneous":
            logs = self._simultaneous_step(real, labels, batch)
        else:
            logs = self._alternating_step(real, labels, batch)
        self._update_ema()
        return logs

    def _simultaneous_step(self, real: Any, labels: Any, batch: Any) -> dict[str, Any]:
        z, fake_labels, codes = self._noise(batch)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.generate(z, fake_labels, training=True)
            real_out = self.discriminate(real, labels)
            fake_out = self.discriminate(fake, fake_labels)
            ctx = self._context(real, labels, fake, fake_labels, real_out, fake_out, codes)
            d_loss, d_logs = self._d_objective(ctx)
            g_loss, g_logs = self._g_objective(ctx)
        self._apply(self.d_optimizer, d_tape, d_loss, self.discriminator)
        self._apply(self.g_optimizer, g_tape, g_loss, self.generator)
        self._clip()
        state_logs = self._loss_update(real_out, fake_out)
        return {"d_loss": d_loss, "g_loss": g_loss, **d_logs, **g_logs, **state_logs}

    def _alternating_step(self, real_all: Any, labels_all: Any, batch: Any) -> dict[str, Any]:
        d_logs: dict[str, Any] = {}
        state_logs: dict[str, Any] = {}
        real = labels = None
        for i in range(self.d_steps):
            real = real_all[i * batch:(i + 1) * batch]
            labels = None if labels_all is None else labels_all[i * batch:(i + 1) * batch]
            z, fake_labels, codes = self._noise(batch)
            fake = self.generate(z, fake_labels, training=True)
            with tf.GradientTape() as d_tape:
                real_out = self.discriminate(real, labels)
                fake_out = self.discriminate(fake, fake_labels)
                ctx = self._context(real, labels, fake, fake_labels, real_out, fake_out, codes)
                d_loss, d_logs = self._d_objective(ctx)
            self._apply(self.d_optimizer, d_tape, d_loss, self.discriminator)
            self._clip()
            state_logs = self._loss_update(real_out, fake_out)
        z, fake_labels, codes = self._noise(batch)
        with tf.GradientTape() as g_tape:
            fake = self.generate(z, fake_labels, training=True)
            fake_out = self.discriminate(fake, fake_labels)
            real_out = (self.discriminate(real, labels)
                        if self._needs_real_for_generator() else {})
            ctx = self._context(real, labels, fake, fake_labels, real_out, fake_out, codes)
            g_loss, g_logs = self._g_objective(ctx)
        self._apply(self.g_optimizer, g_tape, g_loss, self.generator)
        return {"d_loss": d_loss, "g_loss": g_loss, **d_logs, **g_logs, **state_logs}

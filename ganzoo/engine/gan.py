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

Plugin code runs inside the step, so each component call is wrapped while the step
is traced, every loss and term must be a scalar, and an error of the first run names
the components in play: one `PluginError` each (`ganzoo.engine.faults`).

This module imports TensorFlow; import it only when training or sampling.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras
import tensorflow as tf
from keras import ops

from ganzoo.contract.contexts import StepContext
from ganzoo.engine.distribute import gradient_scale, replica_position
from ganzoo.engine.faults import call, describe_error, scalar
from ganzoo.errors import GanzooError, PluginError

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
        augmentations: Sequence[Any] = (),
        roles: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        """`roles` names the components in errors: "loss" -> "loss 'x' from plugin 'p'";
        keys "generator", "discriminator", "loss" and "penalty:NAME"."""
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
        # Applied to every image D sees while training, real and fake, in D's and G's steps
        # and inside penalties (DiffAugment, Zhao et al. 2020).
        self.augmentations = list(augmentations)
        self.roles = dict(roles or {})
        #: a train step has completed; before, a failed run has nothing worth keeping
        self.first_step_done = False
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
        if training:
            for augment in self.augmentations:
                images = augment(images, self.seed_generator)
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
            discriminator=lambda x, y=None: self._d_call(x, y),
            real=real, fake=fake, labels=labels, fake_labels=fake_labels,
            real_out=real_out, fake_out=fake_out, seed=self.seed_generator, codes=codes,
            d_step=self.d_optimizer.iterations,
        )

    def _d_objective(self, ctx: StepContext) -> tuple[Any, dict[str, Any]]:
        d_loss = self._scalar("loss", "discriminator_loss()", self._run(
            "loss", "discriminator_loss()", self.loss_fn.discriminator_loss,
            ctx.real_out, ctx.fake_out))
        return self._with_terms(d_loss, ctx, discriminator_term, "")

    def _g_objective(self, ctx: StepContext) -> tuple[Any, dict[str, Any]]:
        g_loss = self._scalar("loss", "generator_loss()", self._run(
            "loss", "generator_loss()", self.loss_fn.generator_loss, ctx.real_out, ctx.fake_out))
        return self._with_terms(g_loss, ctx, generator_term, "_g")

    def _with_terms(self, loss: Any, ctx: StepContext, term_of: Any,
                    suffix: str) -> tuple[Any, dict[str, Any]]:
        """`loss` plus each penalty's term for this network (`term_of` picks it), and each
        term's value to log under the penalty's name + `suffix`."""
        logs: dict[str, Any] = {}
        for name, penalty in self.penalties:
            term = term_of(penalty)
            if term is not None:
                what = (term_of.__name__ + "()") if term is not penalty else "its call"
                role = f"penalty:{name}"
                value = ops.cast(self._scalar(role, what, self._run(role, what, term, ctx)),
                                 "float32")
                logs[name + suffix] = value
                loss = loss + value
        return loss, logs

    def _loss_update(self, real_out: Outputs, fake_out: Outputs) -> dict[str, Any]:
        """Let a stateful loss (BEGAN) update its state after D's step; returns its logs."""
        update = getattr(self.loss_fn, "update", None)
        if update is None:
            return {}
        logs = dict(self._run("loss", "update()", update, real_out, fake_out) or {})
        return {key: self._scalar("loss", f"update() as {key!r}", value)
                for key, value in logs.items()}

    def _needs_real_for_generator(self) -> bool:
        return any(getattr(obj, "needs_real_for_generator", False)
                   for obj in [self.loss_fn, *(p for _, p in self.penalties)])

    def _apply(self, optimizer: keras.optimizers.Optimizer, tape: tf.GradientTape,
               loss: Any, model: keras.Model) -> None:
        weights = model.trainable_weights
        net = "discriminator" if model is self.discriminator else "generator"
        try:
            # The optimizer sums gradients over replicas; 1/replicas makes it the global mean.
            grads = tape.gradient(loss, weights, output_gradients=gradient_scale())
            optimizer.apply_gradients(zip(grads, weights, strict=True))
        except GanzooError:
            raise
        except Exception as exc:
            raise PluginError(
                f"the {net}'s update failed in the train step ({describe_error(exc)}); "
                f"its loss comes from {self._in_play(net)}, and must depend on the {net}'s "
                "outputs") from exc

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

    # -- naming the plugin at fault -------------------------------------------------------

    def _who(self, role: str) -> str:
        """How errors name the component in `role` ("loss 'x' from plugin 'p'")."""
        if role in self.roles:
            return self.roles[role]
        kind, _, name = role.partition(":")
        return f"{kind} {name!r}" if name else f"the {kind}"

    def _in_play(self, net: str | None = None) -> str:
        """The components whose code makes `net`'s loss (all of them when None)."""
        roles = ["discriminator", "loss"] if net == "discriminator" else [
            "generator", "discriminator", "loss"]
        pick = {"discriminator": discriminator_term, "generator": generator_term}.get(net or "")
        roles += [f"penalty:{n}" for n, p in self.penalties if pick is None or pick(p)]
        return ", ".join(self._who(role) for role in roles)

    def _run(self, role: str, what: str, fn: Callable[..., Any], *args: Any) -> Any:
        return call(self._who(role), what, fn, *args)

    def _scalar(self, role: str, what: str, value: Any) -> Any:
        return scalar(self._who(role), role.partition(":")[0], what, value)

    def _g_call(self, z: Any, labels: Any) -> Any:
        return self._run("generator", "called on a batch", self.generate, z, labels, True)

    def _d_call(self, images: Any, labels: Any = None) -> Outputs:
        return self._run("discriminator", "called on a batch", self.discriminate, images,
                         labels, True)

    # -- Keras plumbing -------------------------------------------------------------------

    def compile(self, g_optimizer: keras.optimizers.Optimizer,
                d_optimizer: keras.optimizers.Optimizer, **kwargs: Any) -> None:
        super().compile(**kwargs)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        g_optimizer.build(self.generator.trainable_variables)
        d_optimizer.build(self.discriminator.trainable_variables)

    def make_train_function(self, force: bool = False) -> Any:
        """Keras' train function with its first call guarded: an error while the step is
        traced or first run (XLA, shapes known only then) becomes one line naming the
        components in play. Later calls go to Keras' function directly."""
        if self.train_function is not None and not force:
            return self.train_function
        super().make_train_function(force)
        function = self.train_function

        def first_run(iterator: Any) -> Any:
            try:
                logs = function(iterator)
            except (GanzooError, StopIteration, tf.errors.OutOfRangeError):
                raise
            except Exception as exc:
                raise PluginError(
                    f"the train step failed on its first run: {describe_error(exc)} "
                    f"(components in play: {self._in_play()})") from exc
            self.train_function = function
            self.first_step_done = True
            return logs

        self.train_function = first_run
        return first_run

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
            fake = self._g_call(z, fake_labels)
            real_out = self._d_call(real, labels)
            fake_out = self._d_call(fake, fake_labels)
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
            fake = self._g_call(z, fake_labels)
            with tf.GradientTape() as d_tape:
                real_out = self._d_call(real, labels)
                fake_out = self._d_call(fake, fake_labels)
                ctx = self._context(real, labels, fake, fake_labels, real_out, fake_out, codes)
                d_loss, d_logs = self._d_objective(ctx)
            self._apply(self.d_optimizer, d_tape, d_loss, self.discriminator)
            self._clip()
            state_logs = self._loss_update(real_out, fake_out)
        z, fake_labels, codes = self._noise(batch)
        with tf.GradientTape() as g_tape:
            fake = self._g_call(z, fake_labels)
            fake_out = self._d_call(fake, fake_labels)
            real_out = (self._d_call(real, labels)
                        if self._needs_real_for_generator() else {})
            ctx = self._context(real, labels, fake, fake_labels, real_out, fake_out, codes)
            g_loss, g_logs = self._g_objective(ctx)
        self._apply(self.g_optimizer, g_tape, g_loss, self.generator)
        return {"d_loss": d_loss, "g_loss": g_loss, **d_logs, **g_logs, **state_logs}

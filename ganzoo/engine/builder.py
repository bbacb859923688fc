"""Turn a resolved configuration into Keras objects: components, GAN, optimizers.

This is the one place where plugin factories are called. Each result is checked
(a factory that returns the wrong kind of object or the wrong output shape is
reported with the plugin's name), so that the trainer gets working parts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ganzoo.contract.contexts import BuildContext
from ganzoo.engine.runtime import dtype_policy, import_tensorflow
from ganzoo.errors import ConfigError, PluginError
from ganzoo.zoo.components import Catalog, Component


def _call_factory(component: Component, *args: Any) -> Any:
    try:
        return component.factory(*args)
    except ConfigError:
        raise
    except Exception as exc:
        from ganzoo.zoo.host import describe_exception

        raise PluginError(
            f"{component.kind} {component.name!r} from plugin {component.plugin!r} failed to "
            f"build: {describe_exception(exc)}"
        ) from exc


def describe(component: Component) -> str:
    """How errors name a component: "loss 'x' from plugin 'p'"."""
    return f"{component.kind} {component.name!r} from plugin {component.plugin!r}"


def _check_model(component: Component, model: Any) -> None:
    import keras

    if not isinstance(model, keras.Model):
        raise PluginError(
            f"{component.kind} {component.name!r} from plugin {component.plugin!r} returned "
            f"{type(model).__name__}, expected a keras.Model"
        )


def build_networks(
    catalog: Catalog, config: Mapping[str, Any], ctx: BuildContext,
    with_discriminator: bool = True,
) -> tuple[Any, Any]:
    """Build and check (generator, discriminator) for `ctx`; without `with_discriminator`
    the discriminator is None and its component is never looked up (sampling)."""
    import keras

    gen_c = catalog.get("generator", config["generator"])
    generator = _call_factory(gen_c, ctx)
    _check_model(gen_c, generator)
    if with_discriminator:
        disc_c = catalog.get("discriminator", config["discriminator"])
        discriminator = _call_factory(disc_c, ctx)
        _check_model(disc_c, discriminator)

    z = keras.ops.zeros((2, ctx.generator_input_dim))
    labels = keras.ops.zeros((2,), dtype="int32")
    try:
        fake = generator([z, labels] if ctx.conditional else z, training=False)
    except ValueError as exc:
        raise PluginError(
            f"generator {gen_c.name!r} from plugin {gen_c.plugin!r} does not take inputs of "
            f"width ctx.generator_input_dim = {ctx.generator_input_dim} (z and latent codes)"
            f"{' and a label' if ctx.conditional else ''}: {exc}"
        ) from None
    if tuple(fake.shape) != (2, *ctx.image_shape):
        raise PluginError(
            f"generator {gen_c.name!r} from plugin {gen_c.plugin!r} makes images of shape "
            f"{tuple(fake.shape)[1:]}, but the data set's "
            f"{'points' if ctx.is_points else 'images'} are {ctx.image_shape}"
        )
    if not with_discriminator:
        return generator, None
    out = discriminator([fake, labels] if ctx.discriminator_conditional else fake,
                        training=False)
    logits = out.get("logits") if isinstance(out, dict) else out
    if logits is None or tuple(logits.shape) != (2, 1):
        shape = None if logits is None else tuple(logits.shape)
        raise PluginError(
            f"discriminator {disc_c.name!r} from plugin {disc_c.plugin!r} must return "
            f'logits of shape (batch, 1) (alone or as {{"logits": ...}}), got {shape}'
        )
    return generator, discriminator


def build_visualizers(catalog: Catalog, names: list[str]) -> list[tuple[str, Any]]:
    """(name, callable) for each visualizer a run uses, checked like every component."""
    out = []
    for name in names:
        component = catalog.get("visualizer", name)
        visualizer = _call_factory(component, None)
        if not callable(visualizer):
            raise PluginError(
                f"visualizer {name!r} from plugin {component.plugin!r} returned "
                f"{type(visualizer).__name__}, expected a callable (VisualContext) -> list[Path]"
            )
        out.append((name, visualizer))
    return out


def output_heads(discriminator: Any, ctx: BuildContext) -> set[str]:
    """The names of the heads (output dict keys) a discriminator returns."""
    import keras

    images = keras.ops.zeros((2, *ctx.image_shape))
    labels = keras.ops.zeros((2,), dtype="int32")
    out = discriminator([images, labels] if ctx.discriminator_conditional else images,
                        training=False)
    return set(out) if isinstance(out, dict) else {"logits"}


def build_context(
    config: Mapping[str, Any], image_shape: tuple[int, ...], num_classes: int
) -> BuildContext:
    if config.get("conditional") and num_classes < 2:
        raise ConfigError(
            "conditional models need a labelled data set with at least 2 classes; "
            "this data set has no labels (use a labelled set, or --set conditional=false)"
        )
    return BuildContext(
        image_shape=tuple(int(s) for s in image_shape),
        latent_dim=int(config["latent_dim"]),
        num_classes=int(num_classes),
        config=dict(config),
    )


def build_gan(
    catalog: Catalog,
    config: Mapping[str, Any],
    image_shape: tuple[int, ...],
    num_classes: int,
    *,
    policy: str = "float32",
    total_steps: int = 0,
) -> Any:
    """A compiled `GAN` ready for `fit()`; `total_steps` (generator steps of the whole run)
    is what a linear learning-rate schedule decays over."""
    import_tensorflow()
    import keras

    from ganzoo.engine.gan import GAN

    ctx = build_context(config, image_shape, num_classes)
    keras.utils.set_random_seed(int(config["seed"]))
    with dtype_policy(policy):
        generator, discriminator = build_networks(catalog, config, ctx)
    ema = None
    if config["ema"] > 0:
        # The average is only read, so it is kept in float32 whatever the policy.
        ema = _call_factory(catalog.get("generator", config["generator"]), ctx)
        ema.set_weights(generator.get_weights())

    loss_c = catalog.get("loss", config["loss"])
    loss = _call_factory(loss_c, ctx)
    for method in ("discriminator_loss", "generator_loss"):
        if not callable(getattr(loss, method, None)):
            raise PluginError(
                f"loss {loss_c.name!r} from plugin {loss_c.plugin!r} has no {method}() method"
            )
    penalties = []
    roles = {slot: describe(catalog.get(slot, config[slot]))
             for slot in ("generator", "discriminator", "loss")}
    heads: set[str] | None = None
    for name in config["penalties"]:
        pen_c = catalog.get("penalty", name)
        roles[f"penalty:{name}"] = describe(pen_c)
        penalty = _call_factory(pen_c, ctx)
        if not (callable(penalty) or hasattr(penalty, "discriminator_term")
                or hasattr(penalty, "generator_term")):
            raise PluginError(
                f"penalty {name!r} from plugin {pen_c.plugin!r} is neither callable nor has "
                "discriminator_term()/generator_term()"
            )
        needed = tuple(getattr(penalty, "heads", ()))
        if needed:
            heads = output_heads(discriminator, ctx) if heads is None else heads
            missing = [h for h in needed if h not in heads]
            if missing:
                raise ConfigError(
                    f"penalty {name!r} needs the discriminator head(s) {', '.join(missing)}, "
                    f"which discriminator {config['discriminator']!r} does not return with "
                    f"this config (it returns {', '.join(sorted(heads))}); for the dcgan "
                    f"discriminator add them with --set d_heads=..."
                )
        penalties.append((name, penalty))
    augmentations = []
    for name in config.get("augment", []):
        aug_c = catalog.get("augmentation", name)
        augmentation = _call_factory(aug_c, ctx)
        if not callable(augmentation):
            raise PluginError(f"augmentation {name!r} from plugin {aug_c.plugin!r} is not "
                              "callable as augment(images, seed)")
        augmentations.append(augmentation)

    gan = GAN(
        generator, discriminator, loss,
        latent_dim=ctx.latent_dim, num_classes=ctx.num_classes, conditional=ctx.conditional,
        d_labels=ctx.discriminator_conditional, code_categorical=ctx.code_categorical,
        code_continuous=ctx.code_continuous, penalties=penalties,
        d_steps=config["d_steps"], update=config["update"],
        clip_value=config["clip_value"], generator_ema=ema, ema=config["ema"],
        seed=int(config["seed"]), augmentations=augmentations, roles=roles, name="gan",
    )
    gan.compile(
        g_optimizer=make_optimizer(config, config["lr_g"], "g_optimizer",
                                   total_steps=total_steps),
        d_optimizer=make_optimizer(config, config["lr_d"], "d_optimizer",
                                   updates_per_step=int(config["d_steps"]),
                                   total_steps=total_steps),
        jit_compile=bool(config["jit_compile"]),
    )
    return gan


def make_optimizer(
    config: Mapping[str, Any], learning_rate: float, name: str, *,
    updates_per_step: int = 1, total_steps: int = 0,
) -> Any:
    """Adam or RMSprop, with ``lr_schedule`` as a Keras schedule on the optimizer's own
    update count: checkpoints keep that count, so a resumed run follows the schedule from
    where it stopped. ``updates_per_step`` turns generator steps into this optimizer's
    updates (the discriminator updates ``d_steps`` times per generator step)."""
    import keras

    schedule = config.get("lr_schedule", "constant")
    if schedule == "step":
        learning_rate = keras.optimizers.schedules.ExponentialDecay(
            learning_rate, decay_steps=int(config["lr_decay_steps"]) * updates_per_step,
            decay_rate=float(config["lr_decay"]), staircase=True)
    elif schedule == "linear":
        if total_steps < 1:
            raise ConfigError("lr_schedule=linear decays over the run's generator steps: "
                              "pass total_steps (ganzoo.build(..., total_steps=N))")
        learning_rate = keras.optimizers.schedules.PolynomialDecay(
            learning_rate, decay_steps=total_steps * updates_per_step,
            end_learning_rate=0.0, power=1.0)
    if config["optimizer"] == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=learning_rate, name=name)
    return keras.optimizers.Adam(
        learning_rate=learning_rate, beta_1=config["beta1"], beta_2=config["beta2"], name=name
    )


def build_sampler(
    catalog: Catalog, config: Mapping[str, Any], image_shape: tuple[int, ...],
    num_classes: int, with_discriminator: bool = True,
) -> Any:
    """float32 (generator, discriminator), to load exported or checkpointed weights into;
    without `with_discriminator` (sampling needs only G) the discriminator is None, so a
    run can be sampled even when the discriminator's plugin is gone."""
    ctx = build_context(config, image_shape, num_classes)
    with dtype_policy("float32"):
        return build_networks(catalog, config, ctx, with_discriminator)

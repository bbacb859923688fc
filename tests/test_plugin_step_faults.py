"""A plugin's loss, penalty or network that fails inside the train step is reported on one
line naming the component and its plugin, and the half-made run folder is removed, so the
same `--out` works once the plugin is fixed.

The helpers at the top need no TensorFlow; the training runs are marked `tf` (a few
seconds each: two tiny steps of DCGAN with 4 filters on a 16-image array).
"""

from __future__ import annotations

import inspect
import re
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result
from test_plugin_failures import make_plugin

from ganzoo.cli.app import cli
from ganzoo.engine import faults
from ganzoo.errors import ConfigError, PluginError
from ganzoo.zoo.components import Catalog
from ganzoo.zoo.host import load_catalog

SMALL = {"g_filters": 4, "d_filters": 4, "visualizers": "", "ema": 0.0}


# --------------------------------------------------------------------------- no TensorFlow


def test_scalar_refuses_other_shapes_naming_the_component() -> None:
    who = "loss 'myloss' from plugin 'mygan'"
    assert faults.scalar(who, "loss", "discriminator_loss()", np.float32(1.0)) == 1.0
    assert faults.scalar(who, "loss", "discriminator_loss()", 0.5) == 0.5
    with pytest.raises(PluginError) as caught:
        faults.scalar(who, "loss", "discriminator_loss()", np.zeros((64, 1)))
    assert str(caught.value) == ("loss 'myloss' from plugin 'mygan' returned shape (64, 1) "
                                 "from discriminator_loss(); a loss must be a scalar: reduce "
                                 "it with keras.ops.mean")
    with pytest.raises(PluginError, match=r"returned None from its call; a penalty must "
                                          r"return a scalar tensor \(is a `return` missing"):
        faults.scalar("penalty 'gp' from plugin 'p'", "penalty", "its call", None)


def test_call_turns_an_exception_into_one_line() -> None:
    def broken(x: Any) -> Any:
        raise ValueError("first\nsecond")

    with pytest.raises(PluginError) as caught:
        faults.call("loss 'x' from plugin 'p'", "generator_loss()", broken, 1)
    line = inspect.getsourcelines(broken)[1] + 1
    assert str(caught.value) == ("loss 'x' from plugin 'p' failed in the train step "
                                 "(generator_loss()): ValueError: first second (at "
                                 f"{__file__}:{line}, in broken)")
    assert isinstance(caught.value.__cause__, ValueError)
    with pytest.raises(ConfigError, match="as it was"):  # ganzoo's own errors pass through
        faults.call("loss 'x'", "f()", lambda: (_ for _ in ()).throw(ConfigError("as it was")))
    with pytest.raises(PluginError, match="input_gradients"):  # the tape hint for penalties
        faults.call("penalty 'gp' from plugin 'p'", "its call",
                    lambda: (_ for _ in ()).throw(ValueError("None values not supported.")))


# --------------------------------------------------------------------------- faulty plugins


def _bad_losses(ctx: Any, kind: str) -> Any:
    import tensorflow as tf
    from keras import ops

    class Loss:
        def discriminator_loss(self, real: Any, fake: Any) -> Any:
            if kind == "per-example":  # the mistake: (batch, 1), not reduced
                return ops.softplus(-real["logits"]) + ops.softplus(fake["logits"])
            if kind == "constant":  # depends on no weight: nothing to train
                return ops.zeros(())
            if kind == "assert":  # fails only when the compiled step runs
                tf.debugging.assert_less(real["logits"], -1e9, message="logits too large")
            return ops.mean(ops.softplus(-real["logits"])) + ops.mean(
                ops.softplus(fake["logits"]))

        def generator_loss(self, real: Any, fake: Any) -> Any:
            return ops.mean(ops.softplus(-fake["logits"]))

    loss = Loss()
    if kind == "update":
        loss.update = lambda real_out, fake_out: {"my_state": real_out["logits"]}
    return loss


def _bad_penalties(ctx: Any, kind: str) -> Any:
    import tensorflow as tf
    from keras import ops

    def outside_tape(step: Any) -> Any:
        x = ops.convert_to_tensor(step.real, "float32")
        with tf.GradientTape() as tape:
            tape.watch(x)
        out = step.discriminator(x)["logits"]  # the mistake: D called after the tape closed
        return ops.mean(ops.square(tape.gradient(out, x)))

    class VectorTerm:
        def generator_term(self, step: Any) -> Any:
            return ops.mean(step.fake_out["logits"], axis=1)  # (batch,), not a scalar

    def no_return(step: Any) -> None:
        ops.mean(step.real_out["logits"])

    return {"outside": outside_tape, "vector": VectorTerm(), "none": no_return}[kind]


def _faulty() -> types.ModuleType:
    losses = [(f"{kind}loss", lambda ctx, kind=kind: _bad_losses(ctx, kind))
              for kind in ("per-example", "constant", "assert", "update", "good")]
    penalties = [(f"{kind}pen", lambda ctx, kind=kind: _bad_penalties(ctx, kind))
                 for kind in ("outside", "vector", "none")]
    return make_plugin("mygan", losses=losses, penalties=penalties)


@pytest.fixture
def cat() -> Catalog:
    return load_catalog(extra_plugins=[("mygan", _faulty())])


@pytest.fixture
def tiny(tmp_path: Path) -> str:
    path = tmp_path / "tiny.npy"
    np.save(path, np.random.default_rng(0).integers(0, 255, (16, 28, 28, 1), np.uint8))
    return str(path)


def _train(cat: Catalog, tiny: str, out: Path, **overrides: Any) -> Any:
    import ganzoo

    return ganzoo.train("dcgan", dataset=tiny, steps=2, batch_size=8, out=out, verbose=0,
                        cat=cat, overrides={**SMALL, **overrides})


def _cli_error(result: Result) -> str:
    """The one `error:` line of a failed run (after the run's opening lines)."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and result.stderr.strip().endswith(errors[0]), result.stderr
    return errors[0]


@pytest.mark.tf
def test_per_example_loss_is_one_line_and_the_same_out_works_again(
        cat: Catalog, tiny: str, tmp_path: Path) -> None:
    args = ["run", "dcgan", "--dataset", tiny, "--steps", "2", "--batch-size", "8",
            "--out", "runs/mine", *[f"--set={k}={v}" for k, v in SMALL.items()]]
    result = CliRunner().invoke(cli, [*args, "--set", "loss=per-exampleloss"],
                                obj={"catalog": cat})
    assert _cli_error(result) == (
        "error: loss 'per-exampleloss' from plugin 'mygan' returned shape (8, 1) from "
        "discriminator_loss(); a loss must be a scalar: reduce it with keras.ops.mean")
    assert not (tmp_path / "runs").exists()  # the folders it created are gone
    fixed = CliRunner().invoke(cli, [*args, "--set", "loss=goodloss"], obj={"catalog": cat})
    assert fixed.exit_code == 0, fixed.output
    assert (tmp_path / "runs" / "mine" / "dcgan.weights.h5").is_file()


@pytest.mark.tf
@pytest.mark.parametrize(("overrides", "message"), [
    ({"penalties": "outsidepen"},
     r"penalty 'outsidepen' from plugin 'mygan' failed in the train step \(its call\): "
     r"ValueError: .*None.* \(at .*test_plugin_step_faults.py:\d+, in outside_tape\); "
     r"a gradient of None means the tape did not record D's call: "
     r"take input gradients with ganzoo.plugin.input_gradients$"),
    ({"penalties": "vectorpen"},
     r"^penalty 'vectorpen' from plugin 'mygan' returned shape \(8,\) from generator_term\(\); "
     r"a penalty must be a scalar: reduce it with keras.ops.mean$"),
    ({"penalties": "nonepen"},
     r"^penalty 'nonepen' from plugin 'mygan' returned None from its call"),
    ({"loss": "updateloss"},
     r"^loss 'updateloss' from plugin 'mygan' returned shape \(8, 1\) from update\(\) as "
     r"'my_state'; a loss must be a scalar"),
    ({"loss": "constantloss"},
     r"^the discriminator's update failed in the train step \(ValueError: No gradients "
     r"provided for any variable.\); its loss comes from discriminator 'dcgan' from plugin "
     r"'builtin', loss 'constantloss' from plugin 'mygan', and must depend on"),
    ({"loss": "per-exampleloss", "update": "alternating", "d_steps": 2},
     r"^loss 'per-exampleloss' from plugin 'mygan' returned shape \(8, 1\) from "
     r"discriminator_loss\(\)"),
])
def test_fault_in_the_step_names_component_and_plugin(
        cat: Catalog, tiny: str, tmp_path: Path, overrides: dict[str, Any],
        message: str) -> None:
    with pytest.raises(PluginError) as caught:
        _train(cat, tiny, tmp_path / "run", **overrides)
    assert re.search(message, str(caught.value)), str(caught.value)
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "run").exists()


@pytest.mark.tf
def test_error_of_the_first_run_names_the_components_and_clears_an_existing_out(
        cat: Catalog, tiny: str, tmp_path: Path) -> None:
    out = tmp_path / "existing"
    out.mkdir()  # an empty folder given as --out: it stays, emptied of what the run made
    with pytest.raises(PluginError) as caught:
        _train(cat, tiny, out, loss="assertloss", penalties="")
    message = str(caught.value)
    assert message.startswith("the train step failed on its first run: InvalidArgumentError: "
                              "assertion failed: [logits too large]")
    assert f"(at {Path(__file__)}:" in message and "in discriminator_loss)" in message
    assert message.endswith("(components in play: generator 'dcgan' from plugin 'builtin', "
                            "discriminator 'dcgan' from plugin 'builtin', loss 'assertloss' "
                            "from plugin 'mygan')")
    assert "{{node" not in message and "Detected at node" not in message and "\n" not in message
    assert out.is_dir() and sorted(p.name for p in out.iterdir()) == []


@pytest.mark.tf
def test_a_run_that_completed_a_step_keeps_its_folder(cat: Catalog, tiny: str,
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Only runs that never completed a step are removed: a later failure keeps the
    checkpoints, which `ganzoo resume` can continue from."""
    from ganzoo.artifacts import export

    def disk_full(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(export, "write", disk_full)
    with pytest.raises(OSError, match="disk full"):
        _train(cat, tiny, tmp_path / "run", loss="goodloss")
    assert (tmp_path / "run" / "config.json").is_file()
    assert list((tmp_path / "run" / "checkpoints").iterdir())

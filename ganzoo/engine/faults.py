"""Naming the plugin at fault when its code fails inside the train step.

Plugin losses, penalties and networks run inside Keras' compiled train step, where a
mistake would otherwise surface as a long TensorFlow traceback naming neither the
component nor its plugin. `GAN.train_step` calls each component through `call` and
checks what it returns with `scalar`: the step's Python runs only while it is traced,
so this costs nothing per step. Errors of the compiled step's first run (shapes or
asserts known only then) are described by `describe_error`.
"""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ganzoo.errors import GanzooError, PluginError

#: paths whose frames are not the plugin's: ganzoo itself, Keras and TensorFlow
_NOT_PLUGIN = (str(Path(__file__).resolve().parents[1]) + os.sep, f"{os.sep}keras{os.sep}",
               f"{os.sep}tensorflow{os.sep}")


def describe_error(exc: BaseException) -> str:
    """One line for an exception; for TensorFlow's runtime errors, the reason and the
    innermost frame outside ganzoo, Keras and TensorFlow, without the node traces."""
    import tensorflow as tf

    from ganzoo.zoo.host import describe_exception, one_line

    if not isinstance(exc, tf.errors.OpError):
        return describe_exception(exc)
    # "Graph execution error: Detected at node N defined at (most recent call last):
    # File "f.py", line 3, in loss ... REASON [[{{node N}}]] [Op:...]"
    text = str(exc.message)
    lines = [line.strip() for line in text.splitlines()]
    last = max((i for i, line in enumerate(lines) if line.startswith(('File "', "Node:"))),
               default=-1)
    reason = " ".join(line for line in lines[last + 1:] if line and not line.startswith("[["))
    if not reason:
        return describe_exception(exc)
    frames = re.findall(r'File "([^"]+)", line (\d+), in (\S+)', text)
    return one_line(f"{type(exc).__name__}: {reason}{_where(frames)}", 400)


def _where(frames: list[tuple[str, Any, str]]) -> str:
    """" (at FILE:LINE, in FUNCTION)" for the innermost frame of plugin code, if any."""
    mine = [f for f in frames if not any(part in f[0] for part in _NOT_PLUGIN)]
    return f" (at {mine[-1][0]}:{mine[-1][1]}, in {mine[-1][2]})" if mine else ""


def call(who: str, what: str, fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)`; an exception becomes one `PluginError` naming `who` (the component
    and its plugin) and `what` it was doing."""
    try:
        return fn(*args)
    except GanzooError:
        raise
    except Exception as exc:
        hint = ""
        if who.startswith("penalty") and "None" in str(exc):
            hint = ("; a gradient of None means the tape did not record D's call: take "
                    "input gradients with ganzoo.plugin.input_gradients")
        frames = [(f.filename, f.lineno, f.name) for f in traceback.extract_tb(exc.__traceback__)]
        raise PluginError(f"{who} failed in the train step ({what}): "
                          f"{describe_error(exc)}{_where(frames)}{hint}") from exc


def scalar(who: str, kind: str, what: str, value: Any) -> Any:
    """`value`, refused unless its static shape is a scalar's: a loss of shape (batch, 1)
    would otherwise fail deep inside the gradient code, or broadcast silently."""
    if value is None:
        raise PluginError(f"{who} returned None from {what}; a {kind} must return a scalar "
                          "tensor (is a `return` missing?)")
    try:
        dims = tuple(getattr(value, "shape", ()))
    except ValueError:  # unknown rank: nothing to check before it runs
        dims = ()
    if dims:
        raise PluginError(f"{who} returned shape {dims} from {what}; a {kind} must be a "
                          "scalar: reduce it with keras.ops.mean")
    return value

"""Where the time of a zoo model's train step goes, op by op, with TensorFlow's profiler.

bench/profile_step.py does this for the tutorial's hand-written step; this one builds a
registry entry exactly as ``ganzoo run`` does (plan, networks, input pipeline, ``fit()``),
runs a few unprofiled steps, traces the next ones with one inter-op thread (so ops do not
overlap and their times add up) and prints milliseconds per generator step by kind of work.
A penalised critic's double backward pass shows up under the ops it consists of.

    python bench/profile_model.py wgan-gp-resnet --precision float32
    python bench/profile_model.py wgan-gp-resnet --precision bfloat16 --set d_norm=none
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from profile_step import op_events

WARM_UP, PROFILED = 8, 12

#: (what the op name or type contains, category); the first match wins.
CATEGORIES = (
    ("Conv2DBackpropFilter", "convolution: kernel gradients"),
    ("filter_gradient", "convolution: kernel gradients"),
    ("Conv2DBackpropInput", "convolution: input gradients, transposed convolutions"),
    ("Conv2D", "convolution: forward"),
    ("FusedBatchNorm", "batch normalization (and its gradients)"),
    ("batch_normalization", "batch normalization (and its gradients)"),
    # Layer normalization is a chain of elementwise ops and reductions; the plugins name
    # their normalization layers "..._norm1", "..._norm2", "out_norm" (a batch norm's
    # moving-average updates land here too: a few tenths of a millisecond).
    ("layer_normalization", "layer normalization (and its gradients)"),
    ("_norm", "layer normalization (and its gradients)"),
    ("MatMul", "dense layers"),
    ("adam", "optimizer updates"),
    ("Cast", "casts between dtypes"),
    ("AvgPool", "pooling, upsampling"),
    ("up_sampling", "pooling, upsampling"),
    ("ResizeNearest", "pooling, upsampling"),
    ("Relu", "activations"),
    ("leaky_re_lu", "activations"),
    ("Elu", "activations"),
)


def category(op_name: str, op_type: str) -> str:
    for key, what in CATEGORIES:
        if key in op_type or key in op_name:
            return what
    return f"other ({op_type})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model")
    parser.add_argument("--precision", choices=("auto", "float32", "bfloat16"), default="auto")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE")
    parser.add_argument("--top", type=int, default=12, help="'other' op types shown")
    parser.add_argument("--names", metavar="CATEGORY",
                        help="also list the op names that make up a category (a substring)")
    args = parser.parse_args()

    import ganzoo
    from ganzoo.data.pipeline import make_input_pipeline
    from ganzoo.engine import distribute
    from ganzoo.engine.runtime import import_tensorflow
    from ganzoo.training import loop, plan
    from ganzoo.zoo.config import parse_assignments

    tf = import_tensorflow()
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    steps = WARM_UP + PROFILED
    overrides = {**parse_assignments(args.overrides), "steps": steps,
                 "precision": args.precision}
    p = plan.plan(args.model, catalog=ganzoo.catalog(), overrides=overrides)
    b = loop.build(p, distribute.make_strategy("default"))
    data = p.data
    dataset = make_input_pipeline(data, p.images_per_step, 0, bool(p.config["conditional"]),
                                  0, steps)

    class Trace(keras.callbacks.Callback):
        def __init__(self, logdir: str) -> None:
            super().__init__()
            self.logdir, self.started = logdir, 0.0

        def on_train_batch_begin(self, batch: int, logs: object = None) -> None:
            if batch == WARM_UP:
                tf.profiler.experimental.start(self.logdir)
                self.started = time.perf_counter()

        def on_train_end(self, logs: object = None) -> None:
            self.seconds = time.perf_counter() - self.started
            tf.profiler.experimental.stop()

    with tempfile.TemporaryDirectory() as logdir:
        trace = Trace(logdir)
        b.gan.fit(dataset, epochs=1, steps_per_epoch=steps, callbacks=[trace], verbose=0,
                  shuffle=False)
        events = list(op_events(logdir))

    totals: collections.Counter[str] = collections.Counter()
    by_name: collections.Counter[str] = collections.Counter()
    for op_name, op_type, ms in events:
        what = category(op_name, op_type)
        totals[what] += ms / PROFILED
        if args.names and args.names in what:
            by_name[f"{op_name}:{op_type}"] += ms / PROFILED
    print(f"{args.model} {' '.join(args.overrides)}: precision {b.policy}, "
          f"{p.images_per_step} images per generator step; {trace.seconds / PROFILED * 1e3:.0f} "
          "ms per step profiled (one inter-op thread)")
    named = [(what, ms) for what, ms in totals.most_common() if not what.startswith("other")]
    others = [(what, ms) for what, ms in totals.most_common() if what.startswith("other")]
    for what, ms in named + others[:args.top]:
        print(f"  {ms:8.1f} ms  {what}")
    rest = sum(ms for _, ms in others[args.top:])
    print(f"  {rest:8.1f} ms  other, the rest")
    print(f"  {sum(totals.values()):8.1f} ms  all ops")
    for name, ms in by_name.most_common(25):
        print(f"  {ms:8.1f} ms  {name}")


if __name__ == "__main__":
    main()

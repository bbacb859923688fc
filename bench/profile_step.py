"""Where the time of the tutorial's train step goes, op by op, with TensorFlow's profiler.

Builds the tutorial's networks and two-tape step (bench/train_speed.py) from Keras' layers
(``--layers keras``) or ganzoo's (``--layers ganzoo``, ganzoo.engine.layers), traces 10 steps at
batch 256 on the embedded data under the chosen dtype policy with one inter-op thread (so
ops do not overlap and their times add up), and prints milliseconds per step by kind of work.

    python bench/profile_step.py --layers keras --policy mixed_bfloat16
    python bench/profile_step.py --layers ganzoo --policy mixed_bfloat16
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_speed import Tutorial, load_images

BATCH, PROFILED_STEPS = 256, 10


def category(name: str, op_type: str) -> str:
    if "Conv2DBackpropFilter" in op_type:
        return "convolution: kernel gradients (oneDNN backward-filter)"
    if "filter_gradient" in name:
        return "convolution: kernel gradients (ganzoo.engine.layers: layout + forward convolution)"
    if "Conv2D" in op_type:
        return "convolution: forward and input gradients"
    if "dropout" in name:
        return "dropout (random draws, masks)"
    if "batch_normalization" in name or "FusedBatchNorm" in op_type:
        return "batch normalization"
    if "leaky_re_lu" in name or "LeakyRelu" in op_type:
        return "LeakyReLU"
    if "adam" in name:
        return "Adam updates"
    if "MatMul" in op_type:
        return "dense layers"
    return "other"


def op_events(logdir: str) -> Iterator[tuple[str, str, float]]:
    """(op name, op type, milliseconds) of every op TensorFlow's profiler traced into
    `logdir` on the host; bench/profile_model.py reads its traces with this too."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace()
    space.ParseFromString(next(Path(logdir).rglob("*.xplane.pb")).read_bytes())
    for plane in space.planes:
        if "host" not in plane.name.lower():
            continue
        names = {k: v.name for k, v in plane.event_metadata.items()}
        for line in plane.lines:
            for event in line.events:
                name = names.get(event.metadata_id, "")
                # Op events are "name:Type"; skip the executor's own ("Executor::Run", ...).
                if ":" not in name or "::" in name or " " in name:
                    continue
                op_name, op_type = name.rsplit(":", 1)
                yield op_name, op_type, event.duration_ps / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--layers", choices=("keras", "ganzoo"), default="ganzoo")
    parser.add_argument("--policy", choices=("float32", "mixed_bfloat16"),
                        default="mixed_bfloat16")
    args = parser.parse_args()

    from ganzoo.engine.runtime import import_tensorflow

    tf = import_tensorflow()
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    keras.mixed_precision.set_global_policy(args.policy)
    tutorial = Tutorial(load_images("fashion-mnist-10k"), BATCH, seed=0,
                        fast_layers=args.layers == "ganzoo")
    unprofiled = BATCH / tutorial.train(20) * 1e3  # ms per step

    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        tutorial.train(PROFILED_STEPS, warm_up=False)
        tf.profiler.experimental.stop()
        events = list(op_events(logdir))

    totals: collections.Counter[str] = collections.Counter()
    for op_name, op_type, ms in events:
        totals[category(op_name, op_type)] += ms / PROFILED_STEPS
    print(f"{args.layers} layers, {args.policy}, batch {BATCH}: {unprofiled:.1f} ms per step "
          f"unprofiled ({BATCH / unprofiled * 1e3:.0f} images/s, one inter-op thread)")
    for what, ms in totals.most_common():
        print(f"  {ms:7.1f} ms  {what}")
    print(f"  {sum(totals.values()):7.1f} ms  all ops (profiled)")


if __name__ == "__main__":
    main()

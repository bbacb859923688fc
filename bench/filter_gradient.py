"""Kernel gradients in bfloat16: oneDNN's backward-filter kernel vs ganzoo's forward convolution.

For the layer shapes of the built-in networks, times ``Conv2DBackpropFilter`` against
``ganzoo.engine.layers.filter_gradient`` (the same gradient as a forward convolution whose reduction
axis is the batch). ``ganzoo.engine.layers.MAX_PIXELS`` / ``MIN_CHANNELS`` follow these figures.

    python bench/filter_gradient.py
"""

from __future__ import annotations

import time

# (what, batch, convolution input H x W x C, convolution output H x W x C, kernel, stride);
# for a transposed convolution the "convolution input" is its output.
CASES = [
    ("tutorial G 7x7 256->128 (stride 1)", 256, (7, 7, 128), (7, 7, 256), 5, 1),
    ("tutorial G 7x7 256->128 (stride 1)", 64, (7, 7, 128), (7, 7, 256), 5, 1),
    ("tutorial D 14x14x64 -> 7x7x128", 64, (14, 14, 64), (7, 7, 128), 5, 2),
    ("dcgan 28x28: 14x14x64 <-> 7x7x128", 64, (14, 14, 64), (7, 7, 128), 4, 2),
    ("dcgan 28x28: 28x28x1 <-> 14x14x64", 64, (28, 28, 1), (14, 14, 64), 4, 2),
    ("dcgan 32x32: 8x8x256 <-> 4x4x512", 64, (8, 8, 256), (4, 4, 512), 4, 2),
    ("dcgan 32x32: 16x16x128 <-> 8x8x256", 64, (16, 16, 128), (8, 8, 256), 4, 2),
    ("dcgan 64x64: 32x32x64 <-> 16x16x128", 64, (32, 32, 64), (16, 16, 128), 4, 2),
    ("began 28x28x64 3x3 stride 1", 64, (28, 28, 64), (28, 28, 64), 3, 1),
    ("began 7x7x192 3x3 stride 1", 16, (7, 7, 192), (7, 7, 192), 3, 1),
]


def ms_per_call(fn, calls: int = 15) -> float:
    fn()
    fn().numpy()
    start = time.perf_counter()
    for _ in range(calls):
        out = fn()
    out.numpy()
    return (time.perf_counter() - start) / calls * 1e3


def main() -> None:
    from ganzoo.engine.runtime import import_tensorflow

    tf = import_tensorflow()
    from ganzoo.engine.layers import filter_gradient

    for what, batch, (h, w, c), (oh, ow, oc), k, s in CASES:
        x = tf.cast(tf.random.normal([batch, h, w, c]), tf.bfloat16)
        dy = tf.cast(tf.random.normal([batch, oh, ow, oc]), tf.bfloat16)
        onednn = ms_per_call(tf.function(lambda x=x, dy=dy, k=k, s=s, c=c, oc=oc:
                                         tf.raw_ops.Conv2DBackpropFilter(
                                             input=x, filter_sizes=[k, k, c, oc],
                                             out_backprop=dy, strides=[1, s, s, 1],
                                             padding="SAME")))
        ours = ms_per_call(tf.function(lambda x=x, dy=dy, k=k, s=s:
                                       filter_gradient(x, dy, (k, k), (s, s), "same")))
        print(f"{what:38s} batch {batch:3d}: oneDNN {onednn:6.2f} ms, forward conv "
              f"{ours:6.2f} ms ({onednn / ours:.2f}x)")


if __name__ == "__main__":
    main()

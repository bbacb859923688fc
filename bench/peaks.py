"""Measured arithmetic peaks of this machine in TensorFlow, float32 and bfloat16.

The useful FLOP/s of bench/train_speed.py are read against these: a 2048^3 matmul and
the forward convolution of the tutorial's largest layer (7x7, 256 -> 128 channels, 5x5
kernel, batch 256), best of several timed repeats after two warm-up calls.

    python bench/peaks.py
"""

from __future__ import annotations

import time


def best_seconds(fn, repeats: int = 5, calls: int = 10) -> float:
    fn()
    fn().numpy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            out = fn()
        out.numpy()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def main() -> None:
    from ganzoo.engine.runtime import import_tensorflow

    tf = import_tensorflow()
    n = 2048
    for dtype in (tf.float32, tf.bfloat16):
        a = tf.cast(tf.random.normal([n, n]), dtype)
        b = tf.cast(tf.random.normal([n, n]), dtype)
        matmul = best_seconds(tf.function(lambda a=a, b=b: tf.matmul(a, b)))
        x = tf.cast(tf.random.normal([256, 7, 7, 256]), dtype)
        k = tf.cast(tf.random.normal([5, 5, 256, 128]), dtype)
        conv = best_seconds(tf.function(lambda x=x, k=k: tf.nn.conv2d(x, k, 1, "SAME")))
        conv_flops = 2 * 256 * 7 * 7 * 5 * 5 * 256 * 128
        print(f"{dtype.name:9s} matmul {2 * n**3 / matmul / 1e9:6.0f} GFLOP/s   "
              f"conv {conv_flops / conv / 1e9:6.0f} GFLOP/s (dense count, padding included)")


if __name__ == "__main__":
    main()

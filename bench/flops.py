"""Analytic FLOP counts (1 multiply-add = 2 FLOPs) for the benchmarked networks.

A strided transposed convolution scatters each *input* pixel over k*k outputs, so it
costs in_h * in_w * k^2 * c_in * c_out multiply-adds: a quarter of the "dense"
count out_h * out_w * k^2 * c_in * c_out at stride 2. BatchNorm, activations and the
optimizer update are left out (they are memory-bound and small here).
"""

from __future__ import annotations


def dense(n_in: int, n_out: int) -> int:
    return n_in * n_out


def conv(out_hw: int, k: int, c_in: int, c_out: int) -> int:
    return out_hw * out_hw * k * k * c_in * c_out


def conv_transpose(in_hw: int, k: int, c_in: int, c_out: int) -> int:
    return in_hw * in_hw * k * k * c_in * c_out


def tutorial_macs() -> tuple[list[int], list[int]]:
    """Per-image multiply-adds of each layer of the tutorial's G and D (28x28x1)."""
    g = [dense(100, 7 * 7 * 256), conv_transpose(7, 5, 256, 128),
         conv_transpose(7, 5, 128, 64), conv_transpose(14, 5, 64, 1)]
    d = [conv(14, 5, 1, 64), conv(7, 5, 64, 128), dense(7 * 7 * 128, 1)]
    return g, d


def tutorial_train_flops_per_image() -> int:
    """FLOPs of one simultaneous (two-tape) train step per real image.

    Forward: G once, D on the real and on the fake batch. Backward: D's weight
    gradients on both batches, D's input gradients on the fake batch (they flow into
    G), G's weight gradients, and G's input gradients for every layer but the first.
    """
    g, d = tutorial_macs()
    forward = sum(g) + 2 * sum(d)
    d_backward = 2 * sum(d) + sum(d)        # weights (real + fake), inputs (fake)
    g_backward = sum(g) + sum(g[1:])        # weights, inputs (not of the first layer)
    return 2 * (forward + d_backward + g_backward)


if __name__ == "__main__":
    g, d = tutorial_macs()
    print(f"G forward {sum(g) / 1e6:.1f} M MACs, D forward {sum(d) / 1e6:.1f} M MACs, "
          f"train step {tutorial_train_flops_per_image() / 1e6:.0f} MFLOP per image")

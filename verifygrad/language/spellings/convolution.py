"""Convolution and pooling."""

from __future__ import annotations

UNSUPPORTED = dict.fromkeys(
    ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "convolve", "correlate",
     "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool2d",
     "adaptive_max_pool2d", "unfold", "fold"),
    "convolutions and pooling",
)  # fmt: skip

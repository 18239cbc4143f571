"""What image layers share, and the layers without parameters: :class:`MaxPool2D`, :class:`Flatten`.

Image layers work on batches ``(batch, C, H, W)``; the convolution itself is
in :mod:`gone.conv`. A network whose first entry is a shape ``(C, H, W)``
takes images (see :class:`gone.Network`).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ...errors import ConfigError, ShapeError
from .base import Layer, register_layer


def _positive(value, what: str) -> int:
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ConfigError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


class _ImageLayer(Layer):
    """What the built-in image layers share: per-sample shapes from ``out_shape``,
    and the old four-argument ``build`` for layers used outside a network."""

    def out_shape(self, in_shape: tuple) -> tuple[int, ...]:  # pragma: no cover - abstract
        raise NotImplementedError

    def build(self, input_shape: tuple, dtype=None, rng=None, default_init=None) -> tuple:
        self.input_shape = tuple(int(n) for n in input_shape)
        self.output_shape = self.out_shape(self.input_shape)
        if dtype is not None:
            self._standalone(dtype, rng, default_init)
        return self.output_shape

    @property
    def in_shape(self) -> tuple | None:
        return self.input_shape

    weight = bias = None

    def _check_input(self, x: np.ndarray) -> None:
        if x.shape[1:] != self.input_shape:
            raise ShapeError(f"{self!r} expects (batch, {', '.join(map(str, self.input_shape))}), "
                             f"got {x.shape}")


class MaxPool2D(_ImageLayer):
    """Max over ``pool x pool`` windows: ``(batch, C, H, W) -> (batch, C, H_out, W_out)``.

    ``stride`` defaults to ``pool`` (non-overlapping windows); rows and columns
    that do not fill a window are dropped. The gradient goes to each
    window's maximum (tied maxima share it when ``stride == pool``, else the first).
    """

    kind = "maxpool2d"

    def __init__(self, pool: int = 2, stride: int | None = None):
        super().__init__()
        self.pool = _positive(pool, "MaxPool2D pool")
        self.stride = self.pool if stride is None else _positive(stride, "MaxPool2D stride")

    def out_shape(self, in_shape: tuple) -> tuple[int, int, int]:
        if len(in_shape) != 3:
            raise ConfigError(f"{self!r} needs image input (C, H, W), got shape {tuple(in_shape)}")
        c, h, w = in_shape
        if h < self.pool or w < self.pool:
            raise ConfigError(f"{self!r}: pool {self.pool} is larger than the input {h}x{w}")
        return c, (h - self.pool) // self.stride + 1, (w - self.pool) // self.stride + 1

    def config(self) -> dict:
        return {"pool": self.pool, "stride": self.stride}

    def kind_params(self) -> dict[str, float]:
        return {"pool": self.pool, "stride": self.stride}

    def _blocks(self, x: np.ndarray) -> np.ndarray:
        """Non-overlapping windows as a view ``(batch, C, H_out, pool, W_out, pool)``."""
        _, ho, wo = self.output_shape
        p = self.pool
        return x[:, :, :ho * p, :wo * p].reshape(len(x), x.shape[1], ho, p, wo, p)

    def _windows(self, x: np.ndarray) -> np.ndarray:
        """Overlapping or gapped windows ``(batch, C, H_out, W_out, pool*pool)``."""
        p, s = self.pool, self.stride
        win = sliding_window_view(x, (p, p), axis=(2, 3))[:, :, ::s, ::s]
        return win.reshape(*win.shape[:4], p * p)

    def predict(self, x: np.ndarray) -> np.ndarray:
        self._check_input(x)
        if self.pool == self.stride:
            return self._blocks(x).max(axis=(3, 5))
        return self._windows(x).max(axis=-1)

    def forward(self, x: np.ndarray, rng):
        self._check_input(x)
        if self.pool == self.stride:
            # The gradient mask marks each window's maximum; tied maxima share the
            # gradient equally (rare with real inputs; a valid subgradient of max).
            blocks, p = self._blocks(x), self.pool
            out = blocks.max(axis=(3, 5))
            mask = blocks == out[:, :, :, None, :, None]
            count = mask.sum(axis=(3, 5), dtype=x.dtype)
            mask = mask.reshape(len(x), x.shape[1], out.shape[2] * p, out.shape[3] * p)
            return out, (mask, None if count.max() == 1 else count, len(x))
        win = self._windows(x)
        arg = win.argmax(axis=-1)
        return np.take_along_axis(win, arg[..., None], axis=-1)[..., 0], (arg, len(x))

    def backward(self, grad_a: np.ndarray, cache, out, need_input_grad: bool = True,
                 scale: float = 1.0):
        """``dL/dx (batch, C, H, W)``: each window's gradient goes to its maximum."""
        if not need_input_grad:
            return None
        c, h, w = self.in_shape
        _, ho, wo = self.output_shape
        p, s = self.pool, self.stride
        if p == s:
            mask, count, batch = cache
            g = grad_a if count is None else grad_a / count
            # Upsample by repeating rows and columns (fast runs), then keep the maxima.
            d = np.repeat(np.repeat(g, p, axis=3)[:, :, :, None, :], p, axis=3)
            d = d.reshape(batch, c, ho * p, wo * p)
            d *= mask
            if ho * p == h and wo * p == w:
                return d
            dx = np.zeros((batch, c, h, w), grad_a.dtype)
            dx[:, :, :ho * p, :wo * p] = d
            return dx
        arg, batch = cache
        dx = np.zeros((batch, c, h, w), grad_a.dtype)
        for k in range(p * p):  # one strided add per window offset
            i, j = divmod(k, p)
            dx[:, :, i:i + s * (ho - 1) + 1:s, j:j + s * (wo - 1) + 1:s] += np.where(
                arg == k, grad_a, 0)
        return dx

    def __repr__(self) -> str:
        return f"MaxPool2D({self.pool}" + (f", stride={self.stride})" if self.stride != self.pool
                                           else ")")


class Flatten(_ImageLayer):
    """``(batch, C, H, W) -> (batch, C*H*W)`` in C order, so a Dense layer can follow."""

    kind = "flatten"

    def out_shape(self, in_shape: tuple) -> tuple[int]:
        return (math.prod(in_shape),)

    def config(self) -> dict:
        return {}

    def predict(self, x: np.ndarray) -> np.ndarray:
        self._check_input(x)
        return x.reshape(len(x), -1)

    def forward(self, x: np.ndarray, rng):
        return self.predict(x), None

    def backward(self, grad_a, cache, out, need_input_grad: bool = True, scale: float = 1.0):
        return grad_a.reshape((len(grad_a),) + self.in_shape) if need_input_grad else None

    def __repr__(self) -> str:
        return "Flatten()"


register_layer(MaxPool2D)
register_layer(Flatten)


def input_shape(first) -> tuple[int, ...] | None:
    """A network's first entry: ``None`` for a flat input size, ``(C, H, W)`` for images."""
    if isinstance(first, (tuple, list)):
        if len(first) != 3 or not all(isinstance(n, (int, np.integer)) and n >= 1 for n in first):
            raise ConfigError(f"an image input shape must be three positive ints (C, H, W), "
                              f"got {first!r}")
        return tuple(int(n) for n in first)
    if hasattr(first, "params") or int(first) != first or first < 1:
        raise ConfigError(f"the first entry must be the input size (an int) or an image "
                          f"shape (C, H, W), got {first!r}")
    return None


def as_images(x: np.ndarray, shape: tuple) -> tuple[np.ndarray, bool]:
    """Image input as ``(batch, C, H, W)`` and whether it was one sample: from one
    image ``(C, H, W)``, a batch ``(batch, C, H, W)``, or flat rows ``(batch, C*H*W)``
    (each row reshaped to ``(C, H, W)`` in C order)."""
    n = math.prod(shape)
    if x.shape == shape:
        return x[None], True
    if x.ndim == 4 and x.shape[1:] == shape:
        return x, False
    if x.ndim == 2 and x.shape[1] == n:
        return x.reshape((len(x),) + shape), False
    want = ", ".join(map(str, shape))
    raise ShapeError(f"layer 0 (input) expects ({want}), (batch, {want}) or (batch, {n}), "
                     f"got {x.shape}")

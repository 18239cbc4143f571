"""Layers for images: :class:`Conv2D`, :class:`MaxPool2D` and :class:`Flatten`.

They work on batches of images ``(batch, C, H, W)`` and sit in a
:class:`~gone.Network` whose first entry is the image shape::

    net = gone.Network([(1, 8, 8), gone.Conv2D(8, 3, padding="same", activation="relu"),
                        gone.MaxPool2D(2), gone.Flatten(), gone.Dense(10, "softmax")],
                       loss="cross_entropy")

A convolution is one matrix product: im2col gathers every receptive field
into a row of ``cols (batch*H_out*W_out, C*kh*kw)`` (a strided view made by
``sliding_window_view``, copied once), so ``z = cols @ W^T + b``. Its weights
are ``(filters, C*kh*kw)`` and live in the network's flat parameter vector
like a Dense layer's, so every optimizer and every evolution operator
handles them. The backward pass adds the column gradients back onto the
input with one strided add per kernel offset (col2im), never a loop over
pixels or samples.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ...errors import ConfigError
from .. import activations as _act
from .. import initializers
from .base import register_layer
from .dense import Dense
from .pool import _ImageLayer, _positive


class Conv2D(_ImageLayer):
    """2-D convolution ``(batch, C, H, W) -> (batch, filters, H_out, W_out)``.

    Args:
        filters: number of output channels.
        kernel: kernel size, an int (square) or ``(kh, kw)``.
        stride: step between receptive fields (both directions).
        padding: zeros added on each side, an int, or ``"same"`` (keeps H and W
            at stride 1; needs an odd kernel).
        activation: applied to every output.
        bias: whether each filter has a bias.
        init: initialiser; fan-in is ``C*kh*kw``. ``None`` uses the network's.
    """

    kind = "conv2d"

    def __init__(self, filters: int, kernel=3, *, stride: int = 1, padding=0,
                 activation="identity", bias: bool = True, init: str | None = None):
        super().__init__()
        self.filters = _positive(filters, "Conv2D filters")
        kh, kw = (kernel, kernel) if np.ndim(kernel) == 0 else tuple(kernel)
        self.kernel = (_positive(kh, "Conv2D kernel"), _positive(kw, "Conv2D kernel"))
        self.stride = _positive(stride, "Conv2D stride")
        if padding == "same":
            if self.kernel[0] % 2 == 0 or self.kernel[1] % 2 == 0:
                raise ConfigError(f"padding='same' needs an odd kernel, got {self.kernel}")
        elif isinstance(padding, bool) or int(padding) != padding or padding < 0:
            raise ConfigError(f"Conv2D padding must be an int >= 0 or 'same', got {padding!r}")
        self.padding = padding if padding == "same" else int(padding)
        self.activation = _act.get(activation)
        self.use_bias = bool(bias)
        self.init = init if init is None else initializers.canonical_name(init)
        initializers.get(self.init or "uniform")
        self._weight: np.ndarray | None = None
        self._bias: np.ndarray | None = None

    def pads(self) -> tuple[int, int]:
        if self.padding == "same":
            return self.kernel[0] // 2, self.kernel[1] // 2
        return self.padding, self.padding

    def out_shape(self, in_shape: tuple) -> tuple[int, int, int]:
        if len(in_shape) != 3:
            raise ConfigError(f"{self!r} needs image input (C, H, W), got shape {tuple(in_shape)}")
        _, h, w = in_shape
        (kh, kw), (ph, pw), s = self.kernel, self.pads(), self.stride
        if h + 2 * ph < kh or w + 2 * pw < kw:
            raise ConfigError(f"{self!r}: kernel {self.kernel} is larger than the padded "
                              f"input {h + 2 * ph}x{w + 2 * pw}")
        return self.filters, (h + 2 * ph - kh) // s + 1, (w + 2 * pw - kw) // s + 1

    def param_shapes(self, in_shape: tuple | None = None) -> list[tuple[int, ...]]:
        """``weight (filters, C*kh*kw)`` and ``bias (filters,)``."""
        in_shape = self.input_shape if in_shape is None else in_shape
        fan_in = in_shape[0] * self.kernel[0] * self.kernel[1]
        return [(self.filters, fan_in)] + ([(self.filters,)] if self.use_bias else [])

    def initial_params(self, rng, dtype, default_init: str) -> list[np.ndarray]:
        init = initializers.get(self.init or default_init)
        w, b = init(rng, self.filters, self.param_shapes()[0][1], np.dtype(dtype))
        return [w, b] if self.use_bias else [w]

    # The same (weight, bias) layout in the network's flat vector as a Dense layer.
    bind = Dense.bind

    @property
    def weight(self):
        """Weights ``(filters, C*kh*kw)``: row f is filter f flattened as ``(C, kh, kw)``."""
        return self._weight

    @property
    def bias(self):
        return self._bias

    @property
    def params(self) -> list[np.ndarray]:
        return [self._weight] if self._bias is None else [self._weight, self._bias]

    def config(self) -> dict:
        return {"filters": self.filters, "kernel": self.kernel, "stride": self.stride,
                "padding": self.padding, "activation": self.activation, "bias": self.use_bias,
                "init": self.init}

    def kind_params(self) -> dict[str, float]:
        return {"filters": self.filters, "kernel_h": self.kernel[0], "kernel_w": self.kernel[1],
                "stride": self.stride, "padding": -1 if self.padding == "same" else self.padding}

    # --- passes -------------------------------------------------------------
    def _cols(self, x: np.ndarray) -> np.ndarray:
        """im2col: ``(batch, C, H, W) -> (batch*H_out*W_out, C*kh*kw)``."""
        self._check_input(x)
        ph, pw = self.pads()
        if ph or pw:
            x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        s = self.stride
        win = sliding_window_view(x, self.kernel, axis=(2, 3))[:, :, ::s, ::s]
        b, c, ho, wo, kh, kw = win.shape
        return win.transpose(0, 2, 3, 1, 4, 5).reshape(b * ho * wo, c * kh * kw)

    def _z(self, cols: np.ndarray) -> np.ndarray:
        z = cols @ self._weight.T
        if self._bias is not None:
            z += self._bias
        return z

    def _to_images(self, rows: np.ndarray, batch: int) -> np.ndarray:
        """``(batch*H_out*W_out, filters) -> (batch, filters, H_out, W_out)`` (a view)."""
        f, ho, wo = self.output_shape
        return rows.reshape(batch, ho, wo, f).transpose(0, 3, 1, 2)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self._to_images(self.activation.fn(self._z(self._cols(x))), len(x))

    def forward(self, x: np.ndarray, rng):
        cols = self._cols(x)
        z = self._z(cols)
        a = self.activation.fn(z)
        return self._to_images(a, len(x)), (cols, z, a, len(x))

    def backward(self, grad_a: np.ndarray, cache, out: list[np.ndarray],
                 need_input_grad: bool = True, scale: float = 1.0):
        """From ``dL/da (batch, filters, H_out, W_out)``: fills ``[dW, db]``, returns ``dL/dx``."""
        cols, z, a, batch = cache
        g = np.ascontiguousarray(grad_a.transpose(0, 2, 3, 1)).reshape(z.shape)
        grad_z = self.activation.backward(z, a, g, overwrite=True)
        np.matmul(grad_z.T, cols, out=out[0])
        if self._bias is not None:
            np.add.reduce(grad_z, axis=0, out=out[1])
        if not need_input_grad:
            return None
        f, (c, kh, kw) = self.filters, (self.in_shape[0], *self.kernel)
        # Weight columns reordered (kh, kw, C): each kernel offset's column
        # gradient is then C adjacent numbers, which col2im adds in runs.
        w_offsets = self._weight.reshape(f, c, kh, kw).transpose(0, 2, 3, 1).reshape(f, -1)
        return self._col2im(grad_z @ w_offsets, batch)

    def _col2im(self, dcols: np.ndarray, batch: int) -> np.ndarray:
        """Add each column gradient back onto the pixel it came from: ``(batch, C, H, W)``.

        ``dcols (batch*H_out*W_out, kh*kw*C)`` is ordered kernel offset first;
        the sum runs in ``(batch, H, W, C)`` layout (long contiguous runs) and the
        result is returned as a transposed view.
        """
        c, h, w = self.in_shape
        (kh, kw), (ph, pw), s = self.kernel, self.pads(), self.stride
        _, ho, wo = self.output_shape
        d = dcols.reshape(batch, ho, wo, kh, kw, c)
        dx = np.zeros((batch, h + 2 * ph, w + 2 * pw, c), dcols.dtype)
        for i in range(kh):
            for j in range(kw):
                dx[:, i:i + s * (ho - 1) + 1:s, j:j + s * (wo - 1) + 1:s] += d[:, :, :, i, j]
        return dx[:, ph:ph + h, pw:pw + w].transpose(0, 3, 1, 2)

    def __repr__(self) -> str:
        k = self.kernel[0] if self.kernel[0] == self.kernel[1] else self.kernel
        extra = f", stride={self.stride}" if self.stride != 1 else ""
        extra += f", padding={self.padding!r}" if self.padding else ""
        extra += "" if self.use_bias else ", bias=False"
        return f"Conv2D({self.filters}, {k}{extra}, activation={self.activation.name!r})"


register_layer(Conv2D)

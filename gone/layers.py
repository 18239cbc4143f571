"""Layers. A layer owns its parameters and knows its forward and backward pass.

Batches are rows: a layer maps ``(batch, n_in)`` to ``(batch, n_out)``.
"""

from __future__ import annotations

import numpy as np

from . import activations as _act
from . import initializers
from .errors import ConfigError, ShapeError


class Dense:
    """A fully connected layer ``a = f(x W^T + b)``.

    ``weight`` has shape ``(units, n_in)`` (the Go library's row layout) and
    ``bias`` ``(units,)``, or is ``None`` when ``bias=False``.

    Args:
        units: number of neurons.
        activation: an activation name (case-insensitive) or :class:`Activation`.
        bias: whether the layer has a bias.
        dropout: probability of zeroing each output during training (inverted
            dropout: kept outputs are scaled by ``1/(1-dropout)``); 0 in predict.
        l2: L2 weight decay; adds ``l2 * weight`` to the weight gradient.
        init: initialiser name for this layer; ``None`` uses the network's.
    """

    kind = "dense"

    def __init__(self, units: int, activation="identity", *, bias: bool = True,
                 dropout: float = 0.0, l2: float = 0.0, init: str | None = None):
        if int(units) != units or units < 1:
            raise ConfigError(f"a Dense layer needs a positive number of units, got {units!r}")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {dropout}")
        if l2 < 0:
            raise ConfigError(f"l2 must be >= 0, got {l2}")
        self.units = int(units)
        self.activation = _act.get(activation)
        self.use_bias = bool(bias)
        self.dropout = float(dropout)
        self.l2 = float(l2)
        self.init = init if init is None else initializers.canonical_name(init)
        initializers.get(self.init or "uniform")  # fail early on a bad name
        self.weight: np.ndarray | None = None
        self.bias: np.ndarray | None = None

    # --- construction -----------------------------------------------------
    def build(self, n_in: int, dtype, rng: np.random.Generator, default_init: str) -> None:
        """Draw ``weight (units, n_in)`` and ``bias (units,)`` with the chosen initialiser."""
        init = initializers.get(self.init or default_init)
        w, b = init(rng, self.units, n_in, np.dtype(dtype))
        self.weight = np.ascontiguousarray(w)
        self.bias = np.ascontiguousarray(b) if self.use_bias else None

    def set_params(self, weight, bias, index: int, dtype) -> None:
        """Install given arrays, checking shapes; ``index`` names the layer in errors."""
        weight = np.array(weight, dtype=dtype, ndmin=2)
        if weight.ndim != 2 or weight.shape[0] != self.units:
            raise ShapeError(
                f"layer {index}: weight must have shape ({self.units}, n_in), got {weight.shape}"
            )
        if self.use_bias:
            if bias is None:
                raise ShapeError(f"layer {index}: bias is missing")
            bias = np.array(bias, dtype=dtype)
            if bias.shape not in ((self.units,), (self.units, 1)):
                raise ShapeError(
                    f"layer {index}: bias must have shape ({self.units},), got {bias.shape}"
                )
            self.bias = np.ascontiguousarray(bias.reshape(self.units))
        elif bias is not None and np.any(np.asarray(bias) != 0):
            raise ShapeError(f"layer {index}: has no bias but a non-zero bias was given")
        self.weight = np.ascontiguousarray(weight)

    @property
    def n_in(self) -> int:
        return self.weight.shape[1]

    @property
    def params(self) -> list[np.ndarray]:
        """The layer's parameter arrays (not copies), weight first."""
        return [self.weight] if self.bias is None else [self.weight, self.bias]

    def config(self) -> dict:
        """Everything but the parameters, as keyword arguments for ``Dense(**config)``."""
        return {"units": self.units, "activation": self.activation, "bias": self.use_bias,
                "dropout": self.dropout, "l2": self.l2, "init": self.init}

    def copy(self) -> "Dense":
        twin = Dense(**self.config())
        twin.weight = self.weight.copy()
        twin.bias = None if self.bias is None else self.bias.copy()
        return twin

    # --- passes -----------------------------------------------------------
    def predict(self, x: np.ndarray) -> np.ndarray:
        """``(batch, n_in) -> (batch, units)`` without dropout or caches."""
        z = x @ self.weight.T
        if self.bias is not None:
            z += self.bias
        return self.activation.fn(z)

    def forward(self, x: np.ndarray, rng: np.random.Generator | None):
        """Training forward pass; returns ``(a, cache)``. Dropout applies when ``rng`` is given."""
        z = x @ self.weight.T
        if self.bias is not None:
            z += self.bias
        a = self.activation.fn(z)
        mask = None
        if self.dropout and rng is not None:
            keep = 1.0 - self.dropout
            mask = (rng.random(a.shape) < keep).astype(a.dtype)
            mask *= a.dtype.type(1.0 / keep)
            a = a * mask
        return a, (x, z, a, mask)

    def backward(self, grad_a: np.ndarray, cache, need_input_grad: bool = True):
        """From ``dL/da (batch, units)`` to ``(dL/dx, [dL/dW, dL/db])``."""
        x, z, a, mask = cache
        if mask is not None:
            grad_a = grad_a * mask
        return self.backward_z(self.activation.backward(z, a, grad_a), cache, need_input_grad)

    def backward_z(self, grad_z: np.ndarray, cache, need_input_grad: bool = True):
        """From ``dL/dz (batch, units)`` to ``(dL/dx or None, [dL/dW, dL/db])``."""
        x = cache[0]
        grad_w = grad_z.T @ x
        if self.l2:
            grad_w += self.weight.dtype.type(self.l2) * self.weight
        grads = [grad_w] if self.bias is None else [grad_w, grad_z.sum(axis=0)]
        grad_x = grad_z @ self.weight if need_input_grad else None
        return grad_x, grads

    def __repr__(self) -> str:
        extra = "" if self.use_bias else ", bias=False"
        extra += f", dropout={self.dropout}" if self.dropout else ""
        extra += f", l2={self.l2}" if self.l2 else ""
        return f"Dense({self.units}, {self.activation.name!r}{extra})"

"""Layers. A layer owns its parameters and knows its forward and backward pass.

Batches are rows: a layer maps ``(batch, n_in)`` to ``(batch, n_out)``.
"""

from __future__ import annotations

import numpy as np

from ...errors import ConfigError, ShapeError
from .. import activations as _act
from .. import initializers
from .base import Layer, register_layer


class Dense(Layer):
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
    units: int = 0  # set per layer (a plain attribute here, not Layer's derived property)

    def __init__(self, units: int, activation="identity", *, bias: bool = True,
                 dropout: float = 0.0, l2: float = 0.0, init: str | None = None):
        if int(units) != units or units < 1:
            raise ConfigError(f"a Dense layer needs a positive number of units, got {units!r}")
        if not 0.0 <= dropout < 1.0:  # also rejects NaN
            raise ConfigError(f"dropout must be in [0, 1), got {dropout}")
        if not 0.0 <= l2 < float("inf"):
            raise ConfigError(f"l2 must be a finite number >= 0, got {l2}")
        self.units = int(units)
        self.activation = _act.get(activation)
        self.use_bias = bool(bias)
        self.dropout = float(dropout)
        self.l2 = float(l2)
        self.init = init if init is None else initializers.canonical_name(init)
        initializers.get(self.init or "uniform")  # fail early on a bad name
        self._weight: np.ndarray | None = None
        self._bias: np.ndarray | None = None

    # --- parameters -------------------------------------------------------
    # The network packs every layer's parameters into one flat vector and hands
    # each layer views into it (see Network._pack), so assigning to ``weight``
    # or ``bias`` copies into the view instead of rebinding the name.
    @property
    def weight(self) -> np.ndarray | None:
        """Weights ``(units, n_in)``; assignment copies into the live array."""
        return self._weight

    @weight.setter
    def weight(self, value) -> None:
        self._assign("_weight", value, "weight")

    @property
    def bias(self) -> np.ndarray | None:
        """Biases ``(units,)``, or None without bias; assignment copies into the live array."""
        return self._bias

    @bias.setter
    def bias(self, value) -> None:
        self._assign("_bias", value, "bias")

    def _assign(self, name: str, value, what: str) -> None:
        current = getattr(self, name)
        if current is None or value is None:
            raise ShapeError(f"cannot replace {what} of {self!r}; build the network instead")
        value = np.asarray(value)
        if value.shape != current.shape:
            raise ShapeError(f"{what} must have shape {current.shape}, got {value.shape}")
        current[...] = value

    def build(self, input_shape, dtype=None, rng=None, default_init=None) -> tuple[int]:
        """Input ``(n_in,)`` (or the int ``n_in``) -> output ``(units,)``.

        With ``dtype`` (and ``rng``) the layer also draws its own parameters,
        for use outside a network; a network binds views of its flat vector instead.
        """
        shape = (input_shape,) if np.ndim(input_shape) == 0 else tuple(input_shape)
        if len(shape) != 1:
            raise ConfigError(f"{self!r} needs flat input, got shape {shape}; "
                              "put gone.Flatten() before it")
        self.input_shape, self.output_shape = (int(shape[0]),), (self.units,)
        if dtype is not None:
            self._standalone(dtype, rng, default_init)
        return self.output_shape

    def param_shapes(self, n_in: int | None = None) -> list[tuple[int, ...]]:
        """Shapes of this layer's parameters, weight ``(units, n_in)`` first."""
        n_in = self.input_shape[0] if n_in is None else n_in
        return [(self.units, n_in)] + ([(self.units,)] if self.use_bias else [])

    def initial_params(self, rng, dtype, default_init: str) -> list[np.ndarray]:
        """``weight (units, n_in)`` and ``bias (units,)`` from the chosen initialiser."""
        init = initializers.get(self.init or default_init)
        w, b = init(rng, self.units, self.input_shape[0], np.dtype(dtype))
        return [w, b] if self.use_bias else [w]

    def bind(self, views: list[np.ndarray]) -> None:
        """Adopt ``views`` (slices of the network's flat vector) as weight and bias."""
        self._weight = views[0]
        self._bias = views[1] if self.use_bias else None

    def set_params(self, weight, bias, index: int) -> None:
        """Copy given arrays into the layer, checking shapes; ``index`` names the layer in errors."""
        weight = np.asarray(weight)
        if weight.shape != self._weight.shape:
            raise ShapeError(f"layer {index}: weight must have shape {self._weight.shape}, "
                             f"got {weight.shape}")
        self._weight[...] = weight
        if self.use_bias:
            if bias is None:
                raise ShapeError(f"layer {index}: bias is missing")
            bias = np.asarray(bias)
            if bias.shape not in ((self.units,), (self.units, 1)):
                raise ShapeError(
                    f"layer {index}: bias must have shape ({self.units},), got {bias.shape}"
                )
            self._bias[...] = bias.reshape(self.units)
        elif bias is not None and np.any(np.asarray(bias) != 0):
            raise ShapeError(f"layer {index}: has no bias but a non-zero bias was given")

    @property
    def n_in(self) -> int:
        return self._weight.shape[1] if self._weight is not None else self.input_shape[0]

    @property
    def params(self) -> list[np.ndarray]:
        """The layer's parameter arrays (not copies), weight first."""
        return [self._weight] if self._bias is None else [self._weight, self._bias]

    def config(self) -> dict:
        """Everything but the parameters, as keyword arguments for ``Dense(**config)``."""
        return {"units": self.units, "activation": self.activation, "bias": self.use_bias,
                "dropout": self.dropout, "l2": self.l2, "init": self.init}

    def kind_params(self) -> dict[str, float]:
        return {}

    # --- passes -----------------------------------------------------------
    def predict(self, x: np.ndarray) -> np.ndarray:
        """``(batch, n_in) -> (batch, units)`` without dropout or caches."""
        z = x @ self._weight.T
        if self._bias is not None:
            z += self._bias
        return self.activation.fn(z)

    def forward(self, x: np.ndarray, rng: np.random.Generator | None):
        """Training forward pass; returns ``(a, cache)``. Dropout applies when ``rng`` is given."""
        z = x @ self._weight.T
        if self._bias is not None:
            z += self._bias
        a = self.activation.fn(z)
        if not (self.dropout and rng is not None):
            return a, (x, z, a, None)
        keep = 1.0 - self.dropout
        mask = (rng.random(a.shape) < keep).astype(a.dtype)
        mask *= a.dtype.type(1.0 / keep)
        # The cache keeps the activation before the mask: the activation's
        # derivative (sigmoid' = a(1-a)) needs f(z), not the masked output.
        return a * mask, (x, z, a, mask)

    def backward(self, grad_a: np.ndarray, cache, out: list[np.ndarray],
                 need_input_grad: bool = True, scale: float = 1.0):
        """From ``dL/da (batch, units)``: writes ``[dL/dW, dL/db]`` into ``out``, returns ``dL/dx``.

        ``grad_a`` is consumed (overwritten): the network passes scratch arrays.
        """
        x, z, a, mask = cache  # a: the activation before dropout's mask
        if mask is not None:  # d(a*mask)/da = mask, then the activation's own derivative
            grad_a *= mask
        grad_z = self.activation.backward(z, a, grad_a, overwrite=True)
        return self.backward_z(grad_z, cache, out, need_input_grad, scale)

    def backward_z(self, grad_z: np.ndarray, cache, out: list[np.ndarray],
                   need_input_grad: bool = True, scale: float = 1.0):
        """From ``dL/dz (batch, units)``: writes ``[dL/dW, dL/db]`` into ``out``, returns ``dL/dx``.

        ``out`` holds arrays shaped like ``params`` (views of the network's
        flat gradient vector), so no gradient array is allocated per step.
        ``scale`` is the factor already applied to ``grad_z`` (a folded learning
        rate); the L2 term gets it too.
        """
        np.matmul(grad_z.T, cache[0], out=out[0])
        if self.l2:
            out[0] += self._weight.dtype.type(self.l2 * scale) * self._weight
        if self._bias is not None:
            np.add.reduce(grad_z, axis=0, out=out[1])
        return grad_z @ self._weight if need_input_grad else None

    def __repr__(self) -> str:
        if type(self) is not Dense:
            return super().__repr__()
        extra = "" if self.use_bias else ", bias=False"
        extra += f", dropout={self.dropout}" if self.dropout else ""
        extra += f", l2={self.l2}" if self.l2 else ""
        return f"Dense({self.units}, {self.activation.name!r}{extra})"


register_layer(Dense)

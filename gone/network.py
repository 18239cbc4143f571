"""The layered feed-forward network.

A :class:`Network` chains :class:`~gone.layers.Dense` layers like the Go
library's ``New(0.1, MSE(), Layer{2}, Layer{4, Sigmoid()}, Layer{1})``::

    net = gone.Network([2, gone.Dense(4, "sigmoid"), 1], loss="mse", learning_rate=0.1)

The first entry is the input size (the input layer has no activation); every
later entry is a ``Dense`` layer or a plain int, meaning ``Dense(n)`` with the
identity activation (the Go library's default).

For images the first entry is the per-sample shape ``(C, H, W)`` and the
layers may include :class:`~gone.conv.Conv2D`, :class:`~gone.layers_image.MaxPool2D`
and :class:`~gone.layers_image.Flatten` (which must come before the first Dense)::

    net = gone.Network([(1, 8, 8), gone.Conv2D(8, 3, padding="same", activation="relu"),
                        gone.MaxPool2D(2), gone.Flatten(), gone.Dense(10, "softmax")],
                       loss="cross_entropy")
"""

from __future__ import annotations

from numbers import Real
from typing import Sequence

import numpy as np

from . import losses as _losses
from . import translate as _translate
from .errors import ConfigError, InputError, ShapeError
from .evolution import genome as _genome
from .evolution import operators as _ops
from .layers_image import _ImageLayer, as_images, input_shape
from .layers import Dense
from .rng import make_rng

_DTYPES = {"float64": np.float64, "float32": np.float32}


def _as_dtype(dtype) -> np.dtype:
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype.lower()
    if name not in _DTYPES:
        raise ConfigError(f"dtype must be float64 or float32, got {dtype!r}")
    return np.dtype(_DTYPES[name])


class Network:
    """A feed-forward network of dense layers.

    Args:
        layers: ``[n_in, layer, layer, ...]``; each layer a :class:`Dense` or an int.
            For images ``[(C, H, W), Conv2D(...), MaxPool2D(...), Flatten(), Dense(...), ...]``;
            the last layer must be Dense.
        loss: loss name (``"mse"``, ``"cross_entropy"``, ``"binary_cross_entropy"``)
            or a :class:`~gone.losses.Loss`.
        learning_rate: default step size for optimizers created without one.
        init: default initialiser (``"xavier"``, ``"he"``, or ``"uniform"``, the
            Go library's U[-1, 1)); a layer's own ``init`` wins.
        dtype: ``"float64"`` (default) or ``"float32"``; weights, activations and
            gradients all use it.
        seed: int or ``numpy.random.Generator`` for the initial weights; the
            network keeps the generator for shuffling and dropout in ``train``.
    """

    def __init__(self, layers: Sequence, *, loss="mse", learning_rate: float = 0.1,
                 init: str = "xavier", dtype="float64", seed=None, metadata: dict | None = None):
        if len(layers) < 2:
            raise ConfigError("a network needs an input size and at least one layer")
        self.input_shape = input_shape(layers[0])
        self.dtype = _as_dtype(dtype)
        self.loss = _losses.get(loss)
        if not (isinstance(learning_rate, Real) and 0 < learning_rate < float("inf")):
            raise ConfigError(f"learning_rate must be a positive number, got {learning_rate!r}")
        self.learning_rate = float(learning_rate)
        self.init = init
        self.rng = make_rng(seed)
        self.optimizer = None  # the last optimizer used, saved with the network
        self.metadata = dict(metadata or {})
        self.layers: list[Dense] = []
        shape = self.input_shape or (int(layers[0]),)
        for i, spec in enumerate(layers[1:], start=1):
            if isinstance(spec, _ImageLayer):
                layer = type(spec)(**spec.config())
                layer.build(shape, self.dtype, self.rng, init)
                shape = layer.output_shape
            else:
                layer = Dense(spec) if not isinstance(spec, Dense) else Dense(**spec.config())
                if len(shape) != 1:
                    raise ConfigError(f"layer {i} ({layer!r}) needs flat input but layer {i - 1} "
                                      f"gives shape {shape}; put gone.Flatten() before it")
                layer.build(shape[0], self.dtype, self.rng, init)
                shape = (layer.units,)
            self.layers.append(layer)
        if not isinstance(self.layers[-1], Dense):
            raise ConfigError(f"the output layer must be Dense, got {self.layers[-1]!r}")
        if self.layers[-1].dropout:
            raise ConfigError("the output layer cannot have dropout")
        self._pack()

    def _pack(self) -> None:
        """Move every parameter into one flat vector (layers keep views into it).

        One vector makes an optimizer step a few operations on a single array
        however deep the network is, and makes the genome a plain copy. A
        second vector of the same layout receives the gradients.
        """
        n = sum(p.size for layer in self.layers for p in layer.params)
        self._flat = np.empty(n, self.dtype)
        self._grad = np.empty(n, self.dtype)
        self._grad_views = []
        start = 0
        for layer in self.layers:
            views, grads = [], []
            for p in layer.params:
                views.append(self._flat[start:start + p.size].reshape(p.shape))
                grads.append(self._grad[start:start + p.size].reshape(p.shape))
                start += p.size
            layer.bind(views)
            self._grad_views.append(grads)

    # --- construction from arrays ----------------------------------------
    @classmethod
    def from_arrays(cls, weights: Sequence, biases: Sequence | None = None,
                    activations: Sequence | str = "identity", **kwargs) -> "Network":
        """Build a network from weight matrices ``(n_out, n_in)`` and biases ``(n_out,)``.

        ``activations`` is one name for every layer or one per layer (input
        excluded); ``biases`` may be ``None`` (no biases) or hold ``None`` entries
        for layers without bias. Every shape is checked; ``kwargs`` go to ``Network``.
        """
        weights = [np.asarray(w) for w in weights]
        if not weights:
            raise ShapeError("from_arrays needs at least one weight matrix")
        biases = [None] * len(weights) if biases is None else list(biases)
        acts = [activations] * len(weights) if isinstance(activations, str) else list(activations)
        if len(biases) != len(weights) or len(acts) != len(weights):
            raise ShapeError(f"got {len(weights)} weight matrices, {len(biases)} biases "
                             f"and {len(acts)} activations; these counts must agree")
        for i, w in enumerate(weights):
            if w.ndim != 2:
                raise ShapeError(f"layer {i}: weight must be 2-D (n_out, n_in), got shape {w.shape}")
            if i and w.shape[1] != weights[i - 1].shape[0]:
                raise ShapeError(f"layer {i}: weight has shape {w.shape} but layer {i - 1} "
                                 f"has {weights[i - 1].shape[0]} outputs")
        specs = [Dense(w.shape[0], a, bias=b is not None) for w, a, b in zip(weights, acts, biases)]
        net = cls([weights[0].shape[1], *specs], seed=0, **kwargs)
        for i, (layer, w, b) in enumerate(zip(net.layers, weights, biases)):
            layer.set_params(w, b, i)
        return net

    def to_arrays(self) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
        """Copies of the weight matrices ``(n_out, n_in)`` and biases ``(n_out,)`` (None if absent)."""
        if self.input_shape is not None:
            raise ConfigError("to_arrays is for dense networks; use net.params for image layers")
        return ([l.weight.copy() for l in self.layers],
                [None if l.bias is None else l.bias.copy() for l in self.layers])

    # --- shape facts ------------------------------------------------------
    @property
    def sizes(self) -> list[int]:
        """Units per layer, input first, e.g. ``[2, 4, 1]``."""
        return [self.layers[0].n_in] + [l.units for l in self.layers]

    @property
    def n_inputs(self) -> int:
        return self.layers[0].n_in

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].units

    @property
    def params(self) -> list[np.ndarray]:
        """Every parameter array (the live arrays, not copies), in genome order."""
        return [p for layer in self.layers for p in layer.params]

    @property
    def flat(self) -> np.ndarray:
        """All parameters as one live vector ``(n_params,)``, in genome order (writes go through)."""
        return self._flat

    @property
    def n_params(self) -> int:
        return self._flat.size

    def architecture(self) -> tuple:
        """What two networks must share to exchange genes: parameter shapes per layer
        (and, for image layers, their kind and output shape)."""
        return tuple(tuple(p.shape for p in layer.params) if layer.kind == "dense"
                     else (layer.kind, tuple(p.shape for p in layer.params), layer.output_shape)
                     for layer in self.layers)

    # --- forward ----------------------------------------------------------
    def _as_batch(self, x, what: str = "input") -> tuple[np.ndarray, bool]:
        """``x`` as ``(batch, n_in)`` (or ``(batch, C, H, W)``) in the network dtype,
        and whether it was one sample."""
        try:
            x = np.asarray(x, dtype=self.dtype)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{what} must be numbers (use translate_in= to map symbols): {exc}") from None
        if self.input_shape is not None:
            return as_images(x, self.input_shape)
        n = self.n_inputs
        if x.ndim == 1 and x.shape[0] == n:
            return x[None, :], True
        if x.ndim == 2 and x.shape[1] == n:
            return x, False
        got = f"({x.shape[0]},)" if x.ndim == 1 else f"(batch, {x.shape[-1]})" if x.ndim == 2 else str(x.shape)
        raise ShapeError(f"layer 0 (input) expects ({n},) or (batch, {n}), got {got}")

    def predict(self, x, *, translate_in=None, translate_out=None):
        """Outputs for one sample ``(n_in,) -> (n_out,)`` or a batch ``(batch, n_in) -> (batch, n_out)``.

        An image network takes one image ``(C, H, W)``, a batch ``(batch, C, H, W)``
        or flat rows ``(batch, C*H*W)`` (each row reshaped to ``(C, H, W)`` in C order).

        ``translate_in`` maps symbols to numbers before the pass (e.g. letters
        to floats); ``translate_out`` decodes each output to the nearest symbol.
        See :mod:`gone.translate`.
        """
        if translate_in is not None:
            x = _translate.encode(x, translate_in, self.n_inputs)
        a, single = self._as_batch(x)
        for layer in self.layers:
            a = layer.predict(a)
        out = a[0] if single else a
        if translate_out is not None:
            return _translate.decode(out, translate_out)
        return out

    __call__ = predict

    # --- gradients --------------------------------------------------------
    def _forward_train(self, x: np.ndarray, rng):
        caches = []
        for layer in self.layers:
            x, cache = layer.forward(x, rng)
            caches.append(cache)
        return x, caches

    def _top_grad(self, out: np.ndarray, y: np.ndarray, caches) -> tuple[float, np.ndarray]:
        """The loss and its gradient w.r.t. the output layer's pre-activation ``(batch, n_out)``."""
        last = self.layers[-1]
        # Fusion is keyed by activation name: "softmax"/"sigmoid" are the built-ins
        # (re-registering those names with other maths is not supported).
        fused = self.loss.fused.get(last.activation.name)
        if fused is not None:
            return self.loss.fn(out, y), fused(out, y)
        loss, grad_a = self.loss.value_and_grad(out, y)
        _, z, a, _ = caches[-1]
        return loss, last.activation.backward(z, a, grad_a, overwrite=self.loss.fresh_grad)

    def _backward(self, grad_z: np.ndarray, caches, scale: float = 1.0) -> np.ndarray:
        """Fill the flat gradient vector ``(n_params,)`` from the top gradient; return it.

        ``scale`` multiplies every gradient (optimizers that fold the learning
        rate in); applying it to the small top gradient costs almost nothing.
        The vector is reused by the next call: consume it (an optimizer step) first.
        """
        if scale != 1.0:
            grad_z = grad_z * scale
        top = len(self.layers) - 1
        grad_x = self.layers[top].backward_z(grad_z, caches[top], self._grad_views[top],
                                             top > 0, scale)
        for i in range(top - 1, -1, -1):
            grad_x = self.layers[i].backward(grad_x, caches[i], self._grad_views[i], i > 0, scale)
        return self._grad

    def gradients(self, x, y, *, rng=None) -> tuple[float, list[np.ndarray]]:
        """Loss and its gradient for every parameter (copies, shaped like ``params``), on a batch.

        Dropout is applied only if ``rng`` is given.
        """
        x, _ = self._as_batch(x)
        y = self._targets(y, len(x))
        out, caches = self._forward_train(x, rng)
        loss, grad_z = self._top_grad(out, y, caches)
        self._backward(grad_z, caches)
        return loss, [g.copy() for grads in self._grad_views for g in grads]

    def _targets(self, y, batch: int) -> np.ndarray:
        """Targets as ``(batch, n_out)``; 1-D integer labels become one-hot rows."""
        y = np.asarray(y)
        n_out = self.n_outputs
        if y.ndim == 1 and n_out > 1 and np.issubdtype(y.dtype, np.integer):
            if y.size and (y.min() < 0 or y.max() >= n_out):
                raise ShapeError(f"class labels must be in [0, {n_out}), got {y.min()}..{y.max()}")
            y = np.eye(n_out, dtype=self.dtype)[y]
        elif y.ndim == 1 and (n_out == 1 and len(y) == batch or len(y) == n_out and batch == 1):
            y = y.reshape(batch, n_out)  # one value per sample, or one sample's targets
        try:
            y = np.asarray(y, dtype=self.dtype)
        except (TypeError, ValueError) as exc:
            raise InputError(f"targets must be numbers: {exc}") from None
        if y.shape != (batch, n_out):
            raise ShapeError(f"layer {len(self.layers)} (output) produces (batch, {n_out}) "
                             f"for {batch} samples but targets have shape {y.shape}")
        return y

    # --- training (see gone.training) ----------------------------------------
    def train(self, inputs, targets=None, **kwargs):
        """Train by backprop; see :func:`gone.training.train` for every option."""
        from .training import train

        return train(self, inputs, targets, **kwargs)

    def train_step(self, x, y, optimizer=None) -> float:
        """One update on one sample ``(n_in,)`` or one batch ``(batch, n_in)``; returns the loss."""
        from .training import train_step

        return train_step(self, x, y, optimizer)

    def evaluate(self, x, y) -> dict:
        """``{"loss": ..., "accuracy": ...}`` on a data set (accuracy when targets are classes)."""
        from .training import evaluate

        return evaluate(self, x, y)

    # --- evolution operators ------------------------------------------------
    def copy(self) -> "Network":
        """A deep, independent copy (parameters, settings, optimizer state, metadata)."""
        import copy as _copy

        twin = object.__new__(Network)
        twin.__dict__.update(self.__dict__)
        twin.layers = [layer.copy() for layer in self.layers]
        twin._pack()
        twin.rng = _copy.deepcopy(self.rng)
        twin.optimizer = _copy.deepcopy(self.optimizer)
        twin.metadata = _copy.deepcopy(self.metadata)
        return twin

    def genome(self) -> np.ndarray:
        """Every parameter flattened into one vector ``(n_params,)`` (a copy)."""
        return _genome.to_vector(self)

    def set_genome(self, vector) -> "Network":
        """Overwrite the parameters from a vector ``(n_params,)``; returns self."""
        _genome.assign(self, vector)
        return self

    def with_genome(self, vector) -> "Network":
        """A copy of this network carrying the parameters in ``vector``."""
        return self.copy().set_genome(vector)

    def _check_partner(self, other: "Network") -> None:
        if not isinstance(other, Network):
            raise ConfigError(f"can only cross a Network with a Network, got {type(other).__name__}")
        mine, theirs = self.architecture(), other.architecture()
        if mine != theirs:
            raise ShapeError(f"parents have different architectures: {self.sizes} "
                             f"({mine}) vs {other.sizes} ({theirs})")

    def crossover(self, other: "Network", rng, method: str = "layer", k: int | None = None) -> "Network":
        """A child of ``self`` and ``other``.

        ``method="layer"``: one-point layer-wise, layers ``[0, k)`` from self and
        ``[k, L)`` from other; ``k`` is drawn uniformly from 1..L-1 (0 or 1 when
        the network has one layer) unless given. ``method="uniform"``: each
        gene from either parent with probability 1/2. The child has self's
        settings (activations, loss, learning rate).
        """
        self._check_partner(other)
        rng = make_rng(rng)
        a, b = self.genome(), other.genome()
        bounds = _genome.layer_bounds(self)
        if method == "layer":
            if k is None:
                k = _ops.draw_crossover_point(len(bounds) - 1, rng)
            child = _ops.layer_crossover(a, b, k, bounds)
        elif method == "uniform":
            child = _ops.uniform_crossover(a, b, rng)
        else:
            raise ConfigError(f"unknown crossover method {method!r}; use 'layer' or 'uniform'")
        return self.with_genome(child)

    def mutate(self, mutator, rng) -> "Network":
        """Mutate the parameters in place with ``mutator(genomes, rng)``; returns self."""
        return self.set_genome(mutator(self.genome(), make_rng(rng)))

    # --- files ------------------------------------------------------------
    def save(self, path) -> None:
        """Write a ``.gone`` file atomically (see :mod:`gone.io`)."""
        from .io import save

        save(self, path)

    def to_onnx(self, path=None):
        """Export as ONNX (see :func:`gone.interop.to_onnx`); needs the ``onnx`` extra."""
        from .interop import to_onnx

        return to_onnx(self, path)

    def to_torch(self):
        """A ``torch.nn.Sequential`` copy (see :func:`gone.interop.to_torch`); needs ``torch``."""
        from .interop import to_torch

        return to_torch(self)

    def summary(self) -> str:
        inputs = f"input {self.input_shape}  " if self.input_shape else ""
        lines = [f"Network {inputs}{self.sizes}  loss={self.loss.name}  lr={self.learning_rate:g}  "
                 f"dtype={self.dtype.name}  params={self.n_params}"]
        for i, layer in enumerate(self.layers, 1):
            lines.append(f"  layer {i}: {layer!r}  params={sum(p.size for p in layer.params)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        acts = ", ".join(l.activation.name for l in self.layers)
        if self.input_shape:
            return (f"Network(input_shape={self.input_shape}, layers={self.layers}, "
                    f"loss={self.loss.name!r})")
        return f"Network(sizes={self.sizes}, activations=[{acts}], loss={self.loss.name!r})"


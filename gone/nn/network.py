"""The layered feed-forward network.

A :class:`Network` chains :class:`~gone.layers.Dense` layers like the Go
library's ``New(0.1, MSE(), Layer{2}, Layer{4, Sigmoid()}, Layer{1})``::

    net = gone.Network([2, gone.Dense(4, "sigmoid"), 1], loss="mse", learning_rate=0.1)

The first entry is the input size (the input layer has no activation); every
later entry is a ``Dense`` layer or a plain int, meaning ``Dense(n)`` with the
identity activation (the Go library's default).

For images the first entry is the per-sample shape ``(C, H, W)`` and the
layers may include :class:`~gone.Conv2D`, :class:`~gone.MaxPool2D`
and :class:`~gone.Flatten` (which must come before the first Dense)::

    net = gone.Network([(1, 8, 8), gone.Conv2D(8, 3, padding="same", activation="relu"),
                        gone.MaxPool2D(2), gone.Flatten(), gone.Dense(10, "softmax")],
                       loss="cross_entropy")
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Sequence

import numpy as np

from .._base import persistence
from .._base.rng import make_rng
from ..errors import ConfigError, InputError, ShapeError
from . import arrays as _arrays
from . import genome as _genome
from . import losses as _losses
from . import training as _training
from . import translate as _translate
from .layers import Dense, Layer, build_layer, from_spec
from .layers.pool import as_images, input_shape

_IDENTITY = Layer.activation
_DTYPES = {"float64": np.float64, "float32": np.float32}


def _as_dtype(dtype) -> np.dtype:
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype.lower()
    if name not in _DTYPES:
        raise ConfigError(f"dtype must be float64 or float32, got {dtype!r}")
    return np.dtype(_DTYPES[name])


def _copy_rng(rng: np.random.Generator) -> np.random.Generator:
    """An independent generator in the same state (same bit generator type)."""
    bits = type(rng.bit_generator)()
    bits.state = rng.bit_generator.state
    return np.random.Generator(bits)


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
        self.layers: list[Layer] = []
        shape, previous = self.input_shape or (int(layers[0]),), "the input"
        for i, spec in enumerate(layers[1:], start=1):
            layer = from_spec(spec, i)
            try:
                shape = build_layer(layer, shape)
            except ConfigError as exc:
                raise ConfigError(f"layer {i} ({layer!r}) after {previous} with output shape "
                                  f"{shape}: {exc}") from None
            self.layers.append(layer)
            previous = f"layer {i}"
        if len(shape) != 1:
            raise ConfigError(f"the output layer must give flat output (n_out,), "
                              f"{self.layers[-1]!r} gives {shape}; end with Flatten() and Dense")
        if getattr(self.layers[-1], "dropout", 0):
            raise ConfigError("the output layer cannot have dropout")
        self._allocate()
        for layer, views in zip(self.layers, self._param_views):
            values = layer.initial_params(self.rng, self.dtype, init)
            for view, value in zip(views, values):
                view[...] = value  # in layer order: the same seed draws the same weights
        self._setup()

    def _allocate(self) -> None:
        """Put every parameter in one flat vector and bind each layer to views of it.

        One vector makes an optimizer step a few operations on a single array
        however deep the network is, and makes the genome a plain copy. A
        second vector of the same layout receives the gradients.
        """
        shapes = [[tuple(s) for s in layer.param_shapes()] for layer in self.layers]
        n = sum(int(np.prod(s)) for layer_shapes in shapes for s in layer_shapes)
        self._flat = np.zeros(n, self.dtype)
        self._grad = np.empty(n, self.dtype)
        self._param_views, self._grad_views, start = [], [], 0
        for layer, layer_shapes in zip(self.layers, shapes):
            views, grads = [], []
            for shape in layer_shapes:
                size = int(np.prod(shape))
                views.append(self._flat[start:start + size].reshape(shape))
                grads.append(self._grad[start:start + size].reshape(shape))
                start += size
            layer.bind(views)
            self._param_views.append(views)
            self._grad_views.append(grads)

    def _setup(self) -> None:
        """Facts the passes use: whether the output layer is a plain Dense (its
        activation is then folded into the loss's gradient)."""
        last = self.layers[-1]
        self._dense_top = isinstance(last, Dense) and type(last).backward is Dense.backward
        self._n_in = int(np.prod(self.layers[0].input_shape))
        self._n_out = self.layers[-1].output_shape[0]

    # --- construction from arrays ----------------------------------------
    @classmethod
    def from_arrays(cls, weights: Sequence, biases: Sequence | None = None,
                    activations: Sequence | str = "identity", **kwargs) -> "Network":
        """Build a dense network from weight matrices ``(n_out, n_in)`` and biases ``(n_out,)``.

        ``activations`` is one name (or Activation) for every layer or one per
        layer (input excluded); ``biases`` may be ``None`` (no biases) or hold
        ``None`` entries for layers without bias. Every shape is checked;
        ``kwargs`` go to ``Network``. ``Network.from_arrays(*net.to_arrays())``
        rebuilds ``net``'s layers.
        """
        return _arrays.from_arrays(cls, weights, biases, activations, **kwargs)

    def to_arrays(self) -> tuple[list[np.ndarray], list[np.ndarray | None], list]:
        """``(weights, biases, activations)``: copies of each layer's weight ``(n_out, n_in)``
        and bias ``(n_out,)`` (None if absent), and its activation (a name, or the
        Activation when it has parameters). Dense networks only."""
        return _arrays.to_arrays(self)

    # --- shape facts ------------------------------------------------------
    @property
    def sizes(self) -> list[int]:
        """Outputs per sample of each layer, input first, e.g. ``[2, 4, 1]``."""
        return [self.n_inputs] + [math.prod(l.output_shape) for l in self.layers]

    @property
    def n_inputs(self) -> int:
        return self._n_in

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].output_shape[0]

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
        return tuple(tuple(p.shape for p in layer.params) if type(layer) is Dense
                     else (layer.kind, tuple(p.shape for p in layer.params), layer.output_shape)
                     for layer in self.layers)

    # --- forward ----------------------------------------------------------
    def as_batch(self, x, what: str = "input") -> tuple[np.ndarray, bool]:
        """``x`` as ``(batch, n_in)`` (or ``(batch, C, H, W)``) in the network dtype,
        and whether it was one sample."""
        if type(x) is np.ndarray and x.dtype is self.dtype and x.ndim == 2 \
                and x.shape[1] == self._n_in and self.input_shape is None:
            return x, False  # the training loop's case, without the checks below
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
        got = (f"({x.shape[0]},)" if x.ndim == 1 else f"(batch, {x.shape[-1]})" if x.ndim == 2
               else str(x.shape))
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
        a, single = self.as_batch(x)
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
        """The loss and its gradient w.r.t. the output layer's pre-activation ``(batch, n_out)``
        (w.r.t. its output when the output layer is not a plain Dense)."""
        last = self.layers[-1]
        if not self._dense_top:
            loss, grad_a = self.loss.value_and_grad(out, y)
            return loss, grad_a if self.loss.fresh_grad else grad_a.copy()
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
        last = self.layers[top]
        backward = last.backward_z if self._dense_top else last.backward
        grad_x = backward(grad_z, caches[top], self._grad_views[top], top > 0, scale)
        for i in range(top - 1, -1, -1):
            grad_x = self.layers[i].backward(grad_x, caches[i], self._grad_views[i], i > 0, scale)
        return self._grad

    def loss_and_grad(self, x, y, *, rng=None, scale: float = 1.0, with_output: bool = False):
        """The loss on a batch and its gradient w.r.t. every parameter, ``(loss, grad (n_params,))``.

        ``grad`` is laid out like :attr:`flat` and is the network's own buffer,
        overwritten by the next call: copy it to keep it. Dropout is applied
        only if ``rng`` (a Generator) is given. ``scale`` multiplies the
        gradient (an optimizer that folds its learning rate in). With
        ``with_output=True`` the training-mode output ``(batch, n_out)`` comes third.
        """
        x, _ = self.as_batch(x)
        loss, grad, out = self.batch_loss_and_grad(x, self.as_targets(y, len(x)), rng, scale)
        return (loss, grad, out) if with_output else (loss, grad)

    def batch_loss_and_grad(self, x: np.ndarray, y: np.ndarray, rng=None, scale: float = 1.0):
        """:meth:`loss_and_grad` without the input checks, for loops that checked once:
        ``x`` and ``y`` as :meth:`as_batch` and :meth:`as_targets` return them.
        Returns ``(loss, grad (n_params,), output (batch, n_out))``."""
        out, caches = self._forward_train(x, rng)
        loss, grad_z = self._top_grad(out, y, caches)
        return loss, self._backward(grad_z, caches, scale), out

    def gradients(self, x, y, *, rng=None) -> tuple[float, list[np.ndarray]]:
        """Loss and its gradient for every parameter (copies, shaped like ``params``), on a batch.

        Dropout is applied only if ``rng`` is given.
        """
        loss, _ = self.loss_and_grad(x, y, rng=rng)
        return loss, [g.copy() for grads in self._grad_views for g in grads]

    def as_targets(self, y, batch: int) -> np.ndarray:
        """Targets as ``(batch, n_out)``; 1-D integer labels become one-hot rows."""
        if type(y) is np.ndarray and y.dtype is self.dtype and y.ndim == 2 \
                and y.shape[0] == batch and y.shape[1] == self._n_out:
            return y
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

    _as_batch, _targets = as_batch, as_targets  # the names before they were public

    # --- training (see gone.training) ----------------------------------------
    def train(self, inputs, targets=None, **kwargs):
        """Train by backprop; see :func:`gone.training.train` for every option."""
        return _training.train(self, inputs, targets, **kwargs)

    def train_step(self, x, y, optimizer=None) -> float:
        """One update on one sample ``(n_in,)`` or one batch ``(batch, n_in)``; returns the loss."""
        return _training.train_step(self, x, y, optimizer)

    def evaluate(self, x, y) -> dict:
        """``{"loss": ..., "accuracy": ...}`` on a data set (accuracy when targets are classes)."""
        return _training.evaluate(self, x, y)

    # --- evolution operators ------------------------------------------------
    def copy(self) -> "Network":
        """A deep, independent copy (layers of the same classes, parameters, settings,
        optimizer state, metadata), rebuilt from each layer's config."""
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        twin.layers = []
        for layer in self.layers:
            fresh = type(layer).from_config(layer.config())
            build_layer(fresh, layer.input_shape)
            twin.layers.append(fresh)
        twin._allocate()
        twin._flat[...] = self._flat
        twin._setup()
        twin.rng = _copy_rng(self.rng)
        twin.optimizer = None if self.optimizer is None else self.optimizer.copy()
        twin.metadata = {k: v.copy() if hasattr(v, "copy") else v for k, v in self.metadata.items()}
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
        return self.with_genome(_genome.crossover(self, other, make_rng(rng), method, k))

    def mutate(self, mutator, rng) -> "Network":
        """Mutate the parameters in place with ``mutator(genomes, rng)``; returns self."""
        return self.set_genome(mutator(self.genome(), make_rng(rng)))

    # --- files ------------------------------------------------------------
    def save(self, path) -> None:
        """Write a ``.gone`` file atomically (the same as ``gone.save(net, path)``; the
        format layer registers the writer, so the core never imports it)."""
        persistence.save(self, path)

    def to_onnx(self, path=None):
        """Export as ONNX (see :func:`gone.interop.to_onnx`); needs the ``onnx`` extra."""
        return persistence.export("onnx", self, path)

    def to_torch(self):
        """A ``torch.nn.Sequential`` copy (see :func:`gone.interop.to_torch`); needs ``torch``."""
        return persistence.export("torch", self)

    def summary(self) -> str:
        inputs = f"input {self.input_shape}  " if self.input_shape else ""
        lines = [f"Network {inputs}{self.sizes}  loss={self.loss.name}  lr={self.learning_rate:g}  "
                 f"dtype={self.dtype.name}  params={self.n_params}"]
        for i, layer in enumerate(self.layers, 1):
            lines.append(f"  layer {i}: {layer!r}  params={sum(p.size for p in layer.params)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        acts = ", ".join(getattr(l, "activation", _IDENTITY).name for l in self.layers)
        if self.input_shape:
            return (f"Network(input_shape={self.input_shape}, layers={self.layers}, "
                    f"loss={self.loss.name!r})")
        return f"Network(sizes={self.sizes}, activations=[{acts}], loss={self.loss.name!r})"


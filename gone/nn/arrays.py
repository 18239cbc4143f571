"""Networks to and from plain arrays: weight matrices, biases and activations per layer."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import ConfigError, ShapeError
from .layers import Dense


def from_arrays(cls, weights: Sequence, biases: Sequence | None = None,
                activations: Sequence | str = "identity", **kwargs):
    """A ``cls`` (a Network class) of Dense layers; see :meth:`gone.Network.from_arrays`."""
    weights = [np.asarray(w) for w in weights]
    if not weights:
        raise ShapeError("from_arrays needs at least one weight matrix")
    biases = [None] * len(weights) if biases is None else list(biases)
    single = isinstance(activations, str) or not isinstance(activations, Sequence)
    acts = [activations] * len(weights) if single else list(activations)
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


def to_arrays(net) -> tuple[list[np.ndarray], list[np.ndarray | None], list]:
    """``(weights, biases, activations)`` of a dense network; see :meth:`gone.Network.to_arrays`."""
    for i, layer in enumerate(net.layers, 1):
        if not isinstance(layer, Dense):
            raise ConfigError(f"to_arrays is for dense networks; layer {i} is {layer!r} "
                              "(use net.params, or layer.config() and layer.params)")
    acts = [l.activation if l.activation.params else l.activation.name for l in net.layers]
    return ([l.weight.copy() for l in net.layers],
            [None if l.bias is None else l.bias.copy() for l in net.layers], acts)

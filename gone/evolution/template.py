"""A template network as plain data, to ship to worker processes without the file format.

``template_parts(net)`` is ``(spec, flat)``: the layers' configurations (each
layer's class and ``config()``, activations by name and parameters), the
network's settings (loss by name, learning rate, initialiser, dtype) and its
parameters as one flat array. Everything in it pickles by value or by
importable name, so a spawned worker rebuilds the same network with
:func:`template_from_parts`; a digest of the parts keys the worker's cache.
Evolution never imports the file format for this.
"""

from __future__ import annotations

import hashlib
from multiprocessing.reduction import ForkingPickler

import numpy as np

from ..nn import activations as _act
from ..nn.network import Network


class _ActivationRef(tuple):
    """``(name, params)`` of an activation; the worker looks the activation up by name."""


def template_parts(net) -> tuple:
    """``(spec, flat)`` describing ``net`` (see the module docstring); ``flat`` is a copy.

    A template that is not a Network (``gone.neat``'s ``NeatTemplate``) ships as its
    class and its own ``to_bytes()``; the worker calls the class's ``from_bytes``.
    """
    if not isinstance(net, Network):
        return ("object", type(net), net.to_bytes()), np.empty(0)
    layers = []
    for layer in net.layers:
        config = {k: (_ActivationRef((v.name, dict(v.params))) if isinstance(v, _act.Activation)
                      else v) for k, v in layer.config().items()}
        layers.append((type(layer), config))
    first = tuple(net.input_shape) if net.input_shape is not None else net.n_inputs
    settings = {"loss": net.loss.name, "learning_rate": net.learning_rate, "init": net.init,
                "dtype": net.dtype.name}
    return ("network", first, tuple(layers), settings), net.flat.copy()


def template_from_parts(spec, flat: np.ndarray):
    """The network :func:`template_parts` described, with exactly its parameters."""
    if spec[0] == "object":
        _, cls, data = spec
        return cls.from_bytes(data)
    _, first, layers, settings = spec
    built = []
    for cls, config in layers:
        config = {k: (_act.get(v[0], **v[1]) if isinstance(v, _ActivationRef) else v)
                  for k, v in config.items()}
        built.append(cls(**config))
    net = Network([first, *built], seed=0, **settings)
    net.set_genome(flat)
    return net


def digest(spec, flat: np.ndarray) -> str:
    """A key naming these parts: equal parts, equal key."""
    h = hashlib.sha256(bytes(ForkingPickler.dumps(spec)))
    h.update(np.ascontiguousarray(flat).tobytes())
    return h.hexdigest()

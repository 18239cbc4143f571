"""The genome view of a network: all parameters as one flat vector.

Order: for each layer, its weight matrix ``(n_out, n_in)`` row-major, then its
bias ``(n_out,)``. A population stacks genomes into a ``(pop, n_params)`` matrix.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, ShapeError
from . import operators as _ops


def to_vector(net) -> np.ndarray:
    """All of ``net``'s parameters as a new vector ``(n_params,)``."""
    return net.flat.copy()


def layer_bounds(net) -> list[tuple[int, int]]:
    """``(start, end)`` genome offsets of each parametric layer."""
    bounds, start = [], 0
    for layer in net.layers:
        size = sum(p.size for p in layer.params)
        if size:
            bounds.append((start, start + size))
        start += size
    return bounds


def assign(net, vector) -> None:
    """Copy ``vector (n_params,)`` into ``net``'s parameter arrays in place."""
    vector = np.asarray(vector)
    n = net.n_params
    if vector.shape != (n,):
        raise ShapeError(f"genome must have shape ({n},) for network {net.sizes}, got {vector.shape}")
    if not np.issubdtype(vector.dtype, np.number):
        raise ShapeError(f"genome must be numeric, got dtype {vector.dtype}")
    net.flat[...] = vector


def random_genomes(template, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` genomes ``(size, n_params)``, each drawn as a fresh ``Network`` would draw
    its parameters (every layer's ``initial_params``, in genome order), so evolution
    starts from the same distribution as backprop. Loops over individuals and layers."""
    genomes = np.empty((size, template.n_params), dtype=template.dtype)
    for row in genomes:
        start = 0
        for layer in template.layers:
            for value in layer.initial_params(rng, template.dtype, template.init):
                row[start:start + value.size] = np.ravel(value)
                start += value.size
    return genomes


def crossover(a, b, rng: np.random.Generator, method: str = "layer", k=None) -> np.ndarray:
    """The genome of a child of networks ``a`` and ``b`` (same architecture); see
    :meth:`gone.Network.crossover`."""
    bounds = layer_bounds(a)
    if method == "layer":
        if k is None:
            k = _ops.draw_crossover_point(len(bounds) - 1, rng)
        return _ops.layer_crossover(a.genome(), b.genome(), k, bounds)
    if method == "uniform":
        return _ops.uniform_crossover(a.genome(), b.genome(), rng)
    raise ConfigError(f"unknown crossover method {method!r}; use 'layer' or 'uniform'")

"""Initial genomes for a population."""

from __future__ import annotations

import numpy as np

from ..nn import initializers


def random_genomes(template, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` genomes ``(size, n_params)``, each drawn by the template's initialisers.

    Every individual is initialised as a fresh ``Network`` would be (each
    layer's own ``init`` or the network's), so evolution starts from the
    same distribution as backprop. The loop runs over individuals and layers
    once per run, never over genes.
    """
    genomes = np.empty((size, template.n_params), dtype=template.dtype)
    for row in genomes:
        start = 0
        for layer in template.layers:
            if layer.weight is None:  # pooling, flattening: no parameters
                continue
            n_out, n_in = layer.weight.shape
            w, b = initializers.get(layer.init or template.init)(rng, n_out, n_in, template.dtype)
            row[start:start + w.size] = w.reshape(-1)
            start += w.size
            if layer.bias is not None:
                row[start:start + n_out] = b
                start += n_out
    return genomes

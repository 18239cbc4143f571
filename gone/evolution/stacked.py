"""A whole population of networks run forward at once.

Every network of a population shares one architecture, so the population's
weights for a layer stack into one array ``(pop, n_out, n_in)`` and a forward
pass is one stacked matmul per layer instead of a Python loop over networks.
The arrays are views into the genome matrix ``(pop, n_params)``: building a
:class:`StackedNetworks` copies nothing.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, ShapeError


def _layer_views(template, genomes: np.ndarray) -> list[tuple]:
    """Per layer ``(W (pop, n_out, n_in), b (pop, n_out) or None, activation)`` views of ``genomes``."""
    pop, start, views = genomes.shape[0], 0, []
    for layer in template.layers:
        n_out, n_in = layer.weight.shape
        w = genomes[:, start:start + n_out * n_in].reshape(pop, n_out, n_in)
        start += n_out * n_in
        b = None
        if layer.bias is not None:
            b = genomes[:, start:start + n_out]
            start += n_out
        views.append((w, b, layer.activation))
    return views


class StackedNetworks:
    """``pop`` networks with the architecture of ``template`` and the genomes ``(pop, n_params)``.

    This is what a vectorised fitness function receives: ``predict`` runs every
    network on its inputs with one matmul per layer.
    """

    def __init__(self, template, genomes):
        if getattr(template, "input_shape", None) is not None:
            raise ConfigError("StackedNetworks runs dense networks only; a network with image "
                              "layers (Conv2D, MaxPool2D, Flatten) is evaluated one network "
                              "at a time (use a non-vectorised fitness)")
        genomes = np.asarray(genomes)
        if genomes.ndim != 2 or genomes.shape[1] != template.n_params:
            raise ShapeError(f"genomes must have shape (pop, {template.n_params}) for network "
                             f"{template.sizes}, got {genomes.shape}")
        self.template = template
        self.genomes = np.ascontiguousarray(genomes, dtype=template.dtype)
        self._layers = _layer_views(template, self.genomes)
        self._transposed: dict[int, np.ndarray] = {}

    @property
    def size(self) -> int:
        return self.genomes.shape[0]

    def __len__(self) -> int:
        return self.size

    @property
    def n_inputs(self) -> int:
        return self.template.n_inputs

    @property
    def n_outputs(self) -> int:
        return self.template.n_outputs

    def predict(self, x) -> np.ndarray:
        """Every network on a batch.

        ``x`` is a batch shared by all networks ``(batch, n_in)`` or one batch
        per network ``(pop, batch, n_in)``; the result is ``(pop, batch, n_out)``.
        """
        x = np.asarray(x, dtype=self.template.dtype)
        n_in = self.n_inputs
        if x.ndim == 2 and x.shape[1] == n_in:
            return self._run(self._first_shared(x), start=1)
        if x.ndim == 3 and x.shape[0] == self.size and x.shape[2] == n_in:
            return self._run(x, start=0)
        raise ShapeError(f"layer 0 (input) expects (batch, {n_in}) or ({self.size}, batch, {n_in}) "
                         f"for a population of {self.size}, got {x.shape}")

    def predict_each(self, x) -> np.ndarray:
        """One input per network: ``(pop, n_in) -> (pop, n_out)`` (a game frame)."""
        x = np.asarray(x, dtype=self.template.dtype)
        if x.shape != (self.size, self.n_inputs):
            raise ShapeError(f"predict_each expects ({self.size}, {self.n_inputs}), got {x.shape}")
        return self._run(x[:, None, :], start=0)[:, 0, :]

    def network(self, i: int):
        """Network ``i`` as an independent :class:`~gone.Network`."""
        return self.template.with_genome(self.genomes[i])

    def _first_shared(self, x: np.ndarray) -> np.ndarray:
        """First layer on a shared batch as ONE matmul ``(batch, n_in) @ (n_in, pop*n_out)``.

        One large product keeps BLAS busy where ``pop`` small ones would each
        pay the call overhead; the result is rearranged to ``(pop, batch, n_out)``.
        """
        w, b, act = self._layers[0]
        pop, n_out, n_in = w.shape
        z = (x @ w.reshape(pop * n_out, n_in).T).reshape(len(x), pop, n_out)
        if b is not None:
            z += b  # in place, in the matmul's own (batch, pop, n_out) layout
        return act.fn(z).transpose(1, 0, 2)

    def _weights_t(self, i: int) -> np.ndarray:
        """Layer ``i``'s weights as contiguous ``(pop, n_in, n_out)``, made once.

        A game calls ``predict_each`` thousands of times per generation on one
        StackedNetworks; matmul on a contiguous right operand is about a
        quarter faster than on the transposed view of ``(pop, n_out, n_in)``.
        """
        if i not in self._transposed:
            self._transposed[i] = np.ascontiguousarray(self._layers[i][0].transpose(0, 2, 1))
        return self._transposed[i]

    def _run(self, a: np.ndarray, start: int) -> np.ndarray:
        """Layers ``start..`` on ``a (pop, batch, n)``."""
        for i in range(start, len(self._layers)):
            _, b, act = self._layers[i]
            z = np.matmul(a, self._weights_t(i))
            if b is not None:
                z += b[:, None, :]
            a = act.fn(z)
        return a


def predict_population(template, genomes, x) -> np.ndarray:
    """``StackedNetworks(template, genomes).predict(x)``: ``(pop, batch, n_out)``."""
    return StackedNetworks(template, genomes).predict(x)

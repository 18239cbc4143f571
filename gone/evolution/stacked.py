"""A whole population of networks run forward at once.

Every network of a population shares one architecture, so the population's
weights for a layer stack into one array ``(pop, n_out, n_in)`` and a forward
pass is one stacked matmul per layer instead of a Python loop over networks.
The arrays are views into the genome matrix ``(pop, n_params)``: building a
:class:`StackedNetworks` copies nothing.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..errors import ShapeError
from ..nn.layers.dense import Dense


def _stacks_as_dense(layer) -> bool:
    """A layer whose stacked pass is gone's matmul: Dense, or a subclass keeping its passes."""
    return isinstance(layer, Dense) and type(layer).predict is Dense.predict


def _param_views(template, genomes: np.ndarray) -> list[list[np.ndarray]]:
    """Per layer, its parameters for every network as views ``(pop, *shape)`` of ``genomes``."""
    pop, start, out = genomes.shape[0], 0, []
    for layer in template.layers:
        views = []
        for p in layer.params:
            views.append(genomes[:, start:start + p.size].reshape((pop,) + p.shape))
            start += p.size
        out.append(views)
    return out


class _EachNetwork:
    """Any other layer (Conv2D, a user's own): run network by network on a twin of the
    template's layer bound to that network's parameters."""

    def __init__(self, layer, views: list[np.ndarray]):
        self.layer, self.views = layer.copy(), views

    def __call__(self, a: np.ndarray) -> np.ndarray:
        out = None
        for i in range(len(a)):
            self.layer.bind([v[i] for v in self.views])
            y = self.layer.predict(a[i])
            if out is None:
                out = np.empty((len(a),) + y.shape, y.dtype)
            out[i] = y
        return out


class StackedNetworks:
    """``pop`` networks with the architecture of ``template`` and the genomes ``(pop, n_params)``.

    This is what a vectorised fitness function receives: ``predict`` runs every
    network on its inputs with one matmul per layer.
    """

    def __init__(self, template, genomes):
        genomes = np.asarray(genomes)
        if genomes.ndim != 2 or genomes.shape[1] != template.n_params:
            raise ShapeError(f"genomes must have shape (pop, {template.n_params}) for network "
                             f"{template.sizes}, got {genomes.shape}")
        self.template = template
        self.genomes = np.ascontiguousarray(genomes, dtype=template.dtype)
        views = _param_views(template, self.genomes)
        # Dense layers: (W (pop, n_out, n_in), b (pop, n_out) or None, activation);
        # any other layer: a callable running it network by network.
        self._layers = [(v[0], v[1] if len(v) > 1 else None, layer.activation)
                        if _stacks_as_dense(layer) else _EachNetwork(layer, v)
                        for layer, v in zip(template.layers, views)]
        self._transposed: dict[int, np.ndarray] = {}
        self._all_dense = all(isinstance(layer, tuple) for layer in self._layers)
        self._weights_per_network = sum(layer[0].shape[1] * layer[0].shape[2]
                                        for layer in self._layers if isinstance(layer, tuple))

    @property
    def size(self) -> int:
        return self.genomes.shape[0]

    def __len__(self) -> int:
        return self.size

    def select(self, rows) -> "StackedNetworks":
        """The networks at ``rows`` (indices, repeats allowed) as a new stack (a copy)."""
        return StackedNetworks(self.template, self.genomes[np.asarray(rows, dtype=np.intp)])

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
        n_in, image = self.n_inputs, self.template.input_shape
        if image is not None:
            return self._images(x, image)
        if x.ndim == 2 and x.shape[1] == n_in:
            if not self._all_dense:
                return self._run(np.broadcast_to(x, (self.size,) + x.shape), start=0)
            if self._flops(len(x)) < _THREAD_MIN_FLOPS:  # tiny (XOR): fewest numpy calls
                return self._run(self._first_shared(x), start=1)
            return self._columns(np.ascontiguousarray(x.T), len(x))
        if x.ndim == 3 and x.shape[0] == self.size and x.shape[2] == n_in:
            if not self._all_dense:
                return self._run(x, start=0)
            if self._flops(x.shape[1]) < _THREAD_MIN_FLOPS:
                return self._run(x, start=0)
            return self._columns(np.ascontiguousarray(x.transpose(0, 2, 1)), x.shape[1])
        raise ShapeError(f"layer 0 (input) expects (batch, {n_in}) or ({self.size}, batch, {n_in}) "
                         f"for a population of {self.size}, got {x.shape}")

    def _columns(self, x_t: np.ndarray, batch: int) -> np.ndarray:
        """Dense layers in column layout: ``a (pop, n, batch)``, one stacked matmul
        ``W (pop, n_out, n_in) @ a`` per layer on the genome's own views (no copy of
        the weights, every operand row-major as BLAS wants it).

        ``x_t``: the input ``(n_in, batch)`` shared by all, or ``(pop, n_in, batch)``.
        A large population is split over a small thread pool (numpy releases the
        GIL inside matmul and ufuncs), so a second core works too.
        """
        out = np.empty((self.size, batch, self.n_outputs), self.genomes.dtype)
        chunks = _chunks(self.size, self._flops(batch))
        # The caller's thread takes the first slice itself: one hand-off fewer.
        pending = [_pool().submit(self._column_part, x_t, lo, hi, out) for lo, hi in chunks[1:]]
        self._column_part(x_t, *chunks[0], out)
        for job in pending:
            job.result()
        return out

    def _column_part(self, x_t: np.ndarray, lo: int, hi: int, out: np.ndarray) -> None:
        """Networks ``lo:hi`` of :meth:`_columns`; their outputs written into ``out[lo:hi]``
        as ``(batch, n_out)`` rows (the transposing copy happens here, in parallel)."""
        a = x_t if x_t.ndim == 2 else x_t[lo:hi]
        for w, b, act in self._layers:
            z = np.matmul(w[lo:hi], a)
            if b is not None:
                z += b[lo:hi, :, None]
            a = _activate(act, z, units_axis=1)
        out[lo:hi] = a.transpose(0, 2, 1)

    def _flops(self, batch: int) -> int:
        """Multiply-adds of one forward pass of the whole population on ``batch`` inputs."""
        return self.size * batch * self._weights_per_network

    def _images(self, x: np.ndarray, shape: tuple) -> np.ndarray:
        """Image input: one shared batch (as ``Network.predict`` takes it) or one per network."""
        if x.ndim == 2 + len(shape) and x.shape[0] == self.size and x.shape[2:] == shape:
            return self._run(x, start=0)
        batch, _ = self.template.as_batch(x)
        return self._run(np.broadcast_to(batch, (self.size,) + batch.shape), start=0)

    def predict_each(self, x) -> np.ndarray:
        """One input per network: ``(pop, n_in) -> (pop, n_out)`` (a game frame)."""
        x = np.asarray(x, dtype=self.template.dtype)
        if x.shape != (self.size, self.n_inputs) or self.template.input_shape is not None:
            raise ShapeError(f"predict_each expects ({self.size}, {self.n_inputs}), got {x.shape}")
        return self._run(x[:, None, :], start=0)[:, 0, :]

    def network(self, i: int):
        """Network ``i`` as an independent :class:`~gone.Network`."""
        return self.template.with_genome(self.genomes[i])

    def _first_shared(self, x: np.ndarray) -> np.ndarray:
        """First layer on a small shared batch as ONE matmul ``(batch, n_in) @ (n_in, pop*n_out)``,
        rearranged to ``(pop, batch, n_out)``."""
        w, b, act = self._layers[0]
        pop, n_out, n_in = w.shape
        z = (x @ w.reshape(pop * n_out, n_in).T).reshape(len(x), pop, n_out)
        if b is not None:
            z += b  # in place, in the matmul's own (batch, pop, n_out) layout
        return _activate(act, z, units_axis=2).transpose(1, 0, 2)

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
            if not isinstance(self._layers[i], tuple):
                a = self._layers[i](a)
                continue
            _, b, act = self._layers[i]
            z = np.matmul(a, self._weights_t(i))
            if b is not None:
                z += b[:, None, :]
            a = _activate(act, z, units_axis=2)
        return a


# Below this many multiply-adds a forward pass is not worth a thread hand-off.
_THREAD_MIN_FLOPS = 4_000_000
_POOL: list = []
_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _cores() -> int:
    return _CORES


def _pool() -> ThreadPoolExecutor:
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(max_workers=min(_cores(), 8),
                                        thread_name_prefix="gone-stacked"))
    return _POOL[0]


def _chunks(pop: int, flops: int) -> list[tuple[int, int]]:
    """``(lo, hi)`` slices of the population, one per core when the pass is big enough."""
    if flops < 2 * _THREAD_MIN_FLOPS or _CORES == 1:
        return [(0, pop)]
    n = min(_CORES, 8, flops // _THREAD_MIN_FLOPS, pop)
    cuts = np.linspace(0, pop, n + 1).astype(int)
    return list(zip(cuts[:-1], cuts[1:]))


def _activate(act, z: np.ndarray, units_axis: int) -> np.ndarray:
    """``act`` on ``z (pop, ., .)`` whose units lie along ``units_axis`` (1: column
    layout, 2: rows); in place when it is a plain ufunc (tanh, arctan) or the identity."""
    if act.vjp is not None and units_axis == 1:  # mixes units (softmax): over the unit axis
        return act.fn(z.transpose(0, 2, 1)).transpose(0, 2, 1)
    if act.name == "identity":
        return z
    if isinstance(act.fn, np.ufunc) and z.size >= 1 << 16:  # saves a large temporary
        return act.fn(z, out=z)
    return act.fn(z)


def predict_population(template, genomes, x) -> np.ndarray:
    """``StackedNetworks(template, genomes).predict(x)``: ``(pop, batch, n_out)``."""
    return StackedNetworks(template, genomes).predict(x)

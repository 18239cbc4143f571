"""The whole population's forward pass as a few numpy operations per level.

With ``P`` genomes padded to ``K`` neurons (see
:class:`~gone.neat.compile.PopulationTensors`), one step on a batch ``(B,
n_in)`` is, per level: one batched matmul ``(P, B, N) @ (P, N, K)``, the
activations, and a masked write of that level's neurons. No Python loop runs
over genomes or nodes. Nodes aggregating by product/max/min/mean/median/maxabs
(only in the genomes that have them) use a ``(S, B, K, N)`` product tensor,
computed in chunks.

Recurrent genomes carry a state ``(P, K, B)`` (neuron-major) between steps,
as :meth:`GraphNetwork.step` does.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from .compile import PopulationTensors, compile_population
from .genome import AGG_NAMES

_CHUNK = 2_000_000  # elements of one (S, B, K, N) block


def _masked_median(terms, present, count):
    """Median of the present entries along the last axis (mean of the middle two)."""
    ordered = np.sort(np.where(present, terms, np.inf), axis=-1)
    c = np.broadcast_to(count[..., None], ordered.shape[:-1] + (1,))
    lo = np.take_along_axis(ordered, np.maximum(c - 1, 0) // 2, -1)[..., 0]
    hi = np.take_along_axis(ordered, c // 2 - (c == 0), -1)[..., 0]
    return np.where(count > 0, (lo + hi) / 2, 0.0)


def _reduce(kind: str, terms, present, count):
    """Aggregate ``terms (S, B, K, N)`` over present inputs; empty sums are 0 (product: 1)."""
    has = count > 0
    if kind == "sum":
        return np.where(present, terms, 0.0).sum(-1)
    if kind == "product":
        return np.where(present, terms, 1.0).prod(-1)
    if kind == "mean":
        return np.where(present, terms, 0.0).sum(-1) / np.maximum(count, 1)
    if kind == "max":
        return np.where(has, np.where(present, terms, -np.inf).max(-1), 0.0)
    if kind == "min":
        return np.where(has, np.where(present, terms, np.inf).min(-1), 0.0)
    if kind == "median":
        return _masked_median(terms, present, count)
    # maxabs: the input with the largest magnitude, sign kept
    idx = np.argmax(np.where(present, np.abs(terms), -1.0), axis=-1)[..., None]
    return np.where(has, np.take_along_axis(terms, idx, -1)[..., 0], 0.0)


def _special(t: PopulationTensors, v: np.ndarray) -> np.ndarray:
    """Pre-activations ``(S, B, K)`` of the genomes with non-sum nodes."""
    S, B, N = len(t.special), v.shape[1], v.shape[2]
    K = t.n_neurons
    out = np.empty((S, B, K))
    step = max(1, _CHUNK // max(1, B * K * N))
    for lo in range(0, S, step):
        sl = slice(lo, lo + step)
        terms = v[t.special[sl]][:, :, None, :] * t.raw[sl][:, None, :, :]
        present = t.present[sl][:, None, :, :]
        count = t.present[sl].sum(-1)[:, None, :]
        agg = np.zeros(terms.shape[:3])
        for k in np.unique(t.agg[sl]):
            agg = np.where((t.agg[sl] == k)[:, None, :],
                           _reduce(AGG_NAMES[k], terms, present, count), agg)
        out[sl] = t.scale[sl][:, None, :] * (t.bias[sl][:, None, :]
                                             + t.response[sl][:, None, :] * agg)
    return out


def _activate(level, z: np.ndarray) -> np.ndarray:
    if len(level.act_masks) == 1:      # one activation: padding entries go to scratch anyway
        return level.act_masks[0][0].fn(z)
    a = np.zeros_like(z)
    for act, mask in level.act_masks:
        np.copyto(a, act.fn(z), where=mask[:, :, None])
    return a


def step(t: PopulationTensors, x, state=None) -> tuple[np.ndarray, np.ndarray]:
    """One step of every genome: ``(outputs (P, B, n_out), new state (P, K, B))``.

    ``x`` is ``(B, n_in)`` (the same rows for every genome) or ``(P, B, n_in)``;
    ``state`` is ``(P, K, B)``, neuron-major (zeros when None). Node values are
    kept as ``(P, nodes, B)`` so that one level is one batched matmul
    ``(P, k, N) @ (P, N, B)`` over that level's neurons only, the activations,
    and one row scatter.
    """
    x = np.asarray(x, dtype=np.float64)
    P, K, n_in = t.size, t.n_neurons, t.n_inputs
    N = n_in + K
    if x.ndim == 2 and x.shape[1] == n_in:
        xt = x.T[None, :, :]
    elif x.ndim == 3 and x.shape[0] == P and x.shape[2] == n_in:
        xt = x.transpose(0, 2, 1)
    else:
        raise ShapeError(f"input must be (batch, {n_in}) or ({P}, batch, {n_in}), got {x.shape}")
    B = xt.shape[2]
    v = np.zeros((P, N + 1, B))        # row N: scratch for padding entries
    v[:, :n_in, :] = xt
    if state is not None:
        if np.shape(state) != (P, K, B):
            raise ShapeError(f"state must be ({P}, {K}, {B}), got {np.shape(state)}")
        v[:, n_in:N, :] = state
    genome = np.arange(P)[:, None]
    for lv in t.levels:
        z = np.matmul(lv.W, v)                                    # (P, k, B)
        z += lv.b[:, :, None]
        if len(t.special) and lv.nonsum.any():
            rows = t.special
            full = _special(t, v[:, :N, :].transpose(0, 2, 1))       # (S, B, K)
            idx = np.broadcast_to(np.minimum(lv.idx[rows], K - 1)[:, None, :],
                                  (len(rows), B, lv.idx.shape[1]))
            picked = np.take_along_axis(full, idx, 2).transpose(0, 2, 1)
            z[rows] = np.where(lv.nonsum[rows][:, :, None], picked, z[rows])
        v[genome, n_in + lv.idx] = _activate(lv, z)
    return v[:, n_in:n_in + t.n_outputs, :].transpose(0, 2, 1), v[:, n_in:N, :]


def forward(t: PopulationTensors, x) -> np.ndarray:
    """Outputs ``(P, B, n_out)`` of one step from a zero state (feed-forward use)."""
    return step(t, x)[0]


class GenomeBatch:
    """One generation ready to run: ``genomes`` and their padded ``tensors``.

    ``predict(x)`` runs every genome on the same rows ``(B, n_in) -> (P, B,
    n_out)``; ``predict_each(x)`` gives each genome its own row ``(P, n_in) ->
    (P, n_out)`` (a game frame); both advance the recurrent state, which
    :meth:`reset` clears. :meth:`subset` keeps some genomes (for episodes that
    end at different times).
    """

    def __init__(self, genomes: list, tensors: PopulationTensors):
        self.genomes, self.tensors = genomes, tensors
        self.state = None
        self.origin = np.arange(len(genomes))  # rows of the batch this one was cut from

    def __len__(self) -> int:
        return self.tensors.size

    @property
    def size(self) -> int:
        return self.tensors.size

    @property
    def n_outputs(self) -> int:
        return self.tensors.n_outputs

    @property
    def n_inputs(self) -> int:
        return self.tensors.n_inputs

    def reset(self) -> None:
        self.state = None

    def predict(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self.state is not None and self.state.shape[2] != (x.shape[-2] if x.ndim > 1 else 1):
            self.state = None
        out, self.state = step(self.tensors, x, self.state)
        return out

    def predict_each(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.shape != (len(self), self.n_inputs):
            raise ShapeError(f"predict_each expects ({len(self)}, {self.n_inputs}), got {x.shape}")
        return self.predict(x[:, None, :])[:, 0, :]

    def subset(self, rows) -> "GenomeBatch":
        """The genomes at ``rows`` (indices, taken in increasing order), state included."""
        rows = np.unique(np.asarray(rows, dtype=np.intp))
        sub = self.tensors.take(rows)
        out = GenomeBatch([self.genomes[i] for i in rows], sub)
        out.state = None if self.state is None else self.state[rows]
        out.origin = self.origin[rows]
        return out

    def repeat(self, k: int) -> "GenomeBatch":
        """A new batch holding each genome ``k`` times in a row (``k * size`` rows, no state)."""
        genomes = [g for g in self.genomes for _ in range(k)]
        return GenomeBatch(genomes, compile_population(genomes, self.n_inputs, self.n_outputs))

    def select(self, ids) -> "GenomeBatch":
        """The rows ``ids`` of the first batch (all still in this one), state included."""
        return self.subset(np.searchsorted(self.origin, np.asarray(ids, dtype=np.intp)))

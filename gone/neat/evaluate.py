"""The whole population's forward pass, sparse over the flat gene tables.

One step on a batch of ``B`` rows fills ``V (rows, B)`` (see
:class:`~gone.neat.compile.PopulationPlan`) block by block, each block the
targets of one (level, aggregation, activation) run of every genome at once:
one gather of the source rows of all its connections, one in-place multiply by
the weights, then one in-place ufunc per input slot (``add`` for sum/mean,
``multiply``, ``maximum``, ``minimum``; median sorts a small padded block;
maxabs keeps both max and min), the bias, and the activation written straight
into the block's slice of ``V``. No Python loop runs over genomes or nodes,
and no scatter: every write is a slice.

Recurrent genomes carry a state ``(Nn, B)``, every node's value in compute
order, between steps, as :meth:`GraphNetwork.step` does.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from .compile import PopulationPlan, compile_population
from .genome import AGG_NAMES
from .pool import GenePool

_MEDIAN, _MAXABS = AGG_NAMES.index("median"), AGG_NAMES.index("maxabs")
_COMBINE = {AGG_NAMES.index("sum"): np.add, AGG_NAMES.index("mean"): np.add,
            AGG_NAMES.index("product"): np.multiply, AGG_NAMES.index("max"): np.maximum,
            AGG_NAMES.index("min"): np.minimum}
_COLUMNS = 64  # batch columns per chunk
_FOLDED = {AGG_NAMES.index(n) for n in ("sum", "mean", "product")}


def _median(terms: np.ndarray, blk) -> np.ndarray:
    """Median ``(T, B)`` of each target's terms (mean of the middle two): a padded sort."""
    T, B = blk.r1 - blk.r0, terms.shape[1]
    pad = np.full((T, len(blk.slots), B), np.inf)
    for k, (c, n) in enumerate(blk.slots):
        pad[:n, k] = terms[c:c + n]
    pad.sort(axis=1)
    t = np.arange(T)
    return (pad[t, (blk.deg - 1) // 2] + pad[t, blk.deg // 2]) * 0.5


def _maxabs(terms: np.ndarray, blk) -> np.ndarray:
    """The term of largest magnitude, sign kept ``(T, B)``."""
    T = blk.r1 - blk.r0
    hi, lo = terms[:T], terms[:T].copy()
    for c, n in blk.slots[1:]:
        np.maximum(hi[:n], terms[c:c + n], out=hi[:n])
        np.minimum(lo[:n], terms[c:c + n], out=lo[:n])
    return np.where(np.abs(hi) >= np.abs(lo), hi, lo)


def _inputs(plan: PopulationPlan, V: np.ndarray, x: np.ndarray, shared: bool) -> None:
    """Put the inputs ``x`` (``(B, n_in)`` shared or ``(P, B, n_in)``) into ``V`` and start every
    non-constant node at its bias plus, for sum/mean nodes, its input connections (one matmul)."""
    P, n_in, C, Nn = plan.size, plan.n_inputs, plan.n_const, plan.n_nodes
    base = plan.input_row
    if shared:
        V[base:base + n_in] = x.T
        V[base + n_in] = 1.0
        np.matmul(plan.win, V[base:], out=V[C:Nn])
        return
    B = x.shape[1]
    V[base:].reshape(P, n_in, B)[...] = x.transpose(0, 2, 1)
    xe = np.empty((P, B, n_in + 1))
    xe[..., :n_in], xe[..., n_in] = x, 1.0
    W, genome, column = plan.input_weights_each()
    V[C:Nn] = np.matmul(xe, W)[genome, :, column]


def _run(plan: PopulationPlan, V: np.ndarray, shared: bool) -> None:
    """Every block of ``plan`` over the columns of ``V``, level after level."""
    B = V.shape[1]
    blocks, most = plan.blocks(B)
    buf = plan.scratch("terms", (most, B))
    with np.errstate(over="ignore"):  # sigmoid's exp overflows to inf in its tail: exactly 0
        for blk in blocks:
            out = V[blk.r0:blk.r1]
            if blk.slots:
                terms = buf[:len(blk.w)]
                np.take(V, blk.rows_shared if shared else blk.rows_each, axis=0, out=terms,
                        mode="clip")
                terms *= blk.w
                agg = blk.agg
                if agg == _MEDIAN:
                    z = _median(terms, blk)
                elif agg == _MAXABS:
                    z = _maxabs(terms, blk)
                else:
                    combine = _COMBINE[agg]
                    for c, n in blk.slots[1:]:
                        combine(terms[:n], terms[c:c + n], out=terms[:n])
                    z = terms[:blk.slots[0][1]]
                if agg not in _FOLDED:
                    z *= blk.sr
                out[:len(z)] += z
            blk.write(out, out)


def step(plan: PopulationPlan, x, state=None) -> tuple[np.ndarray, np.ndarray | None]:
    """One step of every genome: ``(outputs (P, B, n_out), new state)``.

    ``x`` is ``(B, n_in)`` (the same rows for every genome) or ``(P, B, n_in)``
    (rows per genome). The state is every node's value ``(Nn, B)`` in the
    plan's compute order, what recurrent connections read at the next step
    (zeros when None); a plan without recurrent connections returns None.
    Large batches run in column chunks of ``_COLUMNS`` so that ``V`` stays in
    cache.
    """
    x = np.asarray(x, dtype=np.float64)
    P, n_in, Nn = plan.size, plan.n_inputs, plan.n_nodes
    if x.ndim == 2 and x.shape[1] == n_in:
        shared, B = True, x.shape[0]
    elif x.ndim == 3 and x.shape[0] == P and x.shape[2] == n_in:
        shared, B = False, x.shape[1]
    else:
        raise ShapeError(f"input must be (batch, {n_in}) or ({P}, batch, {n_in}), got {x.shape}")
    if state is not None and np.shape(state) != (Nn, B):
        raise ShapeError(f"state must be ({Nn}, {B}), got {np.shape(state)}")
    width = -(-B // -(-B // _COLUMNS)) if B > 1.5 * _COLUMNS else B
    rows = plan.input_row + (n_in + 1 if shared else P * n_in)
    parts, states = [], []
    for b0 in range(0, B, width):
        b1 = min(B, b0 + width)
        V = plan.scratch("V", (rows, b1 - b0))
        _inputs(plan, V, x[b0:b1] if shared else x[:, b0:b1], shared)
        if plan.recurrent:
            V[Nn:2 * Nn] = 0.0 if state is None else state[:, b0:b1]
        V[:plan.n_const] = plan.const
        _run(plan, V, shared)
        parts.append(V.take(plan.out_rows, axis=0))
        if plan.recurrent:
            states.append(V[:Nn].copy())
    out = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
    new_state = None if not plan.recurrent else states[0] if len(states) == 1 else \
        np.concatenate(states, axis=1)
    return out.reshape(P, plan.n_outputs, B).transpose(0, 2, 1), new_state


def forward(plan: PopulationPlan, x) -> np.ndarray:
    """Outputs ``(P, B, n_out)`` of one step from a zero state (feed-forward use)."""
    return step(plan, x)[0]


class GenomeBatch:
    """One generation ready to run: its :class:`GenePool` ``pool`` and compiled ``plan``.

    ``predict(x)`` runs every genome on the same rows ``(B, n_in) -> (P, B,
    n_out)``; ``predict_each(x)`` gives each genome its own row ``(P, n_in) ->
    (P, n_out)`` (a game frame); both advance the recurrent state, which
    :meth:`reset` clears. :meth:`subset`/:meth:`select` keep some genomes with
    their state (for episodes that end at different times). ``genomes`` lists
    :class:`Genome` objects, made from the pool on first use when the batch
    was built from one.
    """

    def __init__(self, genomes, plan: PopulationPlan):
        self.plan, self.pool = plan, plan.pool
        self._genomes = None if genomes is None or isinstance(genomes, GenePool) else list(genomes)
        if self._genomes is not None and len(self._genomes) != plan.size:
            raise ShapeError(f"{len(self._genomes)} genomes for a plan of {plan.size}")
        self.state = None
        self.origin = np.arange(plan.size)  # rows of the batch this one was cut from

    @classmethod
    def compile(cls, genomes, n_inputs: int, n_outputs: int) -> "GenomeBatch":
        """A batch of ``genomes`` (a list of Genome or a GenePool)."""
        return cls(genomes, compile_population(genomes, n_inputs, n_outputs))

    @property
    def genomes(self) -> list:
        if self._genomes is None:
            self._genomes = self.pool.genomes()
        return self._genomes

    def __len__(self) -> int:
        return self.plan.size

    @property
    def size(self) -> int:
        return self.plan.size

    @property
    def n_outputs(self) -> int:
        return self.plan.n_outputs

    @property
    def n_inputs(self) -> int:
        return self.plan.n_inputs

    def reset(self) -> None:
        self.state = None

    def predict(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self.state is not None and self.state.shape[1] != (x.shape[-2] if x.ndim > 1 else 1):
            self.state = None
        out, self.state = step(self.plan, x, self.state)
        return out

    def predict_each(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.shape != (len(self), self.n_inputs):
            raise ShapeError(f"predict_each expects ({len(self)}, {self.n_inputs}), got {x.shape}")
        return self.predict(x[:, None, :])[:, 0, :]

    def _take(self, rows: np.ndarray) -> "GenomeBatch":
        genomes = None if self._genomes is None else [self._genomes[i] for i in rows.tolist()]
        return GenomeBatch(genomes, self.plan.take(rows))

    def subset(self, rows) -> "GenomeBatch":
        """The genomes at ``rows`` (indices, taken in increasing order), state included."""
        rows = np.unique(np.asarray(rows, dtype=np.intp))
        out = self._take(rows)
        if self.state is not None:
            out.state = self.plan.carry(self.state, rows, out.plan)
        out.origin = self.origin[rows]
        return out

    def repeat(self, k: int) -> "GenomeBatch":
        """A new batch holding each genome ``k`` times in a row (``k * size`` rows, no state)."""
        return self._take(np.repeat(np.arange(self.size), k))

    def select(self, ids) -> "GenomeBatch":
        """The rows ``ids`` of the first batch (all still in this one), state included."""
        return self.subset(np.searchsorted(self.origin, np.asarray(ids, dtype=np.intp)))

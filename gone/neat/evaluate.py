"""The whole population's forward pass, sparse over the flat gene tables.

One step on a batch of ``B`` rows fills ``V (rows, B)`` (see
:class:`~gone.neat.compile.PopulationPlan`): first one matmul puts every
node's bias and, for nodes that sum (or average) their inputs, its input
connections; then block by block, each block the targets of one (level,
aggregation, activation) run of every genome at once: one gather of the
source rows of its remaining connections, one in-place multiply by the
weights, one in-place ufunc per input slot (``add`` for sum/mean,
``multiply``, ``maximum``, ``minimum``; median sorts a small padded block;
maxabs keeps both max and min), and the activation written straight into the
block's slice of ``V``. No Python loop runs over genomes or nodes, and no
scatter: every write is a slice. ``reduceat`` would express the
aggregations, but along the rows of a ``(E, B)`` array it ran ~10x slower
than the gather itself.

Recurrent genomes carry a state ``(Nn, B)``, every node's value in compute
order, between steps, as :meth:`GraphNetwork.step` does.

Measured (``benchmarks/neat.py --case 2``, 1,000 genomes of ~20 hidden nodes
on 256 rows, 2 shared cores): gene tables ~5.5 ms, compile ~8 ms (the blocks
laid out), step ~25 ms, of which ~9.5 ms is the sigmoid itself (exp, add,
reciprocal over 5.6M values); ~110x neat-python's FeedForwardNetwork. A
150-genome XOR generation (tiny genomes) is all per-call overhead: compile
~0.14 ms, step and fitness ~0.05 ms (warm; ~0.25 ms in all inside a run).
"""

from __future__ import annotations

import threading

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


_KEEP = 1 << 20  # bytes from which scratch arrays are kept between steps
_scratch = threading.local()


def _scratch_array(name: str, shape: tuple) -> np.ndarray:
    """An uninitialised ``shape`` array; a large one is a view of a buffer this thread keeps
    between steps, grown as needed, since a fresh one costs a page fault per 4 KiB on first
    touch (~3 ms of a 1,000-genome step on 256 rows)."""
    size = shape[0] * shape[1]
    if size * 8 < _KEEP:
        return np.empty(shape)
    kept = getattr(_scratch, name, None)
    if kept is None or len(kept) < size:
        kept = np.empty(size + size // 4)
        setattr(_scratch, name, kept)
    return kept[:size].reshape(shape)


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
    buf = _scratch_array("terms", (most, B))
    with np.errstate(over="ignore"):  # sigmoid's exp overflows to inf in its tail: exactly 0
        for blk in blocks:
            r0, r1, rows_shared, rows_each, w, slots, agg, write, sr, _ = blk  # (fewer lookups)
            out = V[r0:r1]
            if slots:
                terms = buf[:len(w)]
                V.take(rows_shared if shared else rows_each, axis=0, out=terms, mode="clip")
                terms *= w
                if agg == _MEDIAN:
                    z = _median(terms, blk)
                elif agg == _MAXABS:
                    z = _maxabs(terms, blk)
                else:
                    combine = _COMBINE[agg]
                    for c, n in slots[1:]:
                        combine(terms[:n], terms[c:c + n], out=terms[:n])
                    z = terms[:slots[0][1]]
                if agg not in _FOLDED:
                    z *= sr
                out[:len(z)] += z
            write(out, out)


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
        V = _scratch_array("V", (rows, b1 - b0))
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
    their state (for episodes that end at different times): while at least
    half of the plan's genomes are kept, the subset runs the same plan and
    reads its rows ``rows`` (no compile; the others run on zero inputs),
    below that it compiles its own. Batches cut from one another form a
    family, and :meth:`select` cuts from the family's most recently run
    member, so ``first.select(live)`` in a lockstep loop carries the state
    the live genomes have now. ``genomes`` lists :class:`Genome` objects,
    made from the pool on first use when the batch was built from one.
    """

    def __init__(self, genomes, plan: PopulationPlan):
        self.plan = plan
        self._plan_genomes = None if genomes is None or isinstance(genomes, GenePool) \
            else list(genomes)                 # one per plan row, when known
        if self._plan_genomes is not None and len(self._plan_genomes) != plan.size:
            raise ShapeError(f"{len(self._plan_genomes)} genomes for a plan of {plan.size}")
        self.rows = None                       # the plan rows this batch is (None: all)
        self.state = None                      # the plan's state
        self.origin = np.arange(plan.size)     # rows of the batch this one was cut from
        self._pool = None
        self._family = {"latest": None}        # shared by the batches cut from this one

    @classmethod
    def compile(cls, genomes, n_inputs: int, n_outputs: int) -> "GenomeBatch":
        """A batch of ``genomes`` (a list of Genome or a GenePool)."""
        return cls(genomes, compile_population(genomes, n_inputs, n_outputs))

    @property
    def pool(self) -> GenePool:
        if self.rows is None:
            return self.plan.pool
        if self._pool is None:
            self._pool = self.plan.pool.take(self.rows)
        return self._pool

    @property
    def genomes(self) -> list:
        if self._plan_genomes is None:
            self._plan_genomes = self.plan.pool.genomes()
        if self.rows is None:
            return self._plan_genomes
        return [self._plan_genomes[i] for i in self.rows.tolist()]

    def __len__(self) -> int:
        return self.plan.size if self.rows is None else len(self.rows)

    @property
    def size(self) -> int:
        return len(self)

    @property
    def n_outputs(self) -> int:
        return self.plan.n_outputs

    @property
    def n_inputs(self) -> int:
        return self.plan.n_inputs

    def reset(self) -> None:
        self.state = None

    def predict(self, x) -> np.ndarray:
        """Outputs ``(len, B, n_out)`` for ``x`` ``(B, n_in)`` or ``(len, B, n_in)``."""
        x = np.asarray(x, dtype=np.float64)
        if self.rows is not None and x.ndim == 3:
            if x.shape[0] != len(self.rows):
                raise ShapeError(f"input must be (batch, {self.n_inputs}) or ({len(self)}, "
                                 f"batch, {self.n_inputs}), got {x.shape}")
            every = np.zeros((self.plan.size,) + x.shape[1:])
            every[self.rows] = x
            x = every
        if self.state is not None and self.state.shape[1] != (x.shape[-2] if x.ndim > 1 else 1):
            self.state = None
        out, self.state = step(self.plan, x, self.state)
        self._family["latest"] = self
        return out if self.rows is None else out[self.rows]

    def predict_each(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.shape != (len(self), self.n_inputs):
            raise ShapeError(f"predict_each expects ({len(self)}, {self.n_inputs}), got {x.shape}")
        return self.predict(x[:, None, :])[:, 0, :]

    def _compiled(self, plan_rows: np.ndarray) -> "GenomeBatch":
        """A batch with its own plan of the plan rows ``plan_rows`` (no state)."""
        genomes = self._plan_genomes
        return GenomeBatch(None if genomes is None else [genomes[i] for i in plan_rows.tolist()],
                           self.plan.take(plan_rows))

    def subset(self, rows) -> "GenomeBatch":
        """The genomes at ``rows`` (indices, taken in increasing order), state included."""
        rows = np.unique(np.asarray(rows, dtype=np.intp))
        plan_rows = rows if self.rows is None else self.rows[rows]
        if 2 * len(plan_rows) >= self.plan.size:      # share the plan
            out = GenomeBatch.__new__(GenomeBatch)
            out.plan, out._plan_genomes, out._pool = self.plan, self._plan_genomes, None
            out.rows, out.state = plan_rows, self.state
        else:
            out = self._compiled(plan_rows)
            if self.state is not None:
                out.state = self.plan.carry(self.state, plan_rows, out.plan)
        out.origin, out._family = self.origin[rows], self._family
        return out

    def repeat(self, k: int) -> "GenomeBatch":
        """A new batch holding each genome ``k`` times in a row (``k * size`` rows, no state)."""
        rows = np.arange(self.plan.size) if self.rows is None else self.rows
        return self._compiled(rows.repeat(k))

    def select(self, ids) -> "GenomeBatch":
        """The rows ``ids`` of the first batch, state included, cut from the family's most
        recently run batch when it still has them all (else from this one)."""
        ids = np.asarray(ids, dtype=np.intp)
        latest = self._family["latest"]
        source = latest if latest is not None and _holds(latest.origin, ids) else self
        return source.subset(np.searchsorted(source.origin, ids))


def _holds(origin: np.ndarray, ids: np.ndarray) -> bool:
    """Whether the sorted ``origin`` contains every one of ``ids``."""
    at = np.minimum(np.searchsorted(origin, ids), len(origin) - 1)
    return len(origin) > 0 and bool(np.all(origin[at] == ids))

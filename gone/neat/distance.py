"""Compatibility distance: how far apart two genomes are, for speciation.

neat-python's genomic distance is a node part plus a connection part, each

    (c_weight * sum of matching genes' differences + c_disjoint * unmatched genes)
    / max(genes in a, genes in b)

where a node's difference is ``|d bias| + |d response| + [activation differs] +
[aggregation differs]`` and a connection's is ``|d weight| + [enabled
differs]``; disjoint and excess genes count alike.

:func:`distance` computes it for two genomes; :func:`distances` for every
representative against every genome of a generation at once (the same
numbers, as a test checks). Speciation calls :func:`layout_distances` on a
:class:`GeneLayout`, the pool's node and connection genes as one table built
once per generation: at XOR scale a call costs numpy's per-call overhead
more than arithmetic, so the layout does nodes and connections in one pass
and is shared by every call of the generation (and the next one's, whose
old representatives are its rows). Genes are matched by a column per
distinct gene, not by searching: a representative is laid out as one row
over those columns, and every gene of the pool reads its match from it.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .config import GenomeConfig
from .genome import Genome
from .pool import GenePool


def distance(a: Genome, b: Genome, config: GenomeConfig) -> float:
    """The compatibility distance of two genomes (see the module docstring)."""
    cd, cw = config.compatibility_disjoint_coefficient, config.compatibility_weight_coefficient
    total = 0.0
    if a.n_nodes or b.n_nodes:
        _, i, j = np.intersect1d(a.nodes, b.nodes, assume_unique=True, return_indices=True)
        diff = (np.abs(a.bias[i] - b.bias[j]).sum() + np.abs(a.response[i] - b.response[j]).sum()
                + np.count_nonzero(a.act[i] != b.act[j]) + np.count_nonzero(a.agg[i] != b.agg[j]))
        disjoint = a.n_nodes + b.n_nodes - 2 * len(i)
        total += (cw * diff + cd * disjoint) / max(a.n_nodes, b.n_nodes)
    if a.n_connections or b.n_connections:
        _, i, j = np.intersect1d(a.innov, b.innov, assume_unique=True, return_indices=True)
        diff = (np.abs(a.weight[i] - b.weight[j]).sum()
                + np.count_nonzero(a.enabled[i] != b.enabled[j]))
        disjoint = a.n_connections + b.n_connections - 2 * len(i)
        total += (cw * diff + cd * disjoint) / max(a.n_connections, b.n_connections)
    return float(total)


def distances(pool: GenePool, reps: GenePool, config: GenomeConfig) -> np.ndarray:
    """Distance ``(R, P)`` of each of the ``R`` genomes of ``reps`` to each genome of ``pool``."""
    return layout_distances(GeneLayout(pool), GeneLayout(reps), np.arange(reps.size), config)


# names per gene up to which columns are found by counting (see GeneLayout.__init__):
# counting costs ~2 ns per name up to the largest, sorting ~25 ns per gene
_DENSE = 16

_NEGATIVE = "gene ids and innovation numbers must not be negative"


class GeneLayout:
    """A pool's genes in the form :func:`layout_distances` reads, built once per generation.

    Shared by every distance call against the pool and, as the representatives'
    side, by the next generation's (whose old representatives are its rows).
    A gene is named ``2 * id`` (a node) or ``2 * innovation + 1`` (a
    connection; ids and innovation numbers are never negative); ``U`` is the
    number of distinct names in the pool, ``G`` the number of genes (all nodes,
    then all connections).

    * ``names (G,)`` each gene's name, ``column (G,)`` its rank ``1..U`` among
      the distinct names: a representative's genes are laid out as one row of
      ``W = U + 1`` entries (0 for genes that no genome here has);
    * ``rank`` the column of every name up to the largest one (0: none here),
      to lay out another generation's genes in this one's columns; when the
      largest name is far beyond the number of genes (a long run), ``distinct``
      (the sorted names) instead, and :meth:`columns_of` searches it;
    * ``values (G,)`` complex: a node's bias + i response, a connection's
      weight + i enabled (0 or 1, so ``|a - b|`` is ``[a != b]``); ``pairs
      (G, 2)`` the same as floats (a view);
    * ``segment (G,)`` each gene's genome ``p``, plus ``P`` for a connection;
    * ``codes (G,)`` or None: one bit for the activation (bits 0-31) and one
      for the aggregation (bits 32-63) of a node, so that ``popcount(a ^ b)``
      is twice the number of those that differ; None when every node has the
      activation and aggregation ``uniform``;
    * ``counts (2, P)`` node and connection genes per genome as floats,
      ``counts1`` the same at least 1 (the division's guard), ``counts_t
      (P, 2, 1)`` the transpose, for the representatives' side.
    """

    def __init__(self, pool: GenePool):
        self.pool = pool
        Nn = len(pool.nodes)
        self.names = names = np.concatenate((pool.nodes, pool.innov), dtype=np.int64)
        G = len(names)
        names <<= 1
        names[Nn:] += 1
        # (ufunc reductions and array methods, not their np.* wrappers: this runs every
        # generation, at a size where the wrappers' Python layers are a real share)
        top = int(np.maximum.reduce(names)) if G else 0
        if top < _DENSE * G + 4096:
            # Columns by counting, not sorting: names are small integers. One past the
            # largest name is never seen, so larger names (of other generations) clip to
            # column 0 there.
            try:        # (bincount refuses a negative name: no separate check needed)
                seen = np.bincount(names, minlength=top + 2) > 0
            except ValueError:
                raise InputError(_NEGATIVE) from None
            self.rank = seen.cumsum(dtype=np.intp)
            self.column = self.rank.take(names)
            self.width = int(self.rank[-1]) + 1
            self.rank *= seen
            self.distinct = None
        else:
            # A long run's names outgrow its genes: a table as long as the largest name
            # would cost more than sorting the genes' own names.
            self.distinct, inverse = np.unique(names, return_inverse=True)
            if self.distinct[0] < 0:
                raise InputError(_NEGATIVE)
            self.column = inverse + 1
            self.width = len(self.distinct) + 1
            self.rank = None
        values = np.empty(G, dtype=np.complex128)
        pair = values.view(np.float64).reshape(G, 2)
        np.concatenate((pool.bias, pool.weight), out=pair[:, 0])
        np.concatenate((pool.response, pool.enabled), out=pair[:, 1])
        self.values, self.pairs = values, pair
        # a gene's genome's node sum (0..P-1) or connection sum (P..2P-1): where it adds up
        self.segment = np.concatenate((pool.node_owner, pool.conn_owner + pool.size))
        act, agg = pool.act, pool.agg
        self.uniform, self.codes = None, None
        lo, hi = np.minimum.reduce, np.maximum.reduce
        if Nn and lo(act) == hi(act) and lo(agg) == hi(agg):
            self.uniform = (int(act[0]), int(agg[0]))
        else:
            self.codes = np.zeros(G, dtype=np.int64)
            self.codes[:Nn] = np.left_shift(1, act, dtype=np.int64)
            self.codes[:Nn] |= np.left_shift(1, agg.astype(np.int64) + 32, dtype=np.int64)
        self.counts = np.array((pool.node_counts, pool.conn_counts), dtype=np.float64)
        self.counts1 = np.maximum(self.counts, 1.0)
        self.counts_t = self.counts.T[:, :, None]
        self.cd_counts: dict[float, np.ndarray] = {}
        self._bins: np.ndarray | None = None

    def bins(self, R: int) -> np.ndarray:
        """``(R * G,)`` the bin of each gene's sum, for ``R`` representatives, in a flat
        ``(R, 2, P)`` result (a genome's node sum, then its connection sum)."""
        if R == 1:      # one species (or a founder): the segments themselves, nothing to build
            return self.segment
        if self._bins is None or len(self._bins) < R:     # the first rows serve any smaller R
            step = 2 * self.pool.size
            self._bins = self.segment + np.arange(0, step * R, step)[:, None]   # (R, G)
        return self._bins[:R].ravel()

    def codes_or_uniform(self) -> np.ndarray:
        """``codes``, made from ``uniform`` if need be."""
        if self.codes is None:
            Nn = len(self.pool.nodes)
            self.codes = np.zeros(len(self.values), dtype=np.int64)
            self.codes[:Nn] = (1 << self.uniform[0]) | (1 << (self.uniform[1] + 32))
        return self.codes

    def columns_of(self, names: np.ndarray) -> np.ndarray:
        """The column of each of ``names (n,)`` here, 0 for a name no genome here has."""
        if self.distinct is None:
            return self.rank.take(names, mode="clip")
        at = self.distinct.searchsorted(names)
        column = at + 1
        column[self.distinct.take(at, mode="clip") != names] = 0
        return column

    def rows(self, rows: np.ndarray, into: "GeneLayout") -> tuple:
        """Genomes ``rows (R,)`` (distinct) laid out in ``into``'s columns, ``(R + 1, W)``
        each: their genes' ``values``, whether they have the gene (bool), and (if ``into``
        needs them) ``codes``. Row ``R`` takes the other genomes' genes, unread."""
        R, W = len(rows), into.width
        slot = np.empty(self.pool.size, dtype=np.intp)
        slot.fill(R * W)
        slot[rows] = np.arange(0, R * W, W)
        at = slot.take(self.segment, mode="wrap")      # segment mod P: the gene's genome
        at += self.column if into is self else into.columns_of(self.names)
        values = np.zeros((R + 1, W), dtype=np.complex128)
        values.ravel()[at] = self.values
        # (row R, and column 0 where genes ``into`` lacks pile up, are never read)
        has = np.zeros((R + 1, W), dtype=bool)
        has.ravel()[at] = True
        codes = None
        if into.uniform is None or into.uniform != self.uniform:
            codes = np.zeros((R + 1, W), dtype=np.int64)
            codes.ravel()[at] = self.codes_or_uniform()
        return values, has, codes


def layout_distances(pool: GeneLayout, reps: GeneLayout, rows, config: GenomeConfig) -> np.ndarray:
    """Distance ``(R, P)`` of genomes ``rows (R,)`` of ``reps`` to each genome of ``pool``.

    The representatives' genes are laid out as rows over ``pool``'s columns
    (:meth:`GeneLayout.rows`), so every gene of ``pool`` finds its match in
    every representative by one ``take``. A matching gene adds ``cw *
    difference - 2 * cd`` (it is disjoint in neither genome), so one sum per
    genome and part, plus ``cd * (n_rep + n_pool)``, is ``cw * differences +
    cd * disjoint``.
    """
    cd, cw = config.compatibility_disjoint_coefficient, config.compatibility_weight_coefficient
    rows = np.asarray(rows, dtype=np.intp)
    R, P = len(rows), pool.pool.size
    if R == 0 or P == 0:
        return np.zeros((R, P))
    if len(set(rows.tolist())) < R:          # a genome asked for twice is laid out once
        distinct, back = np.unique(rows, return_inverse=True)
        return layout_distances(pool, reps, distinct, config)[back]
    values, has, codes = reps.rows(rows, pool)
    column = pool.column
    diff = values[:R].take(column, axis=1).view(np.float64).reshape(R, -1, 2)   # (R, G, 2)
    diff -= pool.pairs                                     # real and imaginary parts apart
    np.abs(diff, out=diff)
    gene = diff[..., 0] + diff[..., 1]
    if codes is not None:
        c = codes[:R].take(column, axis=1)
        c ^= pool.codes_or_uniform()
        gene += np.bitwise_count(c) * 0.5
    gene *= cw
    gene -= 2 * cd
    # 0 where the representative lacks the gene (a where, not a product: a non-finite
    # value on a gene only one side has must not count, as in distance())
    gene = np.where(has[:R].take(column, axis=1), gene, 0.0)
    sums = np.bincount(pool.bins(R), gene.ravel(), minlength=2 * R * P).reshape(R, 2, P)
    n_rep = reps.counts_t[rows]                                             # (R, 2, 1)
    if cd not in pool.cd_counts:
        pool.cd_counts[cd] = cd * pool.counts
    sums += cd * n_rep
    sums += pool.cd_counts[cd]
    sums /= np.maximum(n_rep, pool.counts1)
    return sums[:, 0] + sums[:, 1]

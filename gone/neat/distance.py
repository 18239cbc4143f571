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
old representatives are its rows).
"""

from __future__ import annotations

import numpy as np

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


class GeneLayout:
    """A pool's node and connection genes as one table, for :func:`layout_distances`.

    Built once per generation and shared by every distance call against the
    pool (and, as the representatives' side, by the next generation's).
    Node genes come first, then connection genes; ``G = Nn + Nc``, and every
    per-gene array has one more entry, a gene of no genome (see ``query``).
    Genome ``p``'s nodes are segment ``p``, its connections segment ``P + p``.

    * ``table (G + 1,)`` sorted gene keys ``segment << 32 | offset gene id``;
      the last entry, larger than any key, makes every ``searchsorted`` index
      a valid row;
    * ``query (G + 1,)`` each gene's key as if it were in genome 0 (add
      ``row << 32`` to look the gene up in genome ``row`` of a layout of as
      many genomes), then -1, which matches nothing;
    * ``floats (G + 1, 2)``: a node's bias and response, a connection's
      weight and ``enabled`` (0 or 1, so ``|a - b|`` is ``[a != b]``);
    * ``codes (G + 1,)`` or None: one bit for the activation (bits 0-31) and
      one for the aggregation (bits 32-63) of a node, so that
      ``popcount(a ^ b)`` is twice the number of those that differ; None when
      every node has the activation and aggregation ``uniform``;
    * ``segment (G + 1,)`` each gene's segment (the extra gene, which always
      adds 0, in the last one);
    * ``counts (2, P)`` node and connection genes per genome as floats,
      ``counts1`` the same at least 1 (the division's guard), ``counts_t
      (P, 2, 1)`` the transpose, for the representatives' side.
    """

    def __init__(self, pool: GenePool):
        self.pool = pool
        P, Nn, Nc = pool.size, len(pool.nodes), len(pool.innov)
        G = Nn + Nc
        counts = np.empty((2, P), dtype=np.int64)
        counts[0], counts[1] = pool.node_counts, pool.conn_counts
        # the extra gene joins the last segment (any segment would do: it adds 0)
        lengths = counts.ravel().copy() if P else np.zeros(1, dtype=np.int64)
        lengths[-1] += 1
        self.segment = segment = np.repeat(np.arange(len(lengths)), lengths)
        ids = np.empty(G + 1, dtype=np.int64)
        ids[:Nn], ids[Nn:G] = pool.nodes, pool.innov
        ids += _OFFSET
        table = np.left_shift(segment, 32, dtype=np.int64)
        table += ids
        table[G] = np.iinfo(np.int64).max
        self.table = table
        ids[Nn:G] += np.int64(P) << 32
        ids[G] = -1
        self.query = ids
        floats = np.zeros((G + 1, 2))
        floats[:Nn, 0], floats[:Nn, 1] = pool.bias, pool.response
        floats[Nn:G, 0], floats[Nn:G, 1] = pool.weight, pool.enabled
        self.floats = floats
        act, agg = pool.act, pool.agg
        self.uniform = None
        if Nn and act.min() == act.max() and agg.min() == agg.max():
            self.uniform, self.codes = (int(act[0]), int(agg[0])), None
        else:
            codes = np.zeros(G + 1, dtype=np.int64)
            codes[:Nn] = np.left_shift(1, act, dtype=np.int64)
            codes[:Nn] |= np.left_shift(1, agg.astype(np.int64) + 32, dtype=np.int64)
            self.codes = codes
        self.counts = counts.astype(np.float64)
        self.counts1 = np.maximum(self.counts, 1.0)
        self.cd_counts: dict[float, np.ndarray] = {}
        self.counts_t = self.counts.T[:, :, None]
        self._bins: dict[int, np.ndarray] = {}

    def bins(self, R: int) -> np.ndarray:
        """``(R * (G + 1),)``: the bin of each gene's sum in a flat ``(R, 2, P)`` result."""
        if R not in self._bins:
            self._bins[R] = (self.segment + (2 * self.pool.size) * np.arange(R)[:, None]).ravel()
        return self._bins[R]

    def codes_or_uniform(self) -> np.ndarray:
        """``codes``, made from ``uniform`` if need be."""
        if self.codes is None:
            G, Nn = len(self.floats) - 1, len(self.pool.nodes)
            self.codes = np.zeros(G + 1, dtype=np.int64)
            self.codes[:Nn] = (1 << self.uniform[0]) | (1 << (self.uniform[1] + 32))
        return self.codes


_OFFSET = np.int64(2**31)


def layout_distances(pool: GeneLayout, reps: GeneLayout, rows, config: GenomeConfig) -> np.ndarray:
    """Distance ``(R, P)`` of genomes ``rows (R,)`` of ``reps`` to each genome of ``pool``.

    Every gene of ``pool`` is looked up in every representative at once (one
    ``searchsorted`` over ``(R, G)`` keys, nodes and connections together).
    A matching gene adds ``cw * difference - 2 * cd`` (it is disjoint in
    neither genome), so one sum per genome and part, plus
    ``cd * (n_rep + n_pool)``, is ``cw * differences + cd * disjoint``.
    """
    cd, cw = config.compatibility_disjoint_coefficient, config.compatibility_weight_coefficient
    rows = np.asarray(rows, dtype=np.int64)
    R, P, Pr = len(rows), pool.pool.size, reps.pool.size
    if R == 0 or P == 0:
        return np.zeros((R, P))
    key = pool.query + (rows << 32)[:, None]                                # (R, G + 1)
    if Pr != P:     # connection genes are keyed by P + row: the representatives' P
        key[:, len(pool.pool.nodes):-1] += np.int64(Pr - P) << 32
    at = np.searchsorted(reps.table, key)
    hit = reps.table.take(at) == key
    d = reps.floats.take(at, axis=0)                                        # (R, G + 1, 2)
    d -= pool.floats
    np.abs(d, out=d)
    gene = d[..., 0] + d[..., 1]
    if pool.uniform is None or pool.uniform != reps.uniform:
        c = reps.codes_or_uniform().take(at)
        c ^= pool.codes_or_uniform()
        gene += np.bitwise_count(c) * 0.5
    gene *= cw
    gene -= 2 * cd
    gene = np.where(hit, gene, 0.0)
    sums = np.bincount(pool.bins(R), gene.ravel(), minlength=2 * R * P).reshape(R, 2, P)
    n_rep = reps.counts_t[rows]                                             # (R, 2, 1)
    if cd not in pool.cd_counts:
        pool.cd_counts[cd] = cd * pool.counts
    sums += cd * n_rep
    sums += pool.cd_counts[cd]
    sums /= np.maximum(n_rep, pool.counts1)
    return sums[:, 0] + sums[:, 1]

"""Compatibility distance: how far apart two genomes are, for speciation.

neat-python's genomic distance is a node part plus a connection part, each

    (c_weight * sum of matching genes' differences + c_disjoint * unmatched genes)
    / max(genes in a, genes in b)

where a node's difference is ``|d bias| + |d response| + [activation differs] +
[aggregation differs]`` and a connection's is ``|d weight| + [enabled
differs]``; disjoint and excess genes count alike.

:func:`distance` computes it for two genomes; :func:`distances` for every
representative against every genome of a generation at once (the same
numbers, as a test checks).
"""

from __future__ import annotations

import numpy as np

from .config import GenomeConfig
from .genome import Genome
from .pool import GenePool, find


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
    """Distance ``(R, P)`` of each of the ``R`` genomes of ``reps`` to each genome of ``pool``.

    Every gene of ``pool`` is looked up in every representative at once (one
    ``searchsorted`` over ``(R, genes)`` keys); per-genome sums of the
    matches' differences are differences of a running sum at the genome
    boundaries ``ptr``.
    """
    cd, cw = config.compatibility_disjoint_coefficient, config.compatibility_weight_coefficient
    r = np.arange(reps.size, dtype=np.int64)[:, None]

    def part(ptr, counts, ids, rep_table, rep_counts, diff_of):
        at = find(rep_table, r, ids[None, :])                         # (R, genes)
        hit = at >= 0
        diff = np.where(hit, diff_of(np.maximum(at, 0)), 0.0) if len(rep_table) else 0.0 * at
        matching = _per_genome(hit.astype(np.float64), ptr)
        n_rep, n_pool = rep_counts[:, None], counts[None, :]
        size = np.maximum(n_rep, n_pool)
        value = (cw * _per_genome(diff, ptr) + cd * (n_rep + n_pool - 2 * matching))
        return np.where(size > 0, value / np.maximum(size, 1), 0.0)

    def node_diff(at):
        return (np.abs(reps.bias[at] - pool.bias) + np.abs(reps.response[at] - pool.response)
                + (reps.act[at] != pool.act) + (reps.agg[at] != pool.agg))

    def conn_diff(at):
        return np.abs(reps.weight[at] - pool.weight) + (reps.enabled[at] != pool.enabled)

    return (part(pool.node_ptr, pool.node_counts, pool.nodes, reps.node_keys, reps.node_counts,
                 node_diff)
            + part(pool.conn_ptr, pool.conn_counts, pool.innov, reps.conn_keys,
                   reps.conn_counts, conn_diff))


def _per_genome(values: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """Row sums ``(R, P)`` of ``values (R, genes)`` over each genome's segment of ``ptr``."""
    total = np.zeros((values.shape[0], values.shape[1] + 1))
    np.cumsum(values, axis=1, out=total[:, 1:])
    return total[:, ptr[1:]] - total[:, ptr[:-1]]

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

    Every gene of ``pool`` is looked up in every representative with one
    ``searchsorted``; the differences of the matches are summed per (rep,
    genome) with ``bincount``.
    """
    cd, cw = config.compatibility_disjoint_coefficient, config.compatibility_weight_coefficient
    R, P = reps.size, pool.size

    def part(ptr, ids, rep_ptr, rep_ids, diff_of):
        owner = np.repeat(np.arange(P), np.diff(ptr))
        n = len(ids)
        at = find(rep_ptr, rep_ids, np.repeat(np.arange(R), n), np.tile(ids, R))
        hit = at >= 0
        gene = np.tile(np.arange(n), R)[hit]
        cell = (np.repeat(np.arange(R), n) * P + np.tile(owner, R))[hit]
        diff = np.bincount(cell, diff_of(at[hit], gene), R * P).reshape(R, P)
        matching = np.bincount(cell, minlength=R * P).reshape(R, P)
        n_rep, n_pool = np.diff(rep_ptr)[:, None], np.diff(ptr)[None, :]
        size = np.maximum(n_rep, n_pool)
        value = (cw * diff + cd * (n_rep + n_pool - 2 * matching)) / np.maximum(size, 1)
        return np.where(size > 0, value, 0.0)

    def node_diff(r, g):
        return (np.abs(reps.bias[r] - pool.bias[g]) + np.abs(reps.response[r] - pool.response[g])
                + (reps.act[r] != pool.act[g]) + (reps.agg[r] != pool.agg[g]))

    def conn_diff(r, g):
        return np.abs(reps.weight[r] - pool.weight[g]) + (reps.enabled[r] != pool.enabled[g])

    return (part(pool.node_ptr, pool.nodes, reps.node_ptr, reps.nodes, node_diff)
            + part(pool.conn_ptr, pool.innov, reps.conn_ptr, reps.innov, conn_diff))

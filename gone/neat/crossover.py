"""Crossover aligned by innovation number (neat-python's ``configure_crossover``).

The child has exactly the fitter parent's genes (its disjoint and excess genes
included); for a gene both parents have (same node id, same connection
innovation) each attribute comes from either parent with probability 1/2, and
a matching connection disabled in either parent is disabled in the child with
probability 3/4 (the NEAT paper's rule, which neat-python 2 applies too). On
equal fitness the second parent counts as the fitter, as in neat-python.

:func:`crossover_pool` breeds a whole generation's children at once over the
flat gene tables of :mod:`gone.neat.pool`.
"""

from __future__ import annotations

import numpy as np

from .genome import Genome
from .pool import CONN_FIELDS, NODE_FIELDS, GenePool, pointers, spans


def crossover(g1: Genome, g2: Genome, key: int, rng: np.random.Generator) -> Genome:
    """A child of ``g1`` and ``g2`` with id ``key`` (fitness NaN)."""
    return crossover_many([(g1, g2)], [key], rng)[0]


def crossover_many(pairs: list, keys: list, rng: np.random.Generator) -> list[Genome]:
    """Children of ``pairs`` [(Genome, Genome)] with ids ``keys``, all at once."""
    parents = GenePool.from_genomes([g for pair in pairs for g in pair])
    rows = np.arange(2 * len(pairs)).reshape(-1, 2)
    return crossover_pool(parents, rows[:, 0], rows[:, 1], keys, rng).genomes()


def crossover_pool(pool: GenePool, first: np.ndarray, second: np.ndarray, keys,
                   rng: np.random.Generator) -> GenePool:
    """The children of genome rows ``first[c]`` and ``second[c]`` of ``pool``, ids ``keys``.

    Returns a pool of ``C = len(keys)`` children (fitness NaN). Each child's
    genes are its fitter parent's rows, in that parent's order; the matching
    rows of the other parent are found by one ``searchsorted`` on
    ``(genome, gene id)`` keys over the whole pool.
    """
    first, second = np.asarray(first, dtype=np.intp), np.asarray(second, dtype=np.intp)
    keep = pool.fitness[first] > pool.fitness[second]        # ties: the second is fitter
    fit, other = np.where(keep, first, second), np.where(keep, second, first)
    c_rows = spans(pool.conn_ptr, fit)
    c_match = pool.conn_rows(np.repeat(other, pool.conn_counts[fit]), pool.innov[c_rows])
    n_rows = spans(pool.node_ptr, fit)
    n_match = pool.node_rows(np.repeat(other, pool.node_counts[fit]), pool.nodes[n_rows])
    conn = {f: getattr(pool, f)[c_rows] for f in CONN_FIELDS}
    node = {f: getattr(pool, f)[n_rows] for f in NODE_FIELDS}
    # one draw per matching gene and attribute (rows: weight, enabled, the 3/4 rule)
    both = np.flatnonzero(c_match >= 0)
    m = c_match[both]
    coin = rng.random((3, len(m)))
    for i, name in enumerate(("weight", "enabled")):
        take = coin[i] < 0.5
        conn[name][both[take]] = getattr(pool, name)[m[take]]
    # either parent's copy disabled: the child's is disabled with probability 3/4
    off = ~(pool.enabled[c_rows[both]] & pool.enabled[m]) & (coin[2] < 0.75)
    conn["enabled"][both[off]] = False
    both = np.flatnonzero(n_match >= 0)
    m = n_match[both]
    coin = rng.random((4, len(m))) < 0.5
    for i, name in enumerate(("bias", "response", "act", "agg")):
        take = coin[i]
        node[name][both[take]] = getattr(pool, name)[m[take]]
    return GenePool(np.asarray(keys, dtype=np.int64), pointers(pool.node_counts[fit]),
                    *(node[f] for f in NODE_FIELDS), pointers(pool.conn_counts[fit]),
                    *(conn[f] for f in CONN_FIELDS), np.full(len(fit), np.nan))


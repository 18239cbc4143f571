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
from .pool import GenePool, pointers


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
    fit = np.where(keep, first, second)
    other = first + second - fit
    c_count, n_count = pool.conn_counts[fit], pool.node_counts[fit]
    c_ptr, c_rows = _rows(pool.conn_ptr, c_count, fit)
    n_ptr, n_rows = _rows(pool.node_ptr, n_count, fit)
    c_match = pool.conn_rows(np.repeat(other, c_count), pool.innov[c_rows])
    n_match = pool.node_rows(np.repeat(other, n_count), pool.nodes[n_rows])
    # Each attribute's value comes from a row of ``picks``: the fitter parent's gene, or
    # the other parent's matching one on a coin toss (a gene without a match keeps its
    # own: ``mc`` is then the gene itself). One draw per gene and attribute, one
    # ``where`` for all attributes of a table.
    both = c_match >= 0
    mc = np.where(both, c_match, c_rows)
    coin = rng.random((3, len(c_rows)))
    picks = np.where(coin[:2] < 0.5, mc, c_rows)                  # (2, Nc): weight, enabled
    weight = pool.weight[picks[0]]
    enabled = pool.enabled[picks[1]]
    # either parent's copy disabled: the child's is disabled with probability 3/4
    enabled &= ~(~(pool.enabled[c_rows] & pool.enabled[mc]) & both & (coin[2] < 0.75))
    mn = np.where(n_match >= 0, n_match, n_rows)
    picks = np.where(rng.random((4, len(n_rows))) < 0.5, mn, n_rows)  # bias, response, act, agg
    return GenePool(np.asarray(keys, dtype=np.int64), n_ptr, pool.nodes[n_rows],
                    pool.bias[picks[0]], pool.response[picks[1]], pool.act[picks[2]],
                    pool.agg[picks[3]], c_ptr, pool.src[c_rows], pool.dst[c_rows],
                    pool.innov[c_rows], weight, enabled, np.full(len(fit), np.nan))


def _rows(ptr: np.ndarray, counts: np.ndarray, rows: np.ndarray) -> tuple:
    """``(new_ptr, flat)``: the CSR pointers of segments ``rows`` (of sizes ``counts``)
    taken one after another, and their flat rows in ``ptr``'s table (as ``spans``)."""
    new_ptr = pointers(counts)
    return new_ptr, np.arange(new_ptr[-1]) + np.repeat(ptr[rows] - new_ptr[:-1], counts)


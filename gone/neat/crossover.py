"""Crossover aligned by innovation number (neat-python's ``configure_crossover``).

The child has exactly the fitter parent's genes (its disjoint and excess genes
included); for a gene both parents have (same node id, same connection
innovation) each attribute comes from either parent with probability 1/2, and
a matching connection disabled in either parent is disabled in the child with
probability 3/4 (the NEAT paper's rule, which neat-python 2 applies too). On
equal fitness the second parent counts as the fitter, as in neat-python.
"""

from __future__ import annotations

import numpy as np

from .genome import Genome, _dense, cut_at


def crossover(g1: Genome, g2: Genome, key: int, rng: np.random.Generator) -> Genome:
    """A child of ``g1`` and ``g2`` with id ``key`` (fitness NaN)."""
    return crossover_many([(g1, g2)], [key], rng)[0]


def crossover_many(pairs: list, keys: list, rng: np.random.Generator) -> list[Genome]:
    """Children of ``pairs`` of genomes, all at once over dense gene tables.

    Parents are laid out as rows over the union of their genes (by
    innovation, by node id); a child row takes the fitter parent's genes and,
    where the other parent has the gene too, each attribute from it with
    probability 1/2. Returns the children, keys ``keys``, fitness NaN.
    """
    ordered = [(a, b) if a.fitness > b.fitness else (b, a) for a, b in pairs]
    parents = list({id(g): g for pair in ordered for g in pair}.values())
    row = {id(g): i for i, g in enumerate(parents)}
    r1 = np.array([row[id(a)] for a, _ in ordered])
    r2 = np.array([row[id(b)] for _, b in ordered])
    conn, attrs = _dense(parents, "innov", ("weight", "enabled", "src", "dst", "innov"))
    conns = _inherit(conn, attrs, r1, r2, ("weight", "enabled"), rng)
    both = conn[r1] & conn[r2]
    off = both & ~(attrs[1][r1] & attrs[1][r2]) & (rng.random(both.shape) < 0.75)
    conns[1][off[conn[r1]]] = False
    node, nattrs = _dense(parents, "nodes", ("bias", "response", "act", "agg", "nodes"))
    nodes = _inherit(node, nattrs, r1, r2, ("bias", "response", "act", "agg"), rng)
    c_cut = np.cumsum(conn[r1].sum(1))[:-1]
    n_cut = np.cumsum(node[r1].sum(1))[:-1]
    split = cut_at
    weight, enabled, src, dst, innov = (split(v, c_cut) for v in conns)
    bias, response, act, agg, ids = (split(v, n_cut) for v in nodes)
    return [Genome(int(k), ids[i], bias[i], response[i], act[i], agg[i], src[i], dst[i],
                   innov[i], weight[i], enabled[i]) for i, k in enumerate(keys)]


def _inherit(present, attrs, r1, r2, mixed, rng) -> list[np.ndarray]:
    """Flat values of each attribute for the genes of rows ``r1`` (child order, gene order);
    attributes named in ``mixed`` come from row ``r2`` where a coin says so and it has the gene."""
    mine = present[r1]
    both = mine & present[r2]
    out = []
    for k, values in enumerate(attrs):
        chosen = values[r1]
        if k < len(mixed):
            take = both & (rng.random(both.shape) <= 0.5)
            chosen = np.where(take, values[r2], chosen)
        out.append(chosen[mine])
    return out

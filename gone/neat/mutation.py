"""NEAT mutations over a whole generation's gene tables at once.

Structural (as neat-python's ``DefaultGenome.mutate``): add node (split a
connection: the old one is disabled, ``in -> new`` gets weight 1 and ``new ->
out`` the old weight), delete node (a hidden one, with its connections), add
connection (from an input or hidden node to any node gene; feed-forward only
unless ``feed_forward = False``), delete connection. With
``single_structural_mutation`` at most one of them happens per genome, chosen
in proportion to the four probabilities.

:func:`mutate_structure_pool` draws which genomes get which mutation, then
applies each kind to all of its genomes in one pass over the flat tables of
:mod:`gone.neat.pool`, in neat-python's order (add node, delete node, add
connection, delete connection), so each genome sees its earlier mutations.
Only the bookkeeping of innovation numbers is a Python loop, over the new
genes.

Attributes (:func:`mutate_attributes_pool`, one set of draws for all genes):
bias/response/weight perturbed by ``Normal(0, mutate_power)`` with probability
``mutate_rate``, else replaced by a fresh value with probability
``replace_rate``, clamped to ``[min_value, max_value]``; enabled flags flipped
to a coin toss with probability ``enabled_mutate_rate`` (+ the ``_add``
rates); activation and aggregation replaced by a random option.

``add_node(genome, ...)`` and friends run the same code on one
:class:`~gone.neat.genome.Genome` (a pool of one), changing it in place.
"""

from __future__ import annotations

import numpy as np

from .config import FloatGene, GenomeConfig
from .genome import ACT_NAMES, AGG_NAMES, Genome, init_float, new_nodes
from .innovation import Innovations
from .pool import CONN_FIELDS, NODE_FIELDS, GenePool, replace

_NONE = np.iinfo(np.int64).min   # a node id no genome has


def _pick(ptr_start: np.ndarray, count: np.ndarray, rng) -> np.ndarray:
    """A uniformly random flat row in each segment ``[start, start + count)`` (count > 0)."""
    return ptr_start + np.minimum((rng.random(len(count)) * count).astype(np.int64), count - 1)


# --- structural, whole pool -----------------------------------------------------------------

def mutate_structure_pool(pool: GenePool, config: GenomeConfig, innovations: Innovations,
                          rng, first: int = 0) -> GenePool:
    """The structural part of neat-python's ``mutate`` for genome rows ``first:`` of ``pool``.

    Rows before ``first`` are left as they are (reproduction's elites share the
    children's pool, which spares copying them into a pool of their own).
    """
    c = config
    probs = np.array([c.node_add_prob, c.node_delete_prob, c.conn_add_prob, c.conn_delete_prob])
    n = pool.size - first
    if c.single_structural_mutation:
        r = rng.random(n) * max(1.0, probs.sum())
        choice = np.searchsorted(np.cumsum(probs), r, side="right")
        draws = choice[:, None] == np.arange(4)
    else:
        draws = rng.random((n, 4)) < probs
    which = [np.flatnonzero(draws[:, i]) + first for i in range(4)]
    pool = add_nodes(pool, which[0], c, innovations, rng)
    pool = delete_nodes(pool, which[1], c, rng)
    pool = add_connections(pool, which[2], c, innovations, rng)
    return delete_connections(pool, which[3], rng)


def add_nodes(pool: GenePool, rows: np.ndarray, config: GenomeConfig,
              innovations: Innovations, rng) -> GenePool:
    """Split one random connection in each genome ``rows`` with a new node."""
    counts = pool.conn_counts[rows]
    if config.surer and (counts == 0).any():    # nothing to split: grow a connection instead
        pool = add_connections(pool, rows[counts == 0], config, innovations, rng)
    some = counts > 0
    rows, counts = rows[some], counts[some]
    if len(rows) == 0:
        return pool
    k = _pick(pool.conn_ptr[rows], counts, rng)
    split = pool.innov[k]
    ids = innovations.split_many(split, lambda cand: pool.node_rows(rows, cand) >= 0)
    enabled = pool.enabled.copy()
    enabled[k] = False
    source, target, weight = pool.src[k], pool.dst[k], pool.weight[k]
    pool = insert_nodes(replace(pool, enabled=enabled), rows, new_nodes(config, ids, rng))
    # in -> new with weight 1, new -> out with the old weight, genome by genome
    w = np.ones(2 * len(rows))
    w[1::2] = weight
    return insert_connections(pool, np.repeat(rows, 2), _interleave(source, ids),
                              _interleave(ids, target), w, innovations)


def _interleave(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``[a[0], b[0], a[1], b[1], ...]`` ``(2n,)`` (int64 node ids)."""
    out = np.empty(2 * len(a), dtype=np.int64)
    out[0::2] = a
    out[1::2] = b
    return out


def delete_nodes(pool: GenePool, rows: np.ndarray, config: GenomeConfig, rng) -> GenePool:
    """Remove one random hidden node, with its connections, from each genome ``rows``."""
    n_out = config.num_outputs
    hidden = pool.node_counts[rows] - n_out       # outputs are always the first node genes
    rows, hidden = rows[hidden > 0], hidden[hidden > 0]
    if len(rows) == 0:
        return pool
    pick = _pick(pool.node_ptr[rows] + n_out, hidden, rng)
    doomed = np.full(pool.size, _NONE)
    doomed[rows] = pool.nodes[pick]
    keep = np.ones(len(pool.nodes), dtype=bool)
    keep[pick] = False
    d = doomed[pool.conn_owner]
    return pool.keep("node", keep).keep("conn", (pool.src != d) & (pool.dst != d))


def add_connections(pool: GenePool, rows: np.ndarray, config: GenomeConfig,
                    innovations: Innovations, rng) -> GenePool:
    """Try to grow one connection between random nodes in each genome ``rows``.

    Targets: any node gene; sources: hidden nodes and inputs (neat-python 2: an
    output never feeds another node). An existing connection is left alone
    (re-enabled when ``surer``); a new one that would close a cycle in a
    feed-forward run is dropped.
    """
    if len(rows) == 0:
        return pool
    n_out, n_in = config.num_outputs, config.num_inputs
    n = pool.node_counts[rows]
    hidden = n - n_out
    target = pool.nodes[_pick(pool.node_ptr[rows], n, rng)]
    j = np.minimum((rng.random(len(rows)) * (hidden + n_in)).astype(np.int64), hidden + n_in - 1)
    at = np.minimum(pool.node_ptr[rows] + n_out + j, len(pool.nodes) - 1)
    source = np.where(j < hidden, pool.nodes[at], -(j - hidden) - 1)
    known = innovations.numbers(source, target)
    existing = pool.conn_rows(rows, known)
    has = existing >= 0
    if config.surer and has.any():
        enabled = pool.enabled.copy()
        enabled[existing[has]] = True
        pool = replace(pool, enabled=enabled)
    fresh = ~has & ~((source >= 0) & (source < n_out) & (target >= 0) & (target < n_out))
    if config.feed_forward:
        fresh[fresh] = ~creates_cycles(pool, rows[fresh], source[fresh], target[fresh])
    m = int(fresh.sum())
    return insert_connections(pool, rows[fresh], source[fresh], target[fresh],
                              init_float(config.weight, m, rng), innovations)


def delete_connections(pool: GenePool, rows: np.ndarray, rng) -> GenePool:
    """Remove one random connection from each genome ``rows`` that has one."""
    counts = pool.conn_counts[rows]
    rows, counts = rows[counts > 0], counts[counts > 0]
    if len(rows) == 0:
        return pool
    keep = np.ones(len(pool.innov), dtype=bool)
    keep[_pick(pool.conn_ptr[rows], counts, rng)] = False
    return pool.keep("conn", keep)


def creates_cycles(pool: GenePool, rows: np.ndarray, source: np.ndarray,
                   target: np.ndarray) -> np.ndarray:
    """Whether adding ``source[i] -> target[i]`` to genome ``rows[i]`` closes a cycle ``(n,)``.

    It does when ``source`` is reachable from ``target`` along the genome's
    connections (enabled or not). All genomes' searches run together: a
    reached-flag per node gene, spread along every connection until it stops
    growing (at most the longest path's length of rounds).
    """
    cycle = source == target
    ask = ~cycle & (source >= 0)                # an input has no incoming connections
    if not ask.any():
        return cycle
    rows, source, target = rows[ask], source[ask], target[ask]
    asked = np.zeros(pool.size, dtype=bool)
    asked[rows] = True
    if asked.sum() < len(rows):     # a genome asked twice: reached-flags are per node, so copy it
        pool, rows = pool.take(rows), np.arange(len(rows))
        asked = np.ones(len(rows), dtype=bool)
    mine = np.flatnonzero(asked[pool.conn_owner])
    owner = pool.conn_owner[mine]
    k, n = len(mine), len(rows)
    # one lookup for the node rows of every edge's ends and of the asked targets and sources
    at = pool.node_rows(np.concatenate((owner, owner, rows, rows)),
                        np.concatenate((pool.src[mine], pool.dst[mine], target, source)))
    s, t = at[:k], at[k:2 * k]
    between = (s >= 0) & (t >= 0)                 # inputs are not node genes
    s, t = s[between], t[between]
    reached = np.zeros(len(pool.nodes), dtype=bool)
    reached[at[2 * k:2 * k + n]] = True
    while True:
        grow = t[reached[s] & ~reached[t]]
        if grow.size == 0:
            break
        reached[grow] = True
    cycle[ask] = reached[at[2 * k + n:]]
    return cycle


def insert_nodes(pool: GenePool, rows: np.ndarray, genes: dict) -> GenePool:
    """``pool`` with new node genes ``genes`` (field -> (n,)) added to genomes ``rows``."""
    return pool.add("node", rows, genes)


def insert_connections(pool: GenePool, rows: np.ndarray, source: np.ndarray,
                       target: np.ndarray, weight: np.ndarray,
                       innovations: Innovations) -> GenePool:
    """``pool`` with enabled connections ``source -> target`` added to genomes ``rows``."""
    if len(rows) == 0:
        return pool
    innov = innovations.connections_for(source, target)
    new = {"src": source, "dst": target, "innov": innov, "weight": weight,
           "enabled": np.ones(len(rows), dtype=bool)}
    return pool.add("conn", rows, new)


# --- attributes, whole pool -----------------------------------------------------------------

def mutate_float(values: np.ndarray, gene: FloatGene, rng) -> np.ndarray:
    """neat-python's FloatAttribute.mutate_value for every value at once."""
    if gene.mutate_rate <= 0 and gene.replace_rate <= 0:   # nothing to draw (often response)
        return np.clip(values, gene.min_value, gene.max_value)
    n = len(values)
    r = rng.random(n)
    perturb = rng.normal(0.0, gene.mutate_power, n) if gene.mutate_power > 0 else np.zeros(n)
    fresh = init_float(gene, n, rng) if gene.replace_rate > 0 else values
    out = np.where(r < gene.mutate_rate, values + perturb, values)
    out = np.where((r >= gene.mutate_rate) & (r < gene.mutate_rate + gene.replace_rate), fresh, out)
    return np.clip(out, gene.min_value, gene.max_value)


def _mutate_choice(values: np.ndarray, rate: float, options: tuple, names: tuple, rng):
    if rate <= 0 or len(values) == 0:
        return values
    hit = rng.random(len(values)) < rate
    ids = np.array([names.index(o) for o in options], dtype=values.dtype)
    pick = ids[rng.integers(0, len(ids), len(values))]
    return np.where(hit, pick, values)


def mutate_attributes_pool(pool: GenePool, config: GenomeConfig, rng,
                           first: int = 0) -> GenePool:
    """Every attribute of every gene of genome rows ``first:`` of ``pool`` mutated, one
    draw per gene; the genes of rows before ``first`` are left as they are."""
    a, b = int(pool.conn_ptr[first]), int(pool.node_ptr[first])

    weight = _keep_head(pool.weight, a, mutate_float(pool.weight[a:], config.weight, rng))
    enabled = pool.enabled[a:]
    rate = config.enabled_mutate_rate + np.where(enabled, config.enabled_rate_to_false_add,
                                                 config.enabled_rate_to_true_add)
    flip = rng.random(len(enabled)) < rate
    enabled = _keep_head(pool.enabled, a,
                         np.where(flip, rng.random(len(enabled)) < 0.5, enabled))
    bias = _keep_head(pool.bias, b, mutate_float(pool.bias[b:], config.bias, rng))
    response = _keep_head(pool.response, b,
                          mutate_float(pool.response[b:], config.response, rng))
    act = _keep_head(pool.act, b, _mutate_choice(pool.act[b:], config.activation_mutate_rate,
                                                 config.activation_options, ACT_NAMES, rng))
    agg = _keep_head(pool.agg, b, _mutate_choice(pool.agg[b:], config.aggregation_mutate_rate,
                                                 config.aggregation_options, AGG_NAMES, rng))
    return replace(pool, weight=weight, enabled=enabled, bias=bias, response=response,
                   act=act, agg=agg)


def _keep_head(old: np.ndarray, start: int, tail: np.ndarray) -> np.ndarray:
    """``old[:start]`` followed by ``tail`` (just ``tail`` when there is no head)."""
    if start == 0:
        return tail
    return np.concatenate((old[:start], tail))


# --- the same on single genomes (in place) ---------------------------------------------------

def _apply(genomes: list[Genome], change) -> GenePool:
    """Run ``change(pool) -> pool`` on ``genomes`` and write the results back into them."""
    pool = change(GenePool.from_genomes(genomes))
    for p, g in enumerate(genomes):
        new = pool.genome(p)
        for name in NODE_FIELDS + CONN_FIELDS:
            setattr(g, name, getattr(new, name))
    return pool


def _one(g: Genome, change) -> bool:
    """Apply a one-genome pool change to ``g``; True if any gene changed."""
    before = (g.nodes.copy(), g.innov.copy(), g.enabled.copy())
    _apply([g], change)
    after = (g.nodes, g.innov, g.enabled)
    return not all(len(a) == len(b) and np.array_equal(a, b) for a, b in zip(before, after))


_ROW = np.zeros(1, dtype=np.intp)


def add_node(g: Genome, config: GenomeConfig, innovations: Innovations, rng) -> bool:
    """Split a random connection of ``g`` with a new node; True if the genome changed."""
    return _one(g, lambda p: add_nodes(p, _ROW, config, innovations, rng))


def delete_node(g: Genome, config: GenomeConfig, rng) -> bool:
    """Remove a random hidden node of ``g`` and its connections; True if there was one."""
    return _one(g, lambda p: delete_nodes(p, _ROW, config, rng))


def add_connection(g: Genome, config: GenomeConfig, innovations: Innovations, rng) -> bool:
    """Try to grow one connection of ``g``; True if the genome changed."""
    return _one(g, lambda p: add_connections(p, _ROW, config, innovations, rng))


def delete_connection(g: Genome, rng) -> bool:
    """Remove a random connection of ``g``; True if there was one."""
    return _one(g, lambda p: delete_connections(p, _ROW, rng))


def mutate_structure(g: Genome, config: GenomeConfig, innovations: Innovations, rng) -> None:
    """:func:`mutate_structure_pool` on one genome, in place."""
    _apply([g], lambda p: mutate_structure_pool(p, config, innovations, rng))


def mutate_attributes(genomes: list[Genome], config: GenomeConfig, rng) -> None:
    """:func:`mutate_attributes_pool` on ``genomes``, in place."""
    if genomes:
        _apply(genomes, lambda p: mutate_attributes_pool(p, config, rng))

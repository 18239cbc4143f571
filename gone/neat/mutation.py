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
from .edit import PoolEdit, TableEdit
from .genome import ACT_NAMES, AGG_NAMES, Genome, init_float, new_nodes
from .innovation import Innovations
from .pool import CONN_FIELDS, NODE_FIELDS, GenePool, key_starts, replace

_NONE = np.iinfo(np.int64).min   # a node id no genome has


def _below(count: np.ndarray, rng) -> np.ndarray:
    """A uniformly random integer in ``[0, count[i])`` for each ``i`` (count > 0).

    ``rng.random`` draws multiples of ``2**-53`` below 1, and ``r * count`` then
    rounds to below ``count`` for any ``count < 2**53``, so no clamp is needed.
    """
    return (rng.random(len(count)) * count).astype(np.int64)


# --- structural, whole pool -----------------------------------------------------------------
#
# Each mutation kind edits a PoolEdit: index arrays only, so the four kinds in a
# row gather the gene fields once, when the edit is done.

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
        draws = choice == np.arange(4)[:, None]
    else:
        draws = (rng.random((n, 4)) < probs).T
    add_node, delete_node, add_conn, delete_conn = (d.nonzero()[0] + first for d in draws)
    edit = PoolEdit(pool)
    _add_nodes(edit, add_node, c, innovations, rng)
    _delete_nodes(edit, delete_node, c, rng)
    _add_connections(edit, add_conn, c, innovations, rng)
    _delete_connections(edit, delete_conn, rng)
    return edit.done()


def add_nodes(pool: GenePool, rows: np.ndarray, config: GenomeConfig,
              innovations: Innovations, rng) -> GenePool:
    """Split one random connection in each genome ``rows`` with a new node."""
    edit = PoolEdit(pool)
    _add_nodes(edit, rows, config, innovations, rng)
    return edit.done()


def delete_nodes(pool: GenePool, rows: np.ndarray, config: GenomeConfig, rng) -> GenePool:
    """Remove one random hidden node, with its connections, from each genome ``rows``."""
    edit = PoolEdit(pool)
    _delete_nodes(edit, rows, config, rng)
    return edit.done()


def add_connections(pool: GenePool, rows: np.ndarray, config: GenomeConfig,
                    innovations: Innovations, rng) -> GenePool:
    """Try to grow one connection between random nodes in each genome ``rows``.

    Targets: any node gene; sources: hidden nodes and inputs (neat-python 2: an
    output never feeds another node). An existing connection is left alone
    (re-enabled when ``surer``); a new one that would close a cycle in a
    feed-forward run is dropped.
    """
    edit = PoolEdit(pool)
    _add_connections(edit, rows, config, innovations, rng)
    return edit.done()


def delete_connections(pool: GenePool, rows: np.ndarray, rng) -> GenePool:
    """Remove one random connection from each genome ``rows`` that has one."""
    edit = PoolEdit(pool)
    _delete_connections(edit, rows, rng)
    return edit.done()


def creates_cycles(pool: GenePool, rows: np.ndarray, source: np.ndarray,
                   target: np.ndarray) -> np.ndarray:
    """Whether adding ``source[i] -> target[i]`` to genome ``rows[i]`` closes a cycle ``(n,)``.

    It does when ``source`` is reachable from ``target`` along the genome's
    connections (enabled or not). All genomes' searches run together: a
    reached-flag per node gene, spread along every connection until it stops
    growing (at most the longest path's length of rounds). Every connection must
    join nodes its genome has (or an input), as in every genome gone breeds; the
    search does not check it (compiling such a genome raises GraphError).
    """
    return _creates_cycles(PoolEdit(pool), rows, source, target)


def _add_nodes(edit: PoolEdit, rows: np.ndarray, config: GenomeConfig,
               innovations: Innovations, rng) -> None:
    node, conn = edit.node, edit.conn
    counts = conn.counts[rows]
    if not counts.all():
        empty = counts == 0
        if config.surer:                        # nothing to split: grow a connection instead
            _add_connections(edit, rows[empty], config, innovations, rng)
        rows, counts = rows[~empty], counts[~empty]
        if len(rows) == 0:
            return
    k = conn.ptr[rows] + _below(counts, rng)
    split = conn.column("innov")[k]
    ids = innovations.split_many(split, lambda ids: node.rows(rows, ids) >= 0)
    source, target = conn.column("src")[k], conn.column("dst")[k]
    weight = conn.column("weight")[k]
    conn.set("enabled", k, False)
    node.add(rows, new_nodes(config, ids, rng))
    # in -> new with weight 1, new -> out with the old weight, genome by genome
    w = weight.repeat(2)
    w[0::2] = 1.0
    _insert_connections(conn, rows.repeat(2), _interleave(source, ids),
                        _interleave(ids, target), w, innovations)


def _interleave(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``[a[0], b[0], a[1], b[1], ...]`` ``(2n,)``."""
    out = a.repeat(2)
    out[1::2] = b
    return out


def _delete_nodes(edit: PoolEdit, rows: np.ndarray, config: GenomeConfig, rng) -> None:
    node, conn = edit.node, edit.conn
    n_out = config.num_outputs
    hidden = node.counts[rows] - n_out            # outputs are always the first node genes
    if not (hidden > 0).all():
        some = hidden > 0
        rows, hidden = rows[some], hidden[some]
        if len(rows) == 0:
            return
    pick = node.ptr[rows] + (_below(hidden, rng) + n_out)
    doomed = np.full(edit.size, _NONE)
    doomed[rows] = node.column("nodes")[pick]
    keep = np.ones(len(node.keys), dtype=bool)
    keep[pick] = False
    node.keep(keep)
    d = conn.per_gene(doomed)
    conn.keep((conn.column("src") != d) & (conn.column("dst") != d))


def _add_connections(edit: PoolEdit, rows: np.ndarray, config: GenomeConfig,
                     innovations: Innovations, rng) -> None:
    if len(rows) == 0:
        return
    node, conn = edit.node, edit.conn
    n_out, n_in = config.num_outputs, config.num_inputs
    n, start, nodes = node.counts[rows], node.ptr[rows], node.column("nodes")
    target = nodes[start + _below(n, rng)]
    hidden = n - n_out
    j = _below(hidden + n_in, rng)            # hidden nodes first, then the inputs
    source = np.where(j < hidden, nodes.take(start + n_out + j, mode="clip"), hidden - j - 1)
    existing = conn.rows(rows, innovations.numbers(source, target))
    fresh = existing < 0
    if config.surer and not fresh.all():
        conn.set("enabled", existing[~fresh], True)
    # (a source is never an output, so output -> output, which neat-python skips, cannot come up)
    if config.feed_forward:
        fresh &= ~_creates_cycles(edit, rows, source, target, fresh)
    new = fresh.nonzero()[0]
    _insert_connections(conn, rows[new], source[new], target[new],
                        init_float(config.weight, len(new), rng), innovations)


def _delete_connections(edit: PoolEdit, rows: np.ndarray, rng) -> None:
    conn = edit.conn
    counts = conn.counts[rows]
    if not counts.all():
        some = counts > 0
        rows, counts = rows[some], counts[some]
        if len(rows) == 0:
            return
    keep = np.ones(len(conn.keys), dtype=bool)
    keep[conn.ptr[rows] + _below(counts, rng)] = False
    conn.keep(keep)


def _creates_cycles(edit: PoolEdit, rows: np.ndarray, source: np.ndarray,
                    target: np.ndarray, ask: np.ndarray | None = None) -> np.ndarray:
    """:func:`creates_cycles` on the pool under ``edit``, for the pairs ``ask (n,) bool``
    (all if None; the others come out False unless ``source == target``)."""
    cycle = source == target
    ask = (source >= 0) & ~cycle if ask is None else ask & (source >= 0) & ~cycle
    asked = ask.nonzero()[0]                     # (an input has no incoming connections)
    if len(asked) == 0:
        return cycle
    rows, source, target = rows[asked], source[asked], target[asked]
    asked_genome = np.zeros(edit.size, dtype=bool)
    asked_genome[rows] = True
    if np.count_nonzero(asked_genome) < len(rows):
        # a genome asked twice: reached-flags are per node, so give each ask its own copy
        edit, rows = PoolEdit(edit.done().take(rows)), np.arange(len(rows))
        asked_genome = np.ones(len(rows), dtype=bool)
    node, conn = edit.node, edit.conn
    starts = key_starts(edit.size)
    mine = conn.per_gene(asked_genome).nonzero()[0]     # the asked genomes' connections
    src, dst = conn.column("src")[mine], conn.column("dst")[mine]
    base = conn.per_gene(starts[:-1])[mine]
    k, n, at_rows = len(src), len(rows), starts[rows]
    # one lookup for the node rows of every edge's ends and of the asked targets and sources
    at = node.keys.searchsorted(np.concatenate((base + src, base + dst,
                                                at_rows + target, at_rows + source)))
    s, t = at[:k], at[k:2 * k]
    s[src < 0] = len(node.keys)          # an input: a flag of its own, never reached
    reached = np.zeros(len(node.keys) + 1, dtype=bool)
    reached[at[2 * k:2 * k + n]] = True
    count = 0
    while (grown := np.count_nonzero(reached)) > count:    # until a round reaches nothing new
        count = grown
        reached[t[reached[s]]] = True
    cycle[asked] = reached[at[2 * k + n:]]
    return cycle


def _insert_connections(conn: TableEdit, rows: np.ndarray, source: np.ndarray,
                        target: np.ndarray, weight: np.ndarray,
                        innovations: Innovations) -> None:
    """Add enabled connections ``source -> target`` to genomes ``rows``."""
    if len(rows) == 0:
        return
    innov = innovations.connections_for(source, target)
    conn.add(rows, {"src": source, "dst": target, "innov": innov, "weight": weight,
                    "enabled": np.ones(len(rows), dtype=bool)})


# --- attributes, whole pool -----------------------------------------------------------------

def mutate_float(values: np.ndarray, gene: FloatGene, rng) -> np.ndarray:
    """neat-python's FloatAttribute.mutate_value for every value at once."""
    lo, hi = gene.min_value, gene.max_value
    if gene.mutate_rate <= 0 and gene.replace_rate <= 0:   # nothing to draw (often response)
        return values.clip(lo, hi)
    n = len(values)
    r = rng.random(n)
    perturb = rng.normal(0.0, gene.mutate_power, n) if gene.mutate_power > 0 else np.zeros(n)
    out = values
    if gene.replace_rate > 0:
        out = np.where(r < gene.mutate_rate + gene.replace_rate, init_float(gene, n, rng), values)
    out = np.where(r < gene.mutate_rate, values + perturb, out)
    return out.clip(lo, hi)      # the method: np.clip's dispatch costs more than the clipping


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
    c, a, b = config, int(pool.conn_ptr[first]), int(pool.node_ptr[first])
    weight = _tail(pool.weight, a, lambda v: mutate_float(v, c.weight, rng))
    enabled = _tail(pool.enabled, a, lambda v: _mutate_enabled(v, c, rng))
    bias = _tail(pool.bias, b, lambda v: mutate_float(v, c.bias, rng))
    response = _tail(pool.response, b, lambda v: mutate_float(v, c.response, rng))
    act = _tail(pool.act, b, lambda v: _mutate_choice(v, c.activation_mutate_rate,
                                                      c.activation_options, ACT_NAMES, rng))
    agg = _tail(pool.agg, b, lambda v: _mutate_choice(v, c.aggregation_mutate_rate,
                                                      c.aggregation_options, AGG_NAMES, rng))
    return replace(pool, weight=weight, enabled=enabled, bias=bias, response=response,
                   act=act, agg=agg)


def _mutate_enabled(enabled: np.ndarray, config: GenomeConfig, rng) -> np.ndarray:
    """Each flag set to a coin toss with probability ``enabled_mutate_rate`` (+ the ``_add``
    rate of its state)."""
    rate = config.enabled_mutate_rate
    if config.enabled_rate_to_false_add != config.enabled_rate_to_true_add:
        rate = rate + np.where(enabled, config.enabled_rate_to_false_add,
                               config.enabled_rate_to_true_add)
    else:
        rate += config.enabled_rate_to_false_add
    flip = rng.random(len(enabled)) < rate
    return np.where(flip, rng.random(len(enabled)) < 0.5, enabled)


def _tail(old: np.ndarray, start: int, change) -> np.ndarray:
    """``old[:start]`` followed by ``change(old[start:])``; ``old`` itself when that is unchanged."""
    tail = old[start:]
    new = change(tail)
    if new is tail:
        return old
    return new if start == 0 else np.concatenate((old[:start], new))


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

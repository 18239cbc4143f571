"""NEAT mutations: structural ones per genome, attribute ones over a whole batch at once.

Structural (as neat-python's ``DefaultGenome.mutate``): add node (split a
connection: the old one is disabled, ``in -> new`` gets weight 1 and ``new ->
out`` the old weight), add connection (from an input or hidden node to a
hidden or output node; feed-forward only unless ``feed_forward = False``),
delete node (a hidden one,
with its connections), delete connection. With ``single_structural_mutation``
at most one of them happens, chosen in proportion to the four probabilities.

Attributes (:func:`mutate_attributes`, one set of draws for all genomes):
bias/response/weight perturbed by ``Normal(0, mutate_power)`` with probability
``mutate_rate``, else replaced by a fresh value with probability
``replace_rate``, clamped to ``[min_value, max_value]``; enabled flags flipped
to a coin toss with probability ``enabled_mutate_rate`` (+ the ``_add``
rates); activation and aggregation replaced by a random option.
"""

from __future__ import annotations

import numpy as np

from .config import FloatGene, GenomeConfig
from .genome import ACT_NAMES, AGG_NAMES, Genome, cut_at, init_float, new_nodes
from .innovation import Innovations


def creates_cycle(src: np.ndarray, dst: np.ndarray, source: int, target: int) -> bool:
    """Whether adding ``source -> target`` to the connections ``src -> dst`` closes a cycle."""
    if source == target:
        return True
    edges = list(zip(src.tolist(), dst.tolist()))  # plain Python: genomes are small
    reached = {target}
    while True:
        grew = False
        for a, b in edges:
            if a in reached and b not in reached:
                if b == source:
                    return True
                reached.add(b)
                grew = True
        if not grew:
            return False


def _append(g: Genome, pairs: list, weights: list, innovations: Innovations) -> None:
    """Add enabled connections ``pairs`` [(source, target)] with ``weights``."""
    g.src = np.concatenate([g.src, [a for a, _ in pairs]]).astype(np.int64)
    g.dst = np.concatenate([g.dst, [b for _, b in pairs]]).astype(np.int64)
    g.innov = np.concatenate([g.innov, [innovations.connection(a, b) for a, b in pairs]]
                             ).astype(np.int64)
    g.weight = np.concatenate([g.weight, weights])
    g.enabled = np.concatenate([g.enabled, np.ones(len(pairs), dtype=bool)])


def add_connection(g: Genome, config: GenomeConfig, innovations: Innovations, rng) -> bool:
    """Try to grow one connection between random nodes; True if the genome changed.

    Targets: any node gene; sources: hidden nodes and inputs (neat-python 2: an
    output never feeds another node).
    """
    n_out = config.num_outputs
    hidden = g.n_nodes - n_out            # nodes are sorted, outputs (always kept) first
    target = int(g.nodes[rng.integers(g.n_nodes)])
    j = int(rng.integers(hidden + config.num_inputs))
    source = int(g.nodes[n_out + j]) if j < hidden else -(j - hidden) - 1
    existing = np.flatnonzero((g.src == source) & (g.dst == target))
    if existing.size:
        if config.surer and not g.enabled[existing[0]]:
            g.enabled[existing[0]] = True
            return True
        return False
    if 0 <= source < n_out and 0 <= target < n_out:
        return False
    if config.feed_forward and creates_cycle(g.src, g.dst, source, target):
        return False
    _append(g, [(source, target)], init_float(config.weight, 1, rng), innovations)
    return True


def add_node(g: Genome, config: GenomeConfig, innovations: Innovations, rng) -> bool:
    """Split a random connection with a new node; True if the genome changed."""
    if g.n_connections == 0:
        return add_connection(g, config, innovations, rng) if config.surer else False
    k = int(rng.integers(g.n_connections))
    node = innovations.split(int(g.innov[k]), set(g.nodes.tolist()))
    at = int(np.searchsorted(g.nodes, node))       # keep the nodes sorted by id
    for name, values in new_nodes(config, [node], rng).items():
        old = getattr(g, name)
        setattr(g, name, np.concatenate([old[:at], values, old[at:]]).astype(old.dtype))
    g.enabled[k] = False
    source, target = int(g.src[k]), int(g.dst[k])
    _append(g, [(source, node), (node, target)], [1.0, float(g.weight[k])], innovations)
    return True


def _keep_connections(g: Genome, keep: np.ndarray) -> None:
    g.src, g.dst, g.innov = g.src[keep], g.dst[keep], g.innov[keep]
    g.weight, g.enabled = g.weight[keep], g.enabled[keep]


def delete_node(g: Genome, config: GenomeConfig, rng) -> bool:
    """Remove a random hidden node and its connections; True if there was one."""
    hidden = g.nodes[g.nodes >= config.num_outputs]
    if hidden.size == 0:
        return False
    node = hidden[rng.integers(hidden.size)]
    keep = g.nodes != node
    g.nodes, g.bias, g.response = g.nodes[keep], g.bias[keep], g.response[keep]
    g.act, g.agg = g.act[keep], g.agg[keep]
    _keep_connections(g, (g.src != node) & (g.dst != node))
    return True


def delete_connection(g: Genome, rng) -> bool:
    """Remove a random connection; True if there was one."""
    if g.n_connections == 0:
        return False
    keep = np.ones(g.n_connections, dtype=bool)
    keep[rng.integers(g.n_connections)] = False
    _keep_connections(g, keep)
    return True


def mutate_structure(g: Genome, config: GenomeConfig, innovations: Innovations, rng) -> None:
    """The structural part of neat-python's ``mutate``, in its order."""
    c = config
    if c.single_structural_mutation:
        probs = np.array([c.node_add_prob, c.node_delete_prob, c.conn_add_prob, c.conn_delete_prob])
        r = rng.random() * max(1.0, probs.sum())
        choice = int(np.searchsorted(np.cumsum(probs), r, side="right"))
        draws = [choice == i for i in range(4)]
    else:
        draws = list(rng.random(4) < [c.node_add_prob, c.node_delete_prob,
                                      c.conn_add_prob, c.conn_delete_prob])
    if draws[0]:
        add_node(g, c, innovations, rng)
    if draws[1]:
        delete_node(g, c, rng)
    if draws[2]:
        add_connection(g, c, innovations, rng)
    if draws[3]:
        delete_connection(g, rng)


# --- attributes, vectorised over many genomes -------------------------------------------

def mutate_float(values: np.ndarray, gene: FloatGene, rng) -> np.ndarray:
    """neat-python's FloatAttribute.mutate_value for every value at once."""
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


def mutate_attributes(genomes: list[Genome], config: GenomeConfig, rng) -> None:
    """Mutate every attribute of every gene of ``genomes`` in place, one draw per gene."""
    if not genomes:
        return
    node_cut = np.cumsum([g.n_nodes for g in genomes])[:-1]
    conn_cut = np.cumsum([g.n_connections for g in genomes])[:-1]
    cat = lambda name: np.concatenate([getattr(g, name) for g in genomes])  # noqa: E731
    weight = mutate_float(cat("weight"), config.weight, rng)
    enabled = cat("enabled")
    rate = config.enabled_mutate_rate + np.where(enabled, config.enabled_rate_to_false_add,
                                                 config.enabled_rate_to_true_add)
    flip = rng.random(len(enabled)) < rate
    enabled = np.where(flip, rng.random(len(enabled)) < 0.5, enabled)
    bias = mutate_float(cat("bias"), config.bias, rng)
    response = mutate_float(cat("response"), config.response, rng)
    act = _mutate_choice(cat("act"), config.activation_mutate_rate, config.activation_options,
                         ACT_NAMES, rng)
    agg = _mutate_choice(cat("agg"), config.aggregation_mutate_rate, config.aggregation_options,
                         AGG_NAMES, rng)
    for name, values, cut in (("weight", weight, conn_cut), ("enabled", enabled, conn_cut),
                              ("bias", bias, node_cut), ("response", response, node_cut),
                              ("act", act, node_cut), ("agg", agg, node_cut)):
        for g, part in zip(genomes, cut_at(values, cut)):
            setattr(g, name, part)

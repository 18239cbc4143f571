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
from .genome import ACT_NAMES, AGG_NAMES, Genome, init_float, input_ids, new_nodes
from .innovation import Innovations


def creates_cycle(src: np.ndarray, dst: np.ndarray, source: int, target: int) -> bool:
    """Whether adding ``source -> target`` to the connections ``src -> dst`` closes a cycle."""
    if source == target:
        return True
    reached, frontier = {target}, [target]
    while frontier:
        nxt = dst[np.isin(src, frontier)]
        frontier = [int(n) for n in nxt if n not in reached]
        if source in frontier:
            return True
        reached.update(frontier)
    return False


def _append_connection(g: Genome, source: int, target: int, weight: float, enabled: bool,
                       innovations: Innovations) -> None:
    g.src = np.append(g.src, source)
    g.dst = np.append(g.dst, target)
    g.innov = np.append(g.innov, innovations.connection(source, target))
    g.weight = np.append(g.weight, weight)
    g.enabled = np.append(g.enabled, enabled)


def add_connection(g: Genome, config: GenomeConfig, innovations: Innovations, rng) -> bool:
    """Try to grow one connection between random nodes; True if the genome changed."""
    targets = g.nodes
    # sources: hidden nodes and inputs, as neat-python 2 (an output never feeds another node)
    sources = np.concatenate([targets[targets >= config.num_outputs], input_ids(config)])
    target = int(targets[rng.integers(len(targets))])
    source = int(sources[rng.integers(len(sources))])
    existing = np.flatnonzero((g.src == source) & (g.dst == target))
    if existing.size:
        if config.surer and not g.enabled[existing[0]]:
            g.enabled[existing[0]] = True
            return True
        return False
    if 0 <= source < config.num_outputs and 0 <= target < config.num_outputs:
        return False
    if config.feed_forward and creates_cycle(g.src, g.dst, source, target):
        return False
    weight = float(init_float(config.weight, 1, rng)[0])
    _append_connection(g, source, target, weight, True, innovations)
    g.sort()
    return True


def add_node(g: Genome, config: GenomeConfig, innovations: Innovations, rng) -> bool:
    """Split a random connection with a new node; True if the genome changed."""
    if g.n_connections == 0:
        return add_connection(g, config, innovations, rng) if config.surer else False
    k = int(rng.integers(g.n_connections))
    node = innovations.split(int(g.innov[k]), set(g.nodes.tolist()))
    fresh = new_nodes(config, [node], rng)
    for name, values in fresh.items():
        setattr(g, name, np.concatenate([getattr(g, name), values]))
    g.enabled[k] = False
    source, target, weight = int(g.src[k]), int(g.dst[k]), float(g.weight[k])
    _append_connection(g, source, node, 1.0, True, innovations)
    _append_connection(g, node, target, weight, True, innovations)
    g.sort()
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
        for g, part in zip(genomes, np.split(values, cut)):
            setattr(g, name, part)

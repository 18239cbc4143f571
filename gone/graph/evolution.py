"""Evolving graph networks: weights and biases like any genome, topology by edits.

Weights and biases form the genome (:meth:`GraphNetwork.genome`), so
:class:`~gone.GaussianMutation` and the other array operators apply as they
do to layered networks. Crossover matches genes by name (neuron and source),
so parents of different topologies can be crossed. The topology edits
(add or remove a synapse, split a synapse with a new neuron) change the graph
in place. Every random choice draws from the ``numpy.random.Generator`` given.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._base.rng import make_rng
from ..errors import ConfigError, GraphError
from ..nn import operators as _ops
from .network import GraphNetwork


def crossover(a: GraphNetwork, b: GraphNetwork, rng, p: float = 0.5) -> GraphNetwork:
    """A child with ``a``'s topology. Each gene both parents have (the same neuron's
    bias, or the same neuron-source synapse) comes from ``a`` with probability
    ``p``, else from ``b`` (:func:`~gone.evolution.operators.uniform_crossover`);
    genes only ``a`` has come from ``a``. The child's state is reset."""
    if not isinstance(b, GraphNetwork):
        raise ConfigError(f"can only cross a GraphNetwork with a GraphNetwork, "
                          f"got {type(b).__name__}")
    theirs = {gene: i for i, gene in enumerate(b.gene_names())}
    mine = [i for i, gene in enumerate(a.gene_names()) if gene in theirs]
    other = [theirs[gene] for gene in a.gene_names() if gene in theirs]
    genome = a.genome()
    genome[mine] = _ops.uniform_crossover(genome[mine], b.genome()[other], make_rng(rng), p)
    child = a.copy().set_genome(genome)
    child.reset_state()
    return child


def add_connection(graph: GraphNetwork, rng, std: float = 1.0) -> GraphNetwork:
    """Add one synapse, uniformly among the missing (neuron, source) pairs, with weight
    ``Normal(0, std)``; recurrent ones included. A complete graph is left as is."""
    rng = make_rng(rng)
    nodes = graph.inputs + graph.neuron_names
    config = graph.to_config()
    missing = [(n, s) for n in graph.neuron_names for s in nodes
               if s not in config["neurons"][n]["synapses"]]
    if not missing:
        return graph
    neuron, source = missing[rng.integers(len(missing))]
    config["neurons"][neuron]["synapses"][source] = float(rng.normal(0.0, std))
    return graph._rebuild(config)


def _synapses(config: dict) -> list[tuple[str, str]]:
    return [(n, s) for n, spec in config["neurons"].items() for s in spec["synapses"]]


def remove_connection(graph: GraphNetwork, rng) -> GraphNetwork:
    """Remove one synapse chosen uniformly; a graph without synapses is left as is."""
    config = graph.to_config()
    synapses = _synapses(config)
    if synapses:
        neuron, source = synapses[make_rng(rng).integers(len(synapses))]
        del config["neurons"][neuron]["synapses"][source]
        graph._rebuild(config)
    return graph


def _new_name(graph: GraphNetwork) -> str:
    taken = set(graph.inputs + graph.neuron_names)
    k = graph.n_neurons
    while f"n{k}" in taken:
        k += 1
    return f"n{k}"


def add_neuron(graph: GraphNetwork, rng, activation="identity") -> GraphNetwork:
    """Split a synapse ``source -w-> target`` chosen uniformly into ``source -1-> new -w-> target``.

    The new neuron (named ``n<k>``, bias 0) is defined last. With the identity
    activation a split feed-forward synapse computes what it did before.
    """
    config = graph.to_config()
    synapses = _synapses(config)
    if not synapses:
        raise GraphError("add_neuron needs a synapse to split; the graph has none")
    target, source = synapses[make_rng(rng).integers(len(synapses))]
    name = _new_name(graph)
    old = config["neurons"][target]["synapses"]
    # the new synapse takes the old one's place, so definition order is kept
    config["neurons"][target]["synapses"] = {name if s == source else s: w for s, w in old.items()}
    spec = {"bias": 0.0, "activation": activation, "synapses": {source: 1.0}}
    config["neurons"][name] = spec
    return graph._rebuild(config)


@dataclass(frozen=True)
class TopologyMutation:
    """Each call adds a synapse, removes one and adds a neuron, each with its probability."""

    add_connection: float = 0.1
    remove_connection: float = 0.05
    add_neuron: float = 0.03
    std: float = 1.0

    def __post_init__(self):
        for name in ("add_connection", "remove_connection", "add_neuron"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name} probability must be in [0, 1], got {value}")

    def __call__(self, graph: GraphNetwork, rng) -> GraphNetwork:
        """Apply the edits to ``graph`` in place; returns it."""
        rng = make_rng(rng)
        draws = rng.random(3)
        if draws[0] < self.add_connection:
            add_connection(graph, rng, self.std)
        if draws[1] < self.remove_connection:
            remove_connection(graph, rng)
        if draws[2] < self.add_neuron and _synapses(graph.to_config()):
            add_neuron(graph, rng)
        return graph


__all__ = ["TopologyMutation", "add_connection", "add_neuron", "crossover", "remove_connection"]

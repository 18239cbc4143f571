"""Layered networks and graphs, both ways.

:func:`network_config` names every neuron of a layered :class:`~gone.Network`
(inputs ``in_1``.., layer k's neurons ``hk_1``.., the last layer's
``out_1``.., all 1-based) and makes every weight a synapse;
:func:`to_network` goes back when a graph is layered
(``GraphNetwork.from_network(net)`` and ``graph.to_network()`` call these).
Part of the graph layer: it knows networks (``gone.nn``), never files, and
works on any graph through its public methods, so it needs no import of
:class:`~gone.GraphNetwork`.
"""

from __future__ import annotations

import numpy as np

from ..errors import GoneError, GraphError
from ..nn.network import Network


def network_config(net) -> dict:
    """The graph config ``{"inputs", "outputs", "neurons"}`` of a layered network."""
    prev = [f"in_{j + 1}" for j in range(net.n_inputs)]
    inputs, neurons = prev, {}
    for k, layer in enumerate(net.layers, 1):
        if layer.kind != "dense":
            raise GraphError(f"layer {k} is a {layer.kind} layer; only dense layers become graphs")
        last = k == len(net.layers)
        names = [f"out_{j + 1}" if last else f"h{k}_{j + 1}" for j in range(layer.units)]
        bias = np.zeros(layer.units) if layer.bias is None else layer.bias
        act = layer.activation
        for j, name in enumerate(names):
            neurons[name] = {"bias": float(bias[j]), "activation": act.name,
                             "activation_params": dict(act.params),
                             "synapses": dict(zip(prev, layer.weight[j].astype(float).tolist()))}
        prev = names
    return {"inputs": inputs, "outputs": prev, "neurons": neurons}


def _layers(graph) -> list[list[str]]:
    """The neurons of each layer (the last in output order) or GraphError saying why not layered."""
    cyclic = graph.cycle_closing()
    if cyclic:
        n, s = cyclic[0]
        raise GraphError(f"not layered: neuron {n!r} has a recurrent synapse from {s!r}")
    levels = graph.neuron_levels()
    top = max(levels.values())
    outputs = set(graph.outputs)
    for name in graph.neuron_names:
        for source in graph.neuron(name)["synapses"]:
            if levels.get(source, -1) != levels[name] - 1:
                raise GraphError(f"not layered: neuron {name!r} (layer {levels[name] + 1}) has "
                                 f"a synapse from {source!r} (layer {levels.get(source, -1) + 1})")
        if (levels[name] == top) != (name in outputs):
            raise GraphError(f"not layered: neuron {name!r} is in layer {levels[name] + 1} but the "
                             f"outputs are exactly the neurons of the last layer ({top + 1})")
    layers: list[list[str]] = [[] for _ in range(top)]
    for name in graph.neuron_names:
        if levels[name] < top:
            layers[levels[name]].append(name)
    return layers + [list(graph.outputs)]


def to_network(graph, **kwargs) -> Network:
    """A :class:`~gone.Network` computing what ``graph`` computes, if the graph is layered.

    Layered: no recurrent synapse, every synapse goes from one layer to the
    next (inputs are layer 0), the outputs are the last layer and each layer's
    neurons share one activation. Missing synapses become zero weights.
    ``kwargs`` go to :meth:`Network.from_arrays`.
    """
    weights, biases, acts, prev = [], [], [], list(graph.inputs)
    for k, names in enumerate(_layers(graph), 1):
        specs = [graph.neuron(n) for n in names]
        layer_acts = [graph.activation(n) for n in names]
        kinds = {(a.name, tuple(sorted(a.params.items()))) for a in layer_acts}
        if len(kinds) > 1:
            raise GraphError(f"not layered: layer {k} mixes activations "
                             f"{', '.join(sorted(a for a, _ in kinds))}")
        col = {name: j for j, name in enumerate(prev)}
        w = np.zeros((len(names), len(prev)))
        for i, s in enumerate(specs):
            for source, weight in s["synapses"].items():
                w[i, col[source]] = weight
        weights.append(w)
        biases.append(np.array([s["bias"] for s in specs]))
        acts.append(layer_acts[0])
        prev = names
    try:
        return Network.from_arrays(weights, biases, acts, **kwargs)
    except GoneError as exc:
        raise GraphError(f"cannot build the network: {exc}") from None

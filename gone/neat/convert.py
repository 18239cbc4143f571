"""One genome -> :class:`~gone.GraphNetwork`, and the propagation rule both forms share.

Node columns of one genome: inputs ``0 .. n_in-1`` (ids ``-1, -2, ..``), then
its node genes in id order (outputs first, since their ids ``0 .. n_out-1``
are the smallest; hidden after). Only enabled connections count.

:class:`~gone.GraphNetwork`'s propagation rule: neurons are walked
depth-first in column order, a connection whose source is still being
resolved closes a cycle and reads the previous step's value; all others are
feed-forward and settle within the step, level by level (:func:`levels`). A
feed-forward genome therefore computes exactly neat-python's
``FeedForwardNetwork``.

The activation's hidden scale (neat-python's sigmoid is ``sigmoid(5 z)``) is
folded into the graph's weights and bias: ``w' = s * response * w``,
``b' = s * bias``.
"""

from __future__ import annotations

import numpy as np

from ..errors import GraphError
from ..graph import GraphNetwork
from .activations import gone_activation, scale
from .genome import ACT_NAMES, AGG_NAMES, Genome

_SUM = AGG_NAMES.index("sum")


def input_names(n: int) -> list[str]:
    return [f"in_{i + 1}" for i in range(n)]


def node_name(node: int, n_outputs: int) -> str:
    return f"out_{node + 1}" if node < n_outputs else f"h{node}"


def columns(g: Genome, n_inputs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, cols, kept)``: for each enabled connection, its target row among the
    neurons and its source column among all nodes; ``kept`` indexes the connections."""
    kept = np.flatnonzero(g.enabled)
    rows = np.searchsorted(g.nodes, g.dst[kept])
    src = g.src[kept]
    cols = np.where(src < 0, -src - 1, n_inputs + np.searchsorted(g.nodes, np.maximum(src, 0)))
    ok = (rows < g.n_nodes) & (g.nodes[np.minimum(rows, g.n_nodes - 1)] == g.dst[kept])
    ok &= (src < 0) | (g.nodes[np.clip(cols - n_inputs, 0, g.n_nodes - 1)] == src)
    if not ok.all():
        bad = kept[~ok][0]
        raise GraphError(f"genome {g.key}: connection {g.src[bad]} -> {g.dst[bad]} names a node "
                         "the genome does not have")
    return rows, cols, kept


def levels(n_neurons: int, n_inputs: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Each neuron's level ``(n_neurons,)`` under GraphNetwork's depth-first rule.

    ``rows``/``cols`` are the synapses (target neuron, source column) in the
    order the graph lists them per neuron.
    """
    deps: list[list[int]] = [[] for _ in range(n_neurons)]
    for r, c in zip(rows.tolist(), cols.tolist()):
        deps[r].append(c - n_inputs)
    level, colour = [0] * n_neurons, [0] * n_neurons
    for root in range(n_neurons):
        if colour[root]:
            continue
        colour[root], stack = 1, [[root, 0, []]]
        while stack:
            frame = stack[-1]
            i, k, ff = frame
            if k == len(deps[i]):
                stack.pop()
                colour[i] = 2
                level[i] = 1 + max((level[j] for j in ff), default=-1)
                continue
            frame[1] += 1
            j = deps[i][k]
            if j < 0 or colour[j] == 1:
                continue  # an input, or a synapse that closes a cycle
            ff.append(j)
            if colour[j] == 0:
                colour[j] = 1
                stack.append([j, 0, []])
    return np.array(level, dtype=np.intp)


def to_graph(genome: Genome, n_inputs: int, n_outputs: int) -> GraphNetwork:
    """The genome as a GraphNetwork (enabled connections; sum aggregation only).

    Inputs are named ``in_1..``, outputs ``out_1..``, hidden nodes ``h<id>``.
    """
    n_out = n_outputs
    rows, cols, kept = columns(genome, n_inputs)
    names = input_names(n_inputs) + [node_name(int(n), n_out) for n in genome.nodes]
    neurons = {}
    for i, node in enumerate(genome.nodes.tolist()):
        if genome.agg[i] != _SUM:
            raise GraphError(f"genome {genome.key}: node {node} aggregates by "
                             f"{AGG_NAMES[genome.agg[i]]}; a GraphNetwork sums its inputs")
        act_name = ACT_NAMES[genome.act[i]]
        s, act = scale(act_name), gone_activation(act_name)
        mine = np.flatnonzero(rows == i)
        synapses = {names[cols[k]]: float(s * genome.response[i] * genome.weight[kept[k]])
                    for k in mine}
        spec = {"bias": float(s * genome.bias[i]), "activation": act.name, "synapses": synapses}
        if act.params:
            spec["activation_params"] = dict(act.params)
        neurons[names[n_inputs + i]] = spec
    outputs = [node_name(k, n_out) for k in range(n_out)]
    return GraphNetwork(input_names(n_inputs), outputs, neurons)

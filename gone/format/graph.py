"""Graph networks in files (JSON and ``.gone``) and as layered networks.

JSON is the config shape of :class:`~gone.graph.GraphNetwork`, keys in
definition order, two-space indent; floats are written exactly (shortest
repr), so load then save reproduces the file. A ``.gone`` file holds the graph
in ``NeuralNetwork.graph`` (see ``proto/gone.proto``), neurons and synapses in
definition order, plus each neuron's state when the state is one sequence.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .._base import atomic as _atomic
from . import network as _io
from .._proto import gone_pb2 as pb
from ..errors import GoneError
from ..graph.network import GraphError, GraphNetwork, json_object


# --- JSON -------------------------------------------------------------------

def to_json(graph: GraphNetwork) -> str:
    """The JSON text of ``graph``'s config."""
    return json.dumps(graph.to_config(), indent=2) + "\n"


def from_json(text: str, source: str = "<json>") -> GraphNetwork:
    """A graph from JSON text; errors start with ``source``."""
    try:
        config = json.loads(text, object_pairs_hook=json_object)
    except json.JSONDecodeError as exc:
        raise GraphError(f"{source}: not valid JSON: line {exc.lineno} column {exc.colno}: "
                         f"{exc.msg}") from None
    try:
        return GraphNetwork.from_config(config)
    except GraphError as exc:
        raise GraphError(f"{source}: {exc}") from None


# --- .gone --------------------------------------------------------------------

def to_message(graph: GraphNetwork) -> pb.NeuralNetwork:
    """The ``.gone`` message: format version and the ``graph`` field, no layers."""
    msg = pb.NeuralNetwork(format_version=_io.FORMAT_VERSION, dtype="float64")
    msg.graph.inputs.extend(graph.inputs)
    msg.graph.outputs.extend(graph.outputs)
    state = graph.state
    state = state[0] if len(state) == 1 else np.zeros(graph.n_neurons)
    for name, value in zip(graph.neuron_names, state):
        spec = graph.neuron(name)
        msg.graph.neurons.append(pb.GraphNeuron(
            name=name, bias=spec["bias"], activation=spec["activation"],
            activation_params=spec.get("activation_params", {}), state=float(value),
            synapses=[pb.Synapse(source=s, weight=w) for s, w in spec["synapses"].items()]))
    return msg


def from_message(msg: pb.NeuralNetwork, source: str = "<message>") -> GraphNetwork:
    """A graph from a decoded message; a layered network's file gives its graph."""
    if not msg.HasField("graph"):
        return from_network(_io.from_message(msg, source))
    neurons: dict = {}
    state = []
    for spec in msg.graph.neurons:
        where = f"neuron {spec.name!r}"
        if spec.name in neurons:
            raise GraphError(f"{source}: neurons: duplicate neuron name {spec.name!r}")
        synapses: dict = {}
        for syn in spec.synapses:
            if syn.source in synapses:
                raise GraphError(f"{source}: {where}: synapses: duplicate source {syn.source!r}")
            synapses[syn.source] = syn.weight
        neurons[spec.name] = {"bias": spec.bias, "activation": spec.activation,
                              "activation_params": dict(spec.activation_params),
                              "synapses": synapses}
        if not math.isfinite(spec.state):
            raise GraphError(f"{source}: {where}: state must be a finite number, got {spec.state}")
        state.append(spec.state)
    try:
        graph = GraphNetwork(list(msg.graph.inputs), list(msg.graph.outputs), neurons)
    except GraphError as exc:
        raise GraphError(f"{source}: {exc}") from None
    if any(state):
        graph.state = [state]
    return graph


def dumps(graph: GraphNetwork) -> bytes:
    """The bytes of the ``.gone`` file for ``graph``."""
    return _io.seal(to_message(graph).SerializeToString())


def loads(data: bytes, source: str = "<bytes>") -> GraphNetwork:
    """A graph from ``.gone`` bytes."""
    return from_message(_io.decode(data, source), source)


# --- files ----------------------------------------------------------------------

def _is_json(path: Path, data: bytes) -> bool:
    """By extension; without a known one (e.g. ``/dev/fd/63``), by content."""
    suffix = path.suffix.lower()
    if suffix in (".json", ".gone"):
        return suffix == ".json"
    return data.lstrip()[:1] == b"{"


def load(path) -> GraphNetwork:
    """A graph from a ``.json`` or ``.gone`` file (a layered ``.gone`` network becomes its graph).

    Reads the file once, so a pipe or process substitution works too.
    """
    data = _io.read_bytes(path)
    if _is_json(Path(path), data):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise GraphError(f"{path}: not UTF-8 text: {exc}") from None
        return from_json(text, str(path))
    return loads(data, str(path))


def save(graph: GraphNetwork, path) -> None:
    """Write ``graph`` atomically: ``.gone`` by extension, JSON otherwise."""
    path = Path(path)
    data = dumps(graph) if path.suffix.lower() == ".gone" else to_json(graph).encode("utf-8")
    try:
        _atomic.write_bytes(path, data)
    except OSError as exc:
        raise GraphError(f"cannot write {path}: {exc.strerror or exc}") from None


# --- layered networks -------------------------------------------------------------

def from_network(net) -> GraphNetwork:
    """The graph of a layered network: inputs ``in_1``.., layer k's neurons ``hk_1``..,
    the last layer's ``out_1``.. (all 1-based); every weight becomes a synapse."""
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
    return GraphNetwork(inputs, prev, neurons)


def _layers(graph: GraphNetwork) -> list[list[str]]:
    """The neurons of each layer (the last in output order) or GraphError saying why not layered."""
    cyclic = graph.cycle_closing()
    if cyclic:
        n, s = cyclic[0]
        raise GraphError(f"not layered: neuron {n!r} has a recurrent synapse from {s!r}")
    levels = dict(zip(graph.neuron_names, graph._level_of))
    top = max(levels.values())
    for name in graph.neuron_names:
        for source in graph.neuron(name)["synapses"]:
            if levels.get(source, -1) != levels[name] - 1:
                raise GraphError(f"not layered: neuron {name!r} (layer {levels[name] + 1}) has "
                                 f"a synapse from {source!r} (layer {levels.get(source, -1) + 1})")
        if (levels[name] == top) != (name in graph.outputs):
            raise GraphError(f"not layered: neuron {name!r} is in layer {levels[name] + 1} but the "
                             f"outputs are exactly the neurons of the last layer ({top + 1})")
    layers = [[n for n in graph.neuron_names if levels[n] == lv] for lv in range(top)]
    return layers + [list(graph.outputs)]


def to_network(graph: GraphNetwork, **kwargs):
    """A :class:`~gone.Network` computing what ``graph`` computes, if the graph is layered.

    Layered: no recurrent synapse, every synapse goes from one layer to the
    next (inputs are layer 0), the outputs are the last layer and each layer's
    neurons share one activation. Missing synapses become zero weights.
    ``kwargs`` go to :meth:`Network.from_arrays`.
    """
    from ..nn.network import Network

    layers = _layers(graph)
    weights, biases, acts, prev = [], [], [], list(graph.inputs)
    for k, names in enumerate(layers, 1):
        specs = [graph.neuron(n) for n in names]
        layer_acts = [graph._acts[graph.neuron_names.index(n)] for n in names]
        kinds = {(a.name, tuple(sorted(a.params.items()))) for a in layer_acts}
        if len(kinds) > 1:
            raise GraphError(f"not layered: layer {k} mixes activations "
                             f"{', '.join(sorted(a for a, _ in kinds))}")
        act = layer_acts[0]
        col = {name: j for j, name in enumerate(prev)}
        w = np.zeros((len(names), len(prev)))
        for i, s in enumerate(specs):
            for source, weight in s["synapses"].items():
                w[i, col[source]] = weight
        weights.append(w)
        biases.append(np.array([s["bias"] for s in specs]))
        acts.append(act)
        prev = names
    try:
        return Network.from_arrays(weights, biases, acts, **kwargs)
    except GoneError as exc:
        raise GraphError(f"cannot build the network: {exc}") from None

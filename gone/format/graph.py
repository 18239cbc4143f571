"""Graph networks in files (JSON and ``.gone``).

JSON is the config shape of :class:`~gone.graph.GraphNetwork`, keys in
definition order, two-space indent; floats are written exactly (shortest
repr), so load then save reproduces the file. A ``.gone`` file holds the graph
in ``NeuralNetwork.graph`` (see ``proto/gone.proto``), neurons and synapses in
definition order, plus each neuron's state when the state is one sequence.

Loading raises only :class:`~gone.GraphError` (a bad graph) and
:class:`~gone.GoneFormatError` (a file that is not a readable ``.gone``),
whatever the bytes. Importing this module registers :func:`save` as what
``GraphNetwork.save`` calls: the graph layer never imports the format layer.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .._base import atomic as _atomic
from .._base import persistence
from .._proto import gone_pb2 as pb
from ..errors import GoneFormatError, GraphError
from ..graph.network import GraphNetwork, json_object
from . import network as _io

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
    except RecursionError:
        raise GraphError(f"{source}: not a graph config: lists or objects nested too "
                         "deeply") from None
    except MemoryError:
        raise GraphError(f"{source}: too large to load ({len(text)} characters)") from None
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
        return GraphNetwork.from_network(_io.from_message(msg, source))
    neurons: dict = {}
    for spec in msg.graph.neurons:
        if spec.name in neurons:
            raise GraphError(f"{source}: neurons: duplicate neuron name {spec.name!r}")
        synapses = {syn.source: syn.weight for syn in spec.synapses}
        if len(synapses) != len(spec.synapses):
            seen: set = set()
            dup = next(s.source for s in spec.synapses if s.source in seen or seen.add(s.source))
            raise GraphError(f"{source}: neuron {spec.name!r}: synapses: duplicate source {dup!r}")
        neurons[spec.name] = {"bias": spec.bias, "activation": spec.activation,
                              "synapses": synapses}
        if spec.activation_params:
            neurons[spec.name]["activation_params"] = dict(spec.activation_params)
    state = np.array([spec.state for spec in msg.graph.neurons], dtype=np.float64)
    if not np.isfinite(state).all():
        bad = msg.graph.neurons[int(np.flatnonzero(~np.isfinite(state))[0])]
        raise GraphError(f"{source}: neuron {bad.name!r}: state must be a finite number, "
                         f"got {bad.state}")
    try:
        graph = GraphNetwork(list(msg.graph.inputs), list(msg.graph.outputs), neurons)
    except GraphError as exc:
        raise GraphError(f"{source}: {exc}") from None
    if state.any():
        graph.state = state[None, :]
    return graph


def dumps(graph: GraphNetwork) -> bytes:
    """The bytes of the ``.gone`` file for ``graph``."""
    return _io.seal(to_message(graph).SerializeToString())


def loads(data: bytes, source: str = "<bytes>") -> GraphNetwork:
    """A graph from ``.gone`` bytes."""
    try:
        return from_message(_io.decode(data, source), source)
    except MemoryError:  # the memory it takes is in proportion to the file: a huge file
        raise GoneFormatError(f"{source}: too large to load ({len(data)} bytes)") from None


# --- files ----------------------------------------------------------------------

def is_json(path: Path, data: bytes) -> bool:
    """By extension; without a known one (e.g. ``/dev/fd/63``), by content."""
    suffix = path.suffix.lower()
    if suffix in (".json", ".gone"):
        return suffix == ".json"
    return data.lstrip()[:1] == b"{"


def from_file_bytes(data: bytes, source: str) -> GraphNetwork:
    """A graph from a file's bytes: JSON or ``.gone`` (a layered network becomes its graph)."""
    if is_json(Path(source), data):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise GraphError(f"{source}: not UTF-8 text: {exc}") from None
        return from_json(text, source)
    return loads(data, source)


def load(path) -> GraphNetwork:
    """A graph from a ``.json`` or ``.gone`` file (a layered ``.gone`` network becomes its graph).

    Reads the file once, so a pipe or process substitution works too.
    """
    try:
        data = _io.read_bytes(path)
    except MemoryError:
        raise GoneFormatError(f"{path}: too large to read into memory") from None
    return from_file_bytes(data, str(path))


def save(graph: GraphNetwork, path) -> None:
    """Write ``graph`` atomically: ``.gone`` by extension, JSON otherwise.

    Refuses a graph with a non-finite weight or bias (:class:`GraphError`), which
    no loader would accept back; an unwritable path is a
    :class:`~gone.errors.WriteError` naming ``path``.
    """
    bad = np.flatnonzero(~np.isfinite(graph.genome()))
    if bad.size:
        neuron, source = graph.gene_names()[int(bad[0])]
        what = "bias" if source is None else f"synapse from {source!r}"
        raise GraphError(f"not saving {path}: neuron {neuron!r} has a non-finite {what}")
    if not np.isfinite(graph.state).all():
        raise GraphError(f"not saving {path}: the state (the neurons' last values) is not finite")
    path = Path(path)
    data = dumps(graph) if path.suffix.lower() == ".gone" else to_json(graph).encode("utf-8")
    _atomic.write_bytes(path, data)  # a WriteError (a GoneError) names ``path``


persistence.register_writer(GraphNetwork, save)

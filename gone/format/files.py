"""``gone.save(obj, path)`` and ``gone.load(path)``: one pair for every kind of ``.gone`` file.

``load`` reads the file once and dispatches on what it holds: a graph
(``.json``, or a ``.gone`` file with a graph and no layers) is a
:class:`~gone.GraphNetwork`, a population record a :class:`~gone.Population`
(or a NEAT run), anything else a :class:`~gone.Network` (the Go library's
files included). ``save`` uses the writer registered for the object's class.
"""

from __future__ import annotations

from pathlib import Path

from .._base import persistence
from ..errors import GoneFormatError
from . import graph, neat, network, population


def save(obj, path) -> None:
    """Write a Network, GraphNetwork, Population or NEAT run to ``path``, atomically.

    Raises ConfigError for an object gone has no format for, and WriteError (a
    GoneError and an OSError) naming ``path`` when it cannot be written.
    """
    persistence.save(obj, path)


def load(path, data=None):
    """What the file at ``path`` holds: a Network, GraphNetwork, Population or NEAT run.

    ``data`` is ``(x, y)`` for a population saved with a Lamarckian or
    Baldwinian hybrid (its arrays are not in the file). Raises GoneFormatError
    (or GraphError for a graph's content) naming the file.
    """
    raw = network.read_bytes(path)
    source = str(path)
    if graph.is_json(Path(source), raw):
        return graph.from_file_bytes(raw, source)
    msg = network.decode(raw, source)
    if neat.is_neat(msg):       # before the graph: a NEAT run also holds its champion's graph
        return neat.from_message(msg, source, data=data)
    if msg.HasField("graph") and not msg.Layers:
        return graph.from_message(msg, source)
    if msg.HasField("population"):
        return population.from_message(msg, source, data=data)
    if data is not None:
        raise GoneFormatError(f"{source}: data is for population files; this holds a network")
    return network.loads(raw, source)

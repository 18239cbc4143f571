"""Neuron-by-neuron graph networks (recurrent connections allowed), conversions and topology edits.

The graph layer: it imports the core network (``gone.nn``) and the base,
never the file formats (``gone.format.graph`` reads and writes graphs and
registers ``GraphNetwork.save``).
"""

from ..errors import GraphError
from .convert import network_config, to_network
from .evolution import TopologyMutation, add_connection, add_neuron, crossover, remove_connection
from .network import GraphNetwork

#: The graph of a layered network (``GraphNetwork.from_network``).
from_network = GraphNetwork.from_network

__all__ = ["GraphError", "GraphNetwork", "TopologyMutation", "add_connection", "add_neuron",
           "crossover", "from_network", "network_config", "remove_connection", "to_network"]

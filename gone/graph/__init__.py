"""Neuron-by-neuron graph networks (recurrent connections allowed) and their topology mutations."""

from ..errors import GraphError
from .network import GraphNetwork

__all__ = ["GraphError", "GraphNetwork"]

"""The ``.gone`` codec: networks (the Go library's fields), layer kinds, populations, graphs and
NEAT runs, and :func:`save`/:func:`load` over all of them. The only user of the
generated protobuf code (``gone._proto``).

Importing it registers each codec's writer (:mod:`gone._base.persistence`), so
``net.save(path)`` and friends find their format without importing this layer.
"""

from . import graph, neat, network, population  # noqa: F401  (each registers its writer)
from .files import load, save

__all__ = ["load", "save"]

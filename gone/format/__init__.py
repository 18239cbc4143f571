"""The ``.gone`` codec: networks (the Go library's fields), image layers, populations, graphs and
NEAT runs. The only user of the generated protobuf code (``gone._proto``).

Importing it registers each codec's writer (:mod:`gone._base.persistence`), so
``net.save(path)`` and friends find their format without importing this layer.
"""

from . import neat  # noqa: F401  (registers its writer)

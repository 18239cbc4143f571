"""NEAT genomes through gone's serial, process and Ray backends.

The backends score rows of a float matrix, rebuilding each row with
``template.with_genome(row)``. :class:`NeatTemplate` packs each genome into
one row (its gene arrays, zero-padded to the generation's widest genome) and
rebuilds it as a :class:`NeatNetwork`, a one-genome network with
``predict``/``propagate`` computing exactly what the tensorised batch path
computes. The template travels to workers as JSON (``to_bytes``), never
pickle; each genome gets its own seeded Generator, so all backends give the
same bits.
"""

from __future__ import annotations

import json

import numpy as np

from ..errors import GoneFormatError, ShapeError
from .evaluate import GenomeBatch
from .genome import Genome
from .pool import CONN_FIELDS, NODE_FIELDS, GenePool, owners

_HEAD = 3  # n_nodes, n_connections, key


class NeatNetwork:
    """One genome as a network: ``predict(x)`` with ``x`` ``(n_in,)`` or ``(batch, n_in)``.

    ``predict`` is one step from the stored state (recurrent genomes remember);
    :meth:`reset_state` forgets it.
    """

    dtype = np.float64

    def __init__(self, genome: Genome, n_inputs: int, n_outputs: int):
        self.genome, self.n_inputs, self.n_outputs = genome, n_inputs, n_outputs
        self.sizes = [n_inputs, n_outputs]
        self._batch = GenomeBatch.compile([genome], n_inputs, n_outputs)

    def predict(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        single = x.ndim == 1
        if x.shape[-1] != self.n_inputs or x.ndim not in (1, 2):
            raise ShapeError(f"input must be ({self.n_inputs},) or (batch, {self.n_inputs}), "
                             f"got {x.shape}")
        out = self._batch.predict(x[None, :] if single else x)[0]
        return out[0] if single else out

    propagate = __call__ = predict

    def reset_state(self) -> None:
        self._batch.reset()


class NeatTemplate:
    """Packs genomes into rows ``(P, n_params)`` and rebuilds them (see the module docstring)."""

    def __init__(self, n_inputs: int, n_outputs: int, n_params: int = 0):
        self.n_inputs, self.n_outputs, self.n_params = n_inputs, n_outputs, n_params
        self.sizes = [n_inputs, n_outputs]

    @classmethod
    def of(cls, config) -> "NeatTemplate":
        return cls(config.genome.num_inputs, config.genome.num_outputs)

    def encode(self, genomes) -> np.ndarray:
        """``(P, n_params)`` rows of a list of Genome or a GenePool; sets ``n_params`` to the
        widest genome's length. Row ``p``: ``n, m, key``, then its node genes field by field
        (``nodes, bias, response, act, agg``, ``n`` each), then its connection genes
        (``src, dst, innov, weight, enabled``, ``m`` each), zeros after."""
        pool = genomes if isinstance(genomes, GenePool) else GenePool.from_genomes(genomes)
        n, m = pool.node_counts, pool.conn_counts
        self.n_params = int((_HEAD + 5 * n + 5 * m).max())
        out = np.zeros((pool.size, self.n_params))
        out[:, 0], out[:, 1], out[:, 2] = n, m, pool.keys
        # every gene's column: its field's first column in its genome's row, plus its index there
        for ptr, counts, fields, first in ((pool.node_ptr, n, NODE_FIELDS, _HEAD),
                                           (pool.conn_ptr, m, CONN_FIELDS, _HEAD + 5 * n)):
            owner = owners(ptr)
            column = np.arange(ptr[-1]) - ptr[owner] + np.broadcast_to(first, n.shape)[owner]
            for i, field in enumerate(fields):
                out[owner, column + i * counts[owner]] = getattr(pool, field)
        return out

    def decode(self, row) -> Genome:
        row = np.asarray(row, dtype=np.float64)
        n, m, key = (int(v) for v in row[:_HEAD])
        if n < 0 or m < 0 or _HEAD + 5 * n + 5 * m > len(row):
            raise GoneFormatError(f"a NEAT genome row of {len(row)} values cannot hold "
                                  f"{n} nodes and {m} connections")
        parts = np.split(row[_HEAD:_HEAD + 5 * n + 5 * m],
                         np.cumsum([n] * 5 + [m] * 4))
        ints = lambda a, t=np.int64: a.astype(t)  # noqa: E731
        return Genome(key, ints(parts[0]), parts[1], parts[2], ints(parts[3], np.int16),
                      ints(parts[4], np.int16), ints(parts[5]), ints(parts[6]), ints(parts[7]),
                      parts[8], parts[9].astype(bool))

    def with_genome(self, row) -> NeatNetwork:
        return NeatNetwork(self.decode(row), self.n_inputs, self.n_outputs)

    def to_bytes(self) -> bytes:
        return json.dumps({"n_inputs": self.n_inputs, "n_outputs": self.n_outputs,
                           "n_params": self.n_params}).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> "NeatTemplate":
        d = json.loads(data)
        return cls(int(d["n_inputs"]), int(d["n_outputs"]), int(d["n_params"]))

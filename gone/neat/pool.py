"""A whole generation's genomes as flat gene tables (structure of arrays).

NEAT's genomes differ in size, so a population cannot be one rectangular
array; it can be two tables, as a sparse matrix is (CSR): every genome's node
genes one after another, and every genome's connection genes one after
another, with ``node_ptr``/``conn_ptr`` saying where each genome's rows start.
Reproduction, speciation and evaluation then run as a few numpy operations
over all genes of all genomes, not a Python loop over genomes.

For ``P`` genomes with ``Nn`` node genes and ``Nc`` connection genes in all:

* ``keys (P,)`` genome ids, ``fitness (P,)`` (NaN until told);
* ``node_ptr (P + 1,)``: genome ``p``'s nodes are rows ``node_ptr[p]:node_ptr[p + 1]``
  of ``nodes, bias, response, act, agg`` (each ``(Nn,)``), sorted by node id;
* ``conn_ptr (P + 1,)``: genome ``p``'s connections are rows ``conn_ptr[p]:conn_ptr[p + 1]``
  of ``src, dst, innov, weight, enabled`` (each ``(Nc,)``), sorted by innovation.

The arrays mean what :class:`~gone.neat.genome.Genome`'s do; :meth:`genome`
and :meth:`from_genomes` convert between the two.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .genome import Genome

NODE_FIELDS = ("nodes", "bias", "response", "act", "agg")
CONN_FIELDS = ("src", "dst", "innov", "weight", "enabled")
_DTYPES = {"nodes": np.int64, "bias": np.float64, "response": np.float64, "act": np.int16,
           "agg": np.int16, "src": np.int64, "dst": np.int64, "innov": np.int64,
           "weight": np.float64, "enabled": bool}


def spans(ptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Flat row indices of the segments ``rows`` of a CSR ``ptr``, segment after segment.

    ``spans([0, 2, 5], [1, 0]) -> [2, 3, 4, 0, 1]``; ``rows`` may repeat.
    """
    rows = np.asarray(rows, dtype=np.intp)
    start, count = ptr[rows], ptr[rows + 1] - ptr[rows]
    total = int(count.sum())
    # each output position minus the start of its segment in the output, plus the input start
    first = np.cumsum(count) - count
    return np.arange(total) + np.repeat(start - first, count)


def owners(ptr: np.ndarray) -> np.ndarray:
    """The segment of each flat row ``(ptr[-1],)``: ``owners([0, 2, 5]) -> [0, 0, 1, 1, 1]``."""
    return np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))


def pointers(counts) -> np.ndarray:
    """CSR pointers ``(len(counts) + 1,)`` for segments of ``counts`` rows."""
    ptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return ptr


@dataclass
class GenePool:
    """``P`` genomes as flat gene tables; see the module docstring for the arrays."""

    keys: np.ndarray
    node_ptr: np.ndarray
    nodes: np.ndarray
    bias: np.ndarray
    response: np.ndarray
    act: np.ndarray
    agg: np.ndarray
    conn_ptr: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    innov: np.ndarray
    weight: np.ndarray
    enabled: np.ndarray
    fitness: np.ndarray

    @property
    def size(self) -> int:
        return len(self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def node_counts(self) -> np.ndarray:
        return np.diff(self.node_ptr)

    @property
    def conn_counts(self) -> np.ndarray:
        return np.diff(self.conn_ptr)

    @property
    def node_owner(self) -> np.ndarray:
        """The genome row of each node gene ``(Nn,)``."""
        return owners(self.node_ptr)

    @property
    def conn_owner(self) -> np.ndarray:
        """The genome row of each connection gene ``(Nc,)``."""
        return owners(self.conn_ptr)

    # --- conversions ---------------------------------------------------------------------
    @classmethod
    def from_genomes(cls, genomes) -> "GenePool":
        genomes = list(genomes)
        cat = lambda name: (np.concatenate([getattr(g, name) for g in genomes])  # noqa: E731
                            .astype(_DTYPES[name], copy=False) if genomes
                            else np.zeros(0, _DTYPES[name]))
        return cls(np.array([g.key for g in genomes], dtype=np.int64),
                   pointers([g.n_nodes for g in genomes]), *(cat(f) for f in NODE_FIELDS),
                   pointers([g.n_connections for g in genomes]), *(cat(f) for f in CONN_FIELDS),
                   np.array([g.fitness for g in genomes], dtype=np.float64))

    def genome(self, p: int) -> Genome:
        """Genome row ``p`` as a :class:`Genome` (its own copies of the arrays)."""
        n = slice(self.node_ptr[p], self.node_ptr[p + 1])
        c = slice(self.conn_ptr[p], self.conn_ptr[p + 1])
        return Genome(int(self.keys[p]), *(getattr(self, f)[n].copy() for f in NODE_FIELDS),
                      *(getattr(self, f)[c].copy() for f in CONN_FIELDS),
                      fitness=float(self.fitness[p]))

    def genomes(self) -> list[Genome]:
        return [self.genome(p) for p in range(self.size)]

    def take(self, rows) -> "GenePool":
        """Genome rows ``rows`` (any order, repeats allowed) as a new pool."""
        rows = np.asarray(rows, dtype=np.intp)
        n, c = spans(self.node_ptr, rows), spans(self.conn_ptr, rows)
        return GenePool(self.keys[rows], pointers(self.node_counts[rows]),
                        *(getattr(self, f)[n] for f in NODE_FIELDS),
                        pointers(self.conn_counts[rows]),
                        *(getattr(self, f)[c] for f in CONN_FIELDS), self.fitness[rows])

    def with_nodes(self, keep: np.ndarray) -> "GenePool":
        """The pool keeping only node genes ``keep (Nn,) bool``; connections unchanged."""
        counts = np.bincount(self.node_owner[keep], minlength=self.size)
        return replace(self, node_ptr=pointers(counts),
                        **{f: getattr(self, f)[keep] for f in NODE_FIELDS})

    def with_connections(self, keep: np.ndarray) -> "GenePool":
        """The pool keeping only connection genes ``keep (Nc,) bool``; nodes unchanged."""
        counts = np.bincount(self.conn_owner[keep], minlength=self.size)
        return replace(self, conn_ptr=pointers(counts),
                        **{f: getattr(self, f)[keep] for f in CONN_FIELDS})

    @classmethod
    def concat(cls, pools: list["GenePool"]) -> "GenePool":
        """The pools' genomes one after another."""
        def ptr(name):
            counts = np.concatenate([np.diff(getattr(p, name)) for p in pools])
            return pointers(counts)
        cat = lambda name: np.concatenate([getattr(p, name) for p in pools])  # noqa: E731
        return cls(cat("keys"), ptr("node_ptr"), *(cat(f) for f in NODE_FIELDS),
                   ptr("conn_ptr"), *(cat(f) for f in CONN_FIELDS), cat("fitness"))

    def __repr__(self) -> str:
        return (f"GenePool(genomes={self.size}, node genes={len(self.nodes)}, "
                f"connection genes={len(self.innov)})")


def replace(pool: GenePool, **changes) -> GenePool:
    """A new pool with the arrays ``changes`` (field -> array) swapped in; the rest shared."""
    values = {f: getattr(pool, f) for f in pool.__dataclass_fields__}
    values.update(changes)
    return GenePool(**values)


def find(ptr: np.ndarray, ids: np.ndarray, rows: np.ndarray, want: np.ndarray) -> np.ndarray:
    """The flat row of gene id ``want[i]`` in genome ``rows[i]``, or -1 where it has none.

    ``ids (ptr[-1],)`` are sorted within each genome (node ids, innovation
    numbers), so ``(genome, id)`` keys are sorted across the pool and one
    ``searchsorted`` answers every query.
    """
    rows = np.asarray(rows, dtype=np.int64)
    want = np.asarray(want, dtype=np.int64)
    if len(ids) == 0 or len(want) == 0:
        return np.full(len(want), -1, dtype=np.int64)
    lo = min(int(ids.min()), int(want.min()))
    span = np.int64(max(int(ids.max()), int(want.max())) - lo + 1)
    table = owners(ptr) * span + (ids - lo)
    key = rows * span + (want - lo)
    at = np.minimum(np.searchsorted(table, key), len(table) - 1)
    return np.where(table[at] == key, at, -1)

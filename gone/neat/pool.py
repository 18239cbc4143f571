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
and :meth:`from_genomes` convert between the two. Pools are not changed in
place: a run of gene edits (a generation's mutations) goes through a
:class:`~gone.neat.edit.PoolEdit`, which moves only index arrays and gathers
the genes once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from ..errors import InputError
from .config import GenomeConfig
from .genome import Genome, init_enabled, init_float, input_ids, new_nodes
from .innovation import Innovations

NODE_FIELDS = ("nodes", "bias", "response", "act", "agg")
CONN_FIELDS = ("src", "dst", "innov", "weight", "enabled")
TABLES = {"node": NODE_FIELDS, "conn": CONN_FIELDS}
SORTED_BY = {"node": "nodes", "conn": "innov"}   # the field each table's genes are sorted by
_ID_LIMIT = 2**31    # node ids and innovation numbers are below it in magnitude (gene_keys)
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
    return np.arange(len(ptr) - 1).repeat(ptr[1:] - ptr[:-1])


def pointers(counts) -> np.ndarray:
    """CSR pointers ``(len(counts) + 1,)`` for segments of ``counts`` rows."""
    ptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.add.accumulate(counts, out=ptr[1:])
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

    # Pools are not changed in place (only ``fitness`` is set), so these derived
    # arrays are computed once per pool.
    @cached_property
    def node_counts(self) -> np.ndarray:
        """Node genes per genome ``(P,)``."""
        return self.node_ptr[1:] - self.node_ptr[:-1]

    @cached_property
    def conn_counts(self) -> np.ndarray:
        """Connection genes per genome ``(P,)``."""
        return self.conn_ptr[1:] - self.conn_ptr[:-1]

    @cached_property
    def node_owner(self) -> np.ndarray:
        """The genome row of each node gene ``(Nn,)``."""
        return owners(self.node_ptr)

    @cached_property
    def conn_owner(self) -> np.ndarray:
        """The genome row of each connection gene ``(Nc,)``."""
        return owners(self.conn_ptr)

    @cached_property
    def node_keys(self) -> np.ndarray:
        """Sorted ``(genome, node id)`` keys ``(Nn,)`` (see :func:`gene_keys`)."""
        return key_starts(self.size)[:-1].repeat(self.node_counts) + self.nodes

    @cached_property
    def conn_keys(self) -> np.ndarray:
        """Sorted ``(genome, innovation)`` keys ``(Nc,)``."""
        return key_starts(self.size)[:-1].repeat(self.conn_counts) + self.innov

    def node_rows(self, rows, ids) -> np.ndarray:
        """The flat row of node ``ids[i]`` in genome ``rows[i]``, -1 where it has none."""
        return find(self.node_keys, rows, ids)

    def conn_rows(self, rows, innovations) -> np.ndarray:
        """The flat row of connection ``innovations[i]`` in genome ``rows[i]``, or -1."""
        return find(self.conn_keys, rows, innovations)

    # --- conversions ---------------------------------------------------------------------
    @classmethod
    def from_genomes(cls, genomes) -> "GenePool":
        """The pool of ``genomes`` (in that order). Raises InputError for a node id or
        innovation number outside ``[-2**31, 2**31)``, which gene keys cannot hold."""
        genomes = list(genomes)
        cat = lambda name: (np.concatenate([getattr(g, name) for g in genomes])  # noqa: E731
                            .astype(_DTYPES[name], copy=False) if genomes
                            else np.zeros(0, _DTYPES[name]))
        pool = cls(np.array([g.key for g in genomes], dtype=np.int64),
                   pointers([g.n_nodes for g in genomes]), *(cat(f) for f in NODE_FIELDS),
                   pointers([g.n_connections for g in genomes]), *(cat(f) for f in CONN_FIELDS),
                   np.array([g.fitness for g in genomes], dtype=np.float64))
        for name, what in (("nodes", "node ids"), ("src", "connection sources"),
                           ("dst", "connection targets"), ("innov", "innovation numbers")):
            ids = getattr(pool, name)
            if len(ids) and (ids.min() < -_ID_LIMIT or ids.max() >= _ID_LIMIT):
                raise InputError(f"{what} must lie in [-2**31, 2**31) (gene keys hold 32 "
                                 f"bits), got {ids.min()} .. {ids.max()}")
        return pool

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

    def __repr__(self) -> str:
        return (f"GenePool(genomes={self.size}, node genes={len(self.nodes)}, "
                f"connection genes={len(self.innov)})")


_DERIVED = {"node_owner": ("node_ptr",), "node_keys": ("node_ptr", "nodes"),
            "node_counts": ("node_ptr",), "conn_counts": ("conn_ptr",),
            "conn_owner": ("conn_ptr",), "conn_keys": ("conn_ptr", "innov")}


def replace(pool: GenePool, **changes) -> GenePool:
    """A new pool with the arrays ``changes`` (field -> array) swapped in; the rest shared.

    Derived arrays whose inputs did not change are shared too.
    """
    out = GenePool.__new__(GenePool)
    out.__dict__.update(pool.__dict__)           # fields and cached derived arrays
    for name, needs in _DERIVED.items():
        if not changes.keys().isdisjoint(needs):
            out.__dict__.pop(name, None)
    out.__dict__.update(changes)
    return out


def gene_keys(owner: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """One int64 per gene, ordered as ``(genome, id)``: ``genome * 2**32 + id``.

    Gene ids (node ids from ``-n_inputs``, innovation numbers from 0) lie in
    ``[-2**31, 2**31)``, so each genome's keys stay within its own ``2**32`` span:
    the keys of a pool whose genes are sorted by id within each genome are
    sorted, and one ``searchsorted`` finds any gene.
    """
    return np.left_shift(owner, 32, dtype=np.int64) + ids


def find(table: np.ndarray, rows, ids) -> np.ndarray:
    """The index in sorted gene keys ``table`` of gene ``ids[i]`` of genome ``rows[i]``, or -1."""
    key = gene_keys(np.asarray(rows, dtype=np.int64), np.asarray(ids, dtype=np.int64))
    if len(table) == 0:
        return np.full(key.shape, -1, dtype=np.int64)
    at = np.asarray(table.searchsorted(key))        # an array even for one (0-d) key
    at[table.take(at, mode="clip") != key] = -1     # clip: a key past the end
    return at


# --- gene keys by genome ------------------------------------------------------------------

def key_starts(size: int, lowest: bool = False) -> np.ndarray:
    """``g * 2**32`` for ``g = 0 .. size`` ``(size + 1,)``: genome ``g``'s keys lie within
    ``2**31`` of it (see :func:`gene_keys`); with ``lowest``, ``g * 2**32 - 2**31``, the
    lowest key genome ``g`` can have. Read-only: both are cached (asked for a few times
    per edit) and shared."""
    return _key_starts(size)[lowest]


@lru_cache(maxsize=32)      # a run sees a few pool sizes; batches of other sizes come and go
def _key_starts(size: int) -> tuple[np.ndarray, np.ndarray]:
    starts = np.arange(size + 1, dtype=np.int64) << 32
    lowest = starts - 2**31
    starts.flags.writeable = lowest.flags.writeable = False
    return starts, lowest


# --- new genomes ---------------------------------------------------------------------------

def new_pool(keys, config: GenomeConfig, innovations: Innovations,
             rng: np.random.Generator) -> GenePool:
    """Minimal new genomes with ids ``keys``, all at once.

    Each has the output nodes (and ``num_hidden`` hidden ones) with fresh
    attributes, connected as ``initial_connection`` says: ``unconnected``;
    ``fs_neat_nohidden``/``fs_neat_hidden`` (one random input to every output,
    and hidden node); ``full_*`` or ``partial_*`` (``_direct``: inputs to
    outputs too; partial keeps a random ``connection_fraction`` of those
    pairs per genome); plus a self-link on every non-input node when
    ``feed_forward = False``.
    """
    keys = np.asarray(keys, dtype=np.int64)
    P, K = len(keys), config.num_outputs + config.num_hidden
    src, dst, owner = _initial_connections(config, P, rng)
    innov = innovations.connections_for(src, dst)
    order = np.argsort(gene_keys(owner, innov), kind="stable")   # by innovation per genome
    m = len(src)
    nodes = new_nodes(config, np.tile(np.arange(K), P), rng)
    return GenePool(keys, pointers(np.full(P, K)), *(nodes[f] for f in NODE_FIELDS),
                    pointers(np.bincount(owner, minlength=P)), src[order], dst[order],
                    innov[order], init_float(config.weight, m, rng), init_enabled(config, m, rng),
                    np.full(P, np.nan))


def new_genome(key: int, config: GenomeConfig, innovations: Innovations,
               rng: np.random.Generator) -> Genome:
    """One minimal genome (see :func:`new_pool`)."""
    return new_pool([key], config, innovations, rng).genome(0)


def _initial_connections(config: GenomeConfig, P: int, rng) -> tuple:
    """``(src, dst, owner)`` of every new genome's connections, genome after genome."""
    inputs, outputs = input_ids(config), np.arange(config.num_outputs)
    hidden = np.arange(config.num_outputs, config.num_outputs + config.num_hidden)
    kind = config.initial_connection
    if kind == "unconnected":
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    if kind.startswith("fs_neat"):
        targets = np.concatenate([outputs, hidden]) if kind == "fs_neat_hidden" else outputs
        source = inputs[rng.integers(0, len(inputs), P)]
        return (np.repeat(source, len(targets)), np.tile(targets, P),
                np.repeat(np.arange(P), len(targets)))
    grid = lambda a, b: (np.repeat(a, len(b)), np.tile(b, len(a)))  # noqa: E731  all a -> b
    parts = [grid(inputs, hidden), grid(hidden, outputs)]
    if kind.endswith("_direct") or not len(hidden):
        parts.append(grid(inputs, outputs))
    if not config.feed_forward:
        nodes = np.concatenate([hidden, outputs])
        parts.append((nodes, nodes))
    src = np.concatenate([p[0] for p in parts]).astype(np.int64)
    dst = np.concatenate([p[1] for p in parts]).astype(np.int64)
    L = len(src)
    if kind.startswith("partial"):
        keep = int(round(L * config.connection_fraction))
        chosen = np.sort(np.argsort(rng.random((P, L)), axis=1)[:, :keep], axis=1)
    else:
        chosen = np.broadcast_to(np.arange(L), (P, L))
    return src[chosen].ravel(), dst[chosen].ravel(), np.repeat(np.arange(P), chosen.shape[1])

"""A run of gene edits on a :class:`~gone.neat.pool.GenePool`, gathered once.

A generation's structural mutations add and remove genes four times in a row
(add node, delete node, add connection, delete connection). Each edit here
changes only the sorted gene keys and an index array into the pool's genes
plus the genes added since; the gene fields are gathered once, when the edit
is :meth:`PoolEdit.done`, instead of once per field per edit.
"""

from __future__ import annotations

import numpy as np

from .pool import SORTED_BY, TABLES, GenePool, find, key_starts, replace


class TableEdit:
    """One gene table (``"node"`` or ``"conn"``) of a pool under a run of edits.

    Adding and keeping genes change the sorted gene keys and an index array, not
    the gene fields: those are gathered once, by :meth:`arrays`, so a run of
    mutations pays one gather per field, not one per field per edit (``set``
    writes into this edit's own copy of a field's source). The table
    is rows ``at (n,)`` of the *source*: the pool's genes followed by every gene
    added since (kept as parts, joined when read). ``keys (n,)``, ``ptr (P + 1,)``
    and ``counts (P,)`` are the current table's, as :class:`GenePool` would
    derive them; the pointers come from the keys, by one ``searchsorted``.
    """

    def __init__(self, pool: GenePool, table: str):
        self.fields, self.name, self.size, self._pool = TABLES[table], table, pool.size, pool
        self._source = {f: [getattr(pool, f)] for f in self.fields}
        self._owned: set[str] = set()      # fields whose source is this edit's own array
        self._n = len(self._source[SORTED_BY[table]][0])    # genes in the source
        self.at: np.ndarray | None = None  # None: the source as it is
        self._columns: dict[str, np.ndarray] = {}
        self._keys: np.ndarray | None = None
        self._ptr = self._pool_ptr = getattr(pool, table + "_ptr")
        self._counts: np.ndarray | None = None
        self.changed = False

    # the current table's derived arrays, each computed when first asked for (the pool's
    # own, cached on it, until the first add or keep)
    @property
    def keys(self) -> np.ndarray:
        if self._keys is None:
            self._keys = getattr(self._pool, self.name + "_keys")
        return self._keys

    @property
    def ptr(self) -> np.ndarray:
        if self._ptr is None:
            self._ptr = self._keys.searchsorted(key_starts(self.size, lowest=True))
        return self._ptr

    @property
    def counts(self) -> np.ndarray:
        if self._counts is None:
            ptr = self.ptr
            self._counts = (getattr(self._pool, self.name + "_counts") if ptr is self._pool_ptr
                            else ptr[1:] - ptr[:-1])
        return self._counts

    def per_gene(self, values: np.ndarray) -> np.ndarray:
        """``values (P,)``, one per genome, repeated for each of its genes ``(n,)``."""
        return values.repeat(self.counts)

    def rows(self, rows, ids) -> np.ndarray:
        """The current row of gene ``ids[i]`` of genome ``rows[i]``, -1 where it has none."""
        return find(self.keys, rows, ids)

    def _joined(self, field: str) -> np.ndarray:
        parts = self._source[field]
        if len(parts) > 1:
            parts[:] = [np.concatenate(parts, dtype=parts[0].dtype)]
            self._owned.add(field)
        return parts[0]

    def column(self, field: str) -> np.ndarray:
        """The current values of ``field`` ``(n,)`` (do not write to it)."""
        out = self._columns.get(field)
        if out is None:
            out = self._joined(field)
            out = self._columns[field] = out if self.at is None else out[self.at]
        return out

    def set(self, field: str, rows: np.ndarray, values) -> None:
        """Set ``field`` of current rows ``rows`` to ``values``."""
        source = self._joined(field)
        if field not in self._owned:           # the pool's array: copy before writing
            source = self._source[field][0] = source.copy()
            self._owned.add(field)
        source[rows if self.at is None else self.at[rows]] = values
        self._columns.pop(field, None)
        self.changed = True

    def add(self, rows: np.ndarray, genes: dict) -> None:
        """Add genes ``genes`` (field -> ``(m,)``) to genomes ``rows (m,)``, each after the
        genes of a lower or equal ``(genome, id)`` key."""
        m = len(rows)
        if m == 0:
            return
        new = key_starts(self.size)[rows] + genes[SORTED_BY[self.name]]
        keys = np.concatenate((self.keys, new))
        order = keys.argsort(kind="stable")       # stable: an old gene first on a tie
        self.at = order if self.at is None else np.concatenate(
            (self.at, np.arange(self._n, self._n + m)))[order]
        for f in self.fields:
            self._source[f].append(genes[f])
        self._n += m
        self._edited(keys[order])

    def keep(self, keep: np.ndarray) -> None:
        """Keep only the current rows ``keep (n,) bool``."""
        keys = self.keys
        self.at = keep.nonzero()[0] if self.at is None else self.at[keep]
        self._edited(keys[keep])

    def disown(self) -> None:
        """Treat every field's source as shared again (see :meth:`PoolEdit.done`)."""
        self._owned.clear()

    def _edited(self, keys: np.ndarray) -> None:
        self._keys, self._ptr, self._counts = keys, None, None
        self._columns.clear()
        self.changed = True

    def arrays(self) -> dict:
        """The current table: field and derived arrays (``<table>_ptr``, ...) by name."""
        out = {f: self.column(f) for f in self.fields}
        out[self.name + "_ptr"] = self.ptr
        for k in ("keys", "counts"):             # the ones known; the pool derives the rest
            if getattr(self, "_" + k) is not None:
                out[self.name + "_" + k] = getattr(self, "_" + k)
        return out


class PoolEdit:
    """A pool under a run of edits of its ``node`` and ``conn`` tables (see :class:`TableEdit`);
    :meth:`done` makes the new pool."""

    def __init__(self, pool: GenePool):
        self.pool, self.size = pool, pool.size
        self.node, self.conn = TableEdit(pool, "node"), TableEdit(pool, "conn")

    def done(self) -> GenePool:
        """The edited pool (arrays of unchanged tables shared with the old one).

        The pool may hold this edit's own arrays, so the edit gives them up: a later
        ``set`` on it copies first instead of writing into the pool handed out.
        """
        changes = {}
        for t in (self.node, self.conn):
            if t.changed:
                changes.update(t.arrays())
            t.disown()
        return replace(self.pool, **changes)

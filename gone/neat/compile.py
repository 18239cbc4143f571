"""A whole population -> one sparse evaluation plan.

The plan computes what each genome's :class:`~gone.GraphNetwork` computes
(:mod:`gone.neat.convert` has the rule). For a genome without a cycle each
node's level is the longest path from the inputs, found for all such genomes
at once; only genomes with a cycle are walked depth-first one by one
(:func:`~gone.neat.convert.levels`). A connection is recurrent iff its source
node's level is not below its target's (self-loops included). The
activation's hidden scale is applied as in the graph: ``act(s * (bias +
response * aggregate))``.

:func:`compile_population` works on a generation's flat gene tables (a
:class:`~gone.neat.pool.GenePool`): every node of every genome is one row of
a value array, in an order where each (level, aggregation, activation) run
of all genomes is one slice, so :func:`gone.neat.evaluate.step` runs a level
as a few numpy calls over slices, with no Python loop over genomes and no
scatter (see :class:`PopulationPlan`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import accumulate
from typing import NamedTuple

import numpy as np

from ..errors import GraphError
from .activations import gone_activation, scale
from .convert import levels
from .genome import ACT_NAMES, AGG_NAMES
from .pool import GenePool, gene_keys, key_starts, pointers, spans

_SUM = AGG_NAMES.index("sum")


# --- the population as one sparse plan ------------------------------------------------------

_NACT, _NAGG = len(ACT_NAMES), len(AGG_NAMES)
_PRODUCT, _MEAN = AGG_NAMES.index("product"), AGG_NAMES.index("mean")
_SUMS = np.isin(np.arange(_NAGG), [_SUM, _MEAN])  # linear: inputs go into the matmul
# a node's group: (empty product?, activation) for constants, below _RUN0; else _RUN0 +
# (level, aggregation, activation)
_RUN0 = 2 * _NACT
_RUN_GROUP = _RUN0 + np.arange(_NAGG * _NACT)                   # by agg * _NACT + act
_CONST_GROUP = ((np.arange(_NAGG)[:, None] == _PRODUCT) * _NACT + np.arange(_NACT)).ravel()
_CHUNK = 1 << 16          # a block's rows * batch at most (its buffers stay in cache)
_TABLE = 1 << 18          # entries of the (genome, node id) lookup table
_SEARCH = 1 << 12         # node genes up to which searchsorted finds nodes (fewer calls)
_RELAX = 8                # rounds of _relax before the peel takes over
_RELAX_EDGES = 1 << 13    # connections up to which levels are relaxed (fewer calls)


def _sigmoid_into(z, out):
    # z holds -z (the sign is folded into weights and bias): 1 / (1 + exp(-z)) in three passes
    np.exp(z, out=z)
    z += 1.0
    np.reciprocal(z, out=out)


# How a run of nodes writes its activations into its slice of V: write(z, out). Sigmoid reads
# -z (its sign is folded into the weights and bias, saving a pass); the rest read z. The same
# bits as the gone activation's fn.
_FAST = {"sigmoid": _sigmoid_into,
         "tanh": lambda z, out: np.tanh(z, out=out),
         "relu": lambda z, out: np.maximum(z, 0.0, out=out),
         "identity": lambda z, out: np.copyto(out, z)}
_ACTS = [gone_activation(n) for n in ACT_NAMES]


def _writer(act):
    """``write(z, out)`` for the gone activation ``act``: in place when it has a fast form."""
    if not act.params and act.name in _FAST:
        return _FAST[act.name]

    def write(z, out):
        out[...] = act.fn(z)
    return write


_WRITE = [_writer(a) for a in _ACTS]
_SIGNED = np.array([scale(n) * (-1.0 if w is _sigmoid_into else 1.0)
                    for n, w in zip(ACT_NAMES, _WRITE)])


class Block(NamedTuple):
    """One step's unit of work: the targets ``V[r0:r1]`` of one (level, aggregation, activation)
    run, or a part of one.

    Its gathered connections (inputs of sum/mean nodes excepted, see
    :class:`PopulationPlan`), slot-major: slot ``k`` is rows ``c_k : c_k + n_k``
    of the block's gathered terms, the ``k``-th connection of its first ``n_k``
    targets (targets are sorted by this count, most first). ``rows_shared``/
    ``rows_each (E,)``: the source rows of V for a shared or a per-genome input
    batch; ``w (E, 1)`` the weights; ``slots``: ``((c_k, n_k), ..)``, slot 0
    first (``c_0 = 0``), empty slots left out; ``sr (r1 - r0, 1)`` scale *
    response where not folded into ``w``; ``deg (r1 - r0,)`` connections per
    target.
    """

    r0: int
    r1: int
    rows_shared: np.ndarray
    rows_each: np.ndarray
    w: np.ndarray
    slots: tuple
    agg: int
    write: object
    sr: np.ndarray
    deg: np.ndarray


@dataclass(eq=False)
class PopulationPlan:
    """``P`` genomes (a :class:`GenePool`) compiled for :func:`gone.neat.evaluate.step`.

    Node values live in ``V (rows, B)``: rows ``0 : Nn`` every node gene in
    compute order (``order (Nn,)`` the pool index at each row, ``pos`` its
    inverse); with recurrent connections, rows ``Nn : 2 Nn`` hold the previous
    step's values; then the inputs (``n_in`` rows and a row of ones for a
    shared batch, ``P * n_in`` rows for a batch per genome).

    The first ``n_const`` rows are nodes without an enabled input, constant
    ``const (n_const, 1)``. The others start as one matmul: ``win (Nn -
    n_const, n_in + 1)`` holds, per node, the folded weights of its input
    connections if it sums (or averages) them, and its folded bias. Then
    ``runs`` ``[(r0, r1, agg, act)]``, by level, add their remaining
    connections (from nodes, or from inputs into other aggregations): ``whole``
    has one :class:`Block` per run, ``most`` terms in the largest;
    :meth:`blocks` cuts them for large batches. ``deg (Nn,)`` those
    connections per node; ``sr (Nn, 1)`` scale * response (sigmoid nodes
    negated, see ``_FAST``). ``level (Nn,)`` each node's level (pool order);
    ``out_rows (P * n_out,)`` the output nodes' rows, genome by genome.
    """

    pool: GenePool
    n_inputs: int
    n_outputs: int
    level: np.ndarray
    order: np.ndarray
    pos: np.ndarray
    n_const: int
    const: np.ndarray
    recurrent: bool
    out_rows: np.ndarray
    runs: list
    deg: np.ndarray
    sr: np.ndarray
    win: np.ndarray
    whole: list
    most: int
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        return self.pool.size

    @property
    def n_nodes(self) -> int:
        return len(self.order)

    @property
    def input_row(self) -> int:
        """The first input row of V."""
        return self.n_nodes * (2 if self.recurrent else 1)

    def blocks(self, batch: int) -> tuple[list, int]:
        """``(blocks, most gathered connections in one block)`` for a batch of ``batch`` rows:
        runs cut into blocks of at most ``_CHUNK // batch`` targets (cached), terms in cache."""
        rows = 1 << (max(16, _CHUNK // max(batch, 1)).bit_length() - 1)   # a power of 2
        if rows not in self._cache:
            if rows >= max((r1 - r0 for r0, r1, _, _ in self.runs), default=0):
                self._cache[rows] = self.whole, self.most
            else:
                cut = _cut(self.whole, rows)
                self._cache[rows] = cut, max(len(blk.w) for blk in cut)
        return self._cache[rows]

    def input_weights_each(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``win`` per genome for inputs per genome: ``(W (P, n_in + 1, K), genome (Nn - C,),
        column (Nn - C,))`` with ``win[i] = W[genome[i], :, column[i]]`` (cached)."""
        if "each" not in self._cache:
            rows = self.order[self.n_const:]
            genome = self.pool.node_owner[rows]
            column = rows - self.pool.node_ptr[genome]
            W = np.zeros((self.size, self.n_inputs + 1, int(self.pool.node_counts.max(initial=0))))
            W[genome, :, column] = self.win
            self._cache["each"] = W, genome, column
        return self._cache["each"]

    def take(self, rows) -> "PopulationPlan":
        """The plan of genomes ``rows`` (any order, repeats allowed); levels are kept."""
        rows = np.asarray(rows, dtype=np.intp)
        return _compile(self.pool.take(rows), self.n_inputs, self.n_outputs,
                        self.level[spans(self.pool.node_ptr, rows)], self.recurrent)

    def carry(self, state: np.ndarray, rows, sub: "PopulationPlan") -> np.ndarray:
        """``state (Nn, B)`` of this plan as the state of ``sub = self.take(rows)``."""
        old = spans(self.pool.node_ptr, np.asarray(rows, dtype=np.intp))
        return state[self.pos[old[sub.order]]]


def compile_population(genomes, n_inputs: int, n_outputs: int) -> PopulationPlan:
    """A list of :class:`Genome` or a :class:`GenePool` as one :class:`PopulationPlan`."""
    pool = genomes if isinstance(genomes, GenePool) else GenePool.from_genomes(genomes)
    return _compile(pool, int(n_inputs), int(n_outputs))


def _compile(pool: GenePool, n_in: int, n_out: int, level=None, cyclic=None) -> PopulationPlan:
    """The plan of ``pool``; ``level`` (pool order) and whether a genome may have a cycle when
    known (a take of a compiled plan). Written for few numpy calls (~1 us each on arrays this
    small): a 150-genome XOR generation compiles in ~0.14 ms (~0.2 ms inside a run)."""
    Nn, node_owner = len(pool.nodes), pool.node_owner       # cached on the pool
    on = pool.enabled.nonzero()[0]
    e_owner = pool.conn_owner[on]
    src, w = pool.src[on], pool.weight[on]
    tgt, snode = _locate(pool, e_owner, src, pool.dst[on], n_in)
    if level is None:
        level, cyclic = _levels(pool, node_owner, e_owner, src, tgt, snode, n_in)
    agg_t = pool.agg.take(tgt)
    linear = (snode < 0) & _SUMS.take(agg_t)
    direct, gather = linear.nonzero()[0], (~linear).nonzero()[0]  # into the matmul or not
    deg_all = np.bincount(tgt, minlength=Nn)
    tgt_g = tgt[gather]
    deg = np.bincount(tgt_g, minlength=Nn)
    # compute order: constants first (by empty aggregation and activation), then by (level,
    # aggregation, activation), most gathered connections first
    kind = pool.agg * _NACT + pool.act                    # (take: faster than int16 indexing)
    group = np.where(deg_all > 0, level * (_NAGG * _NACT) + _RUN_GROUP.take(kind),
                     _CONST_GROUP.take(kind))
    D = int(np.maximum.reduce(deg, initial=0))
    top = (int(np.maximum.reduce(group, initial=0)) + 1) * (D + 1)
    order = _argsort_ints(group * (D + 1) + (D - deg), top)
    pos = np.empty(Nn, dtype=np.intp)
    pos[order] = np.arange(Nn)
    gs = group[order]
    cuts = (gs[1:] != gs[:-1]).nonzero()[0] + 1          # where a section starts
    bounds = [0, *cuts.tolist(), Nn]
    sections = list(zip(bounds[:-1], bounds[1:], [*gs[:1].tolist(), *gs[cuts].tolist()]))
    runs = [(a, b, (g - _RUN0) // _NACT % _NAGG, (g - _RUN0) % _NACT)
            for a, b, g in sections if g >= _RUN0]
    n_const = runs[0][0] if runs else Nn
    aggs = {r[2] for r in runs}
    signed = _SIGNED.take(pool.act.take(order))
    sr, sb = signed * pool.response[order], signed * pool.bias[order]
    # sum/mean fold scale * response into the weights (mean also 1 / count); product its slot 0
    tpos = pos[tgt]
    fold = sr[tpos] if _MEAN not in aggs else np.where(agg_t == _MEAN, sr[tpos] / deg_all[tgt],
                                                        sr[tpos])
    w = w * fold if aggs <= {_SUM, _MEAN} else np.where(_SUMS[agg_t], w * fold, w)
    win = np.zeros((Nn, n_in + 1))
    win[tpos[direct], -1 - src[direct]] = w[direct]   # a genome has one gene per (source, target)
    win[:, n_in] = sb
    tgt, snode, tpos, w = tgt_g, snode[gather], tpos[gather], w[gather]
    by, slot = _ranks(tpos, Nn)          # slot: the rank of connection by[i] in its target
    if _PRODUCT in aggs:
        first = np.zeros(len(by), dtype=bool)
        first[by] = slot == 0
        w = np.where((pool.agg[tgt] == _PRODUCT) & first, w * sr[tpos], w)
    rows = pos[snode]
    recurrent = False
    if cyclic:  # a connection from a node of the same or a later level reads the previous step
        rec = (level[snode] >= level[tgt]) & (snode >= 0)
        recurrent = bool(rec.any())
        rows += Nn * rec
    rows_shared = rows_each = rows
    # inputs into product/max/min/median/maxabs nodes are gathered too (into sum/mean: the matmul)
    inputs = (src[gather] < 0).nonzero()[0] if not aggs <= {_SUM, _MEAN} else ()
    if len(inputs):
        base, at = Nn * (1 + recurrent), gather[inputs]       # at: their connections
        rows_shared, rows_each = rows.copy(), rows.copy()
        rows_shared[inputs] = base - 1 - src[at]
        rows_each[inputs] = base - 1 - src[at] + e_owner[at] * n_in
    deg = deg[order]
    whole, most = _layout(runs, cuts, tpos[by], slot, by, D, (rows_shared, rows_each, w), sr,
                          deg)
    const = _constants(pool, order, [sec for sec in sections if sec[2] < _RUN0], sb)
    return PopulationPlan(pool, n_in, n_out, level, order, pos, n_const, const, recurrent,
                          _outputs(pool, n_out, pos), runs, deg, sr[:, None], win[n_const:],
                          whole, most)


def _layout(runs, cuts, tpos, slot, by, D: int, gathered, sr, deg) -> tuple[list, int]:
    """``(blocks, most terms in one)``: one :class:`Block` per run, its connections slot-major.

    ``cuts (sections - 1,)`` cut the rows into sections (constants, then the
    runs); the gathered connections ``by (E,)`` are in target row order, and
    ``tpos``/``slot (E,)`` are their target rows and ranks; ``gathered``: the
    ``(E,)`` arrays (source rows shared, each; weights) to lay out; ``sr
    (Nn,)``, ``deg (Nn,)`` per row, in compute order.
    """
    S, sections = max(D, 1), len(cuts) + 1
    ks = cuts.searchsorted(tpos, side="right") * S + slot   # (section, slot)
    by = by[_argsort_ints(ks, sections * S)]     # stable: by target row within a slot
    shared, w = gathered[0][by], gathered[2][by, None]
    each = shared if gathered[1] is gathered[0] else gathered[1][by]
    # terms per (run, slot): the runs are the last sections (constants sort first)
    counts = np.bincount(ks, minlength=sections * S).reshape(-1, S)[sections - len(runs):]
    sr = sr[:, None]
    blocks, e, most = [], 0, 0
    for (r0, r1, agg, act), sizes in zip(runs, counts.tolist()):
        slots, c = [], 0
        for n in sizes:      # slot k: the run's first n_k targets (sorted so): n_k falls to 0
            if not n:
                break
            slots.append((c, n))
            c += n
        blocks.append(Block(r0, r1, shared[e:e + c], each[e:e + c], w[e:e + c], tuple(slots),
                            agg, _WRITE[act], sr[r0:r1], deg[r0:r1]))
        e, most = e + c, max(most, c)
    return blocks, most


def _locate(pool: GenePool, e_owner, src, dst, n_in: int):
    """Pool indices of each connection's target node and source node (-1: an input)."""
    key = pool.node_keys                                   # sorted; cached on the pool
    is_node = src >= 0
    ask = np.where(is_node, src, dst)   # an input source asks for the target again: every
    q = gene_keys(e_owner, np.array((dst, ask)))          # (2, E) key must be found (one check)
    top = int(np.maximum.reduce(pool.nodes)) + 1 if len(key) > _SEARCH else _TABLE + 1
    if top <= _TABLE and np.minimum.reduce(pool.nodes) >= 0:
        found = np.array(_lookup(pool, pool.node_owner, e_owner, ask, dst, top))
    else:
        found = key.searchsorted(q)
    ok = key.take(found, mode="clip") == q               # keys are unique: a match is right
    if not (np.logical_and.reduce(ok, axis=None) and np.minimum.reduce(src, initial=0) >= -n_in):
        ok = ok[0] & ok[1] & (src >= -n_in)
        bad = int((~ok).nonzero()[0][0])
        raise GraphError(f"genome {pool.keys[e_owner[bad]]}: connection {src[bad]} -> {dst[bad]} "
                         "names a node the genome does not have")
    return found[0], np.where(is_node, found[1], -1)


def _lookup(pool, node_owner, e_owner, src, dst, top: int):
    """``(target, source)`` node indices through a (genome, node id) -> index table, a slice of
    genomes at a time so that the table stays small and cached (~5x faster than searchsorted
    at 70k connections). Entries not written for the current genomes are stale or garbage,
    and so are the answers to queries for nodes that do not exist: the caller checks."""
    per = max(1, _TABLE // top)                          # genomes per table fill
    table = np.empty(min(per, pool.size) * top, dtype=np.intp)
    tgt, hit = np.empty(len(dst), dtype=np.intp), np.empty(len(dst), dtype=np.intp)
    cuts = np.arange(0, pool.size + per, per)
    e_ptr = e_owner.searchsorted(cuts).tolist()
    n_ptr = pool.node_ptr[np.minimum(cuts, pool.size)].tolist()
    for i, g0 in enumerate(range(0, pool.size, per)):
        n0, n1, e0, e1 = n_ptr[i], n_ptr[i + 1], e_ptr[i], e_ptr[i + 1]
        table[(node_owner[n0:n1] - g0) * top + pool.nodes[n0:n1]] = np.arange(n0, n1)
        at = (e_owner[e0:e1] - g0) * top
        tgt[e0:e1] = table.take(at + dst[e0:e1], mode="clip")
        hit[e0:e1] = table.take(at + src[e0:e1], mode="clip")
    return tgt, hit


def _levels(pool, node_owner, e_owner, src, tgt, snode, n_in) -> tuple[np.ndarray, bool]:
    """``(level, cyclic)``: each node's level (pool order), the longest feed-forward path from
    the inputs, all genomes at once; genomes with a cycle (then ``cyclic``) use GraphNetwork's
    depth-first rule, one by one."""
    level = _relax(snode, tgt, len(pool.nodes))
    if level is not None:
        return level, False
    ff = (snode >= 0).nonzero()[0]
    level = _peel(snode[ff], tgt[ff], len(pool.nodes))
    unresolved = level < 0       # on a cycle, or after one
    if not np.logical_or.reduce(unresolved):
        return level, False
    e_ptr = pointers(np.bincount(e_owner, minlength=pool.size))
    for p in np.unique(node_owner[unresolved]).tolist():
        n0, n1 = int(pool.node_ptr[p]), int(pool.node_ptr[p + 1])
        sl = slice(e_ptr[p], e_ptr[p + 1])
        cols = np.where(snode[sl] >= 0, n_in + snode[sl] - n0, -src[sl] - 1)
        level[n0:n1] = levels(n1 - n0, n_in, tgt[sl] - n0, cols)
    return level, True


def _relax(s: np.ndarray, t: np.ndarray, n: int) -> np.ndarray | None:
    """Longest path (in edges) ending at each of ``n`` nodes along ``s -> t`` (``s = -1``: an
    input, no edge) by raising each target to its sources' level + 1 until nothing rises, or
    None when that takes more than ``_RELAX`` rounds (a deep graph or a cycle: see :func:`_peel`)
    or there are more than ``_RELAX_EDGES`` edges.

    A round is 4 numpy calls to the peel's ~9, and a shallow graph (a NEAT generation's) needs
    its depth + 1 of either; levels only rise, so an unchanged sum means a fixed point. On many
    edges the calls' work outweighs their overhead, and maximum.at is slower than the peel's
    bincount: rounds that end in the peel after all would cost ~15% of a 1,000-genome compile.
    """
    if len(t) > _RELAX_EDGES:
        return None
    level = np.zeros(n + 1, dtype=np.intp)
    level[n] = -1                                  # read for s = -1: an input gives level 0
    total = -1
    for _ in range(_RELAX):
        np.maximum.at(level, t, level.take(s) + 1)
        now = int(np.add.reduce(level))
        if now == total:
            return level[:n]
        total = now
    return None


def _peel(s: np.ndarray, t: np.ndarray, n: int) -> np.ndarray:
    """Longest path (in edges) ending at each of ``n`` nodes along ``s -> t`` by peeling off
    nodes whose inputs are all settled (Kahn); -1 for nodes on or after a cycle."""
    level = np.full(n, -1, dtype=np.intp)
    indeg = np.bincount(t, minlength=n)
    front, lv = (indeg == 0).nonzero()[0], 0
    while front.size:
        level[front] = lv
        hit = t[level[s] == lv]  # each edge leaves once: its source's level is set once
        if not hit.size:
            break
        indeg -= np.bincount(hit, minlength=n)
        front, lv = hit[indeg[hit] == 0], lv + 1
    return level


def _ranks(tgt: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(by, rank)``: the connections ``by`` their target (of ``n``; stable), and each one's
    rank ``0, 1, ..`` among the connections into its target, in that order."""
    by = _argsort_ints(tgt, n)
    ts = tgt[by]
    return by, np.arange(len(tgt)) - ts.searchsorted(ts)   # minus the target's first place


def _argsort_ints(key: np.ndarray, top: int) -> np.ndarray:
    """Stable argsort of integers ``0 <= key < top``: numpy's radix sort on 16-bit digits
    (O(n); ~8x faster than a comparison sort at 70k keys)."""
    if top <= 1 << 16:
        return key.astype(np.uint16).argsort(kind="stable")
    by = (key & 0xFFFF).astype(np.uint16).argsort(kind="stable")
    return by[_argsort_ints(key[by] >> 16, ((top - 1) >> 16) + 1)]


def _constants(pool: GenePool, order, sections, sb: np.ndarray) -> np.ndarray:
    """Values ``(C, 1)`` of the rows ``0 : C``, nodes without an enabled input, in ``sections
    [(r0, r1, group)]``: the empty aggregation (0; product 1) through bias, response, scale and
    activation, written as the runs write theirs (``sb (Nn,)`` signed scale * bias)."""
    C = sections[-1][1] if sections else 0
    out = sb[:C, None].copy()                 # written in place, as the runs write theirs
    for r0, r1, g in sections:
        if g >= _NACT:                        # an empty product is 1: s * (bias + response)
            idx = order[r0:r1]
            out[r0:r1, 0] = _SIGNED[g % _NACT] * (pool.bias[idx] + pool.response[idx])
        _WRITE[g % _NACT](out[r0:r1], out[r0:r1])
    return out


def _outputs(pool: GenePool, n_out: int, pos: np.ndarray) -> np.ndarray:
    """Rows ``(P * n_out,)`` of the output nodes (ids ``0 .. n_out - 1``), genome by genome."""
    first = pool.node_ptr[:-1]
    flat = first if n_out == 1 else (first[:, None] + np.arange(n_out)).ravel()
    # a genome's nodes are sorted by id, so its outputs are its first n_out nodes: their keys
    # (see gene_keys) must be its own. One short of them, it reads the next genome's (clip: or
    # the last node's), whose keys differ.
    want = key_starts(pool.size)[:-1]
    if n_out > 1:
        want = (want[:, None] + np.arange(n_out)).ravel()
    if len(pool.nodes) == 0 < len(flat) or np.logical_or.reduce(
            pool.node_keys.take(flat, mode="clip") != want):
        lack = [int(pool.keys[p]) for p, g in enumerate(np.split(pool.nodes, pool.node_ptr[1:-1]))
                if not set(range(n_out)) <= set(g.tolist())]
        raise GraphError(f"every genome needs its output nodes 0 .. {n_out - 1}; "
                         f"genome(s) {lack} lack one")
    return pos[flat]


def _cut(whole: list, rows: int) -> list:
    """The blocks ``whole`` (one per run) as blocks of at most ``rows`` targets.

    A part (targets ``i : j`` of a run) takes its targets' share of every slot:
    slot ``k`` holds the run's first ``n_k`` targets in order, so its terms
    ``i : min(n_k, j)`` (a segment). The segments of all slots, ordered by
    (part, slot), say where every term goes: one gather per array puts every
    part's terms together, slot-major, and the parts' arrays are slices.
    """
    n_parts = [-(-(blk.r1 - blk.r0) // rows) for blk in whole]
    slots = [(p0, k, n) for blk, p0 in zip(whole, accumulate([0, *n_parts]))
             for k, (_, n) in enumerate(blk.slots)]              # every slot, in term order
    p0, k, n = np.array(slots, dtype=np.intp).reshape(-1, 3).T
    S, P = int(np.maximum.reduce(k, initial=0)) + 1, sum(n_parts)
    per = -(-n // rows)                                          # parts each slot reaches
    seg = np.repeat(np.arange(len(n)), per)                     # each segment's slot
    local = np.arange(len(seg)) - np.repeat(pointers(per)[:-1], per)    # its part in the run
    start = pointers(n)[:-1].take(seg) + local * rows            # in the runs' terms
    size = np.minimum(n.take(seg) - local * rows, rows)
    part = p0.take(seg) + local
    by = _argsort_ints(part * S + k.take(seg), P * S)           # parts in order, slot-major
    start, size = start[by], size[by]
    ends = pointers(np.bincount(part, minlength=P)).tolist()     # each part's segments
    at = pointers(size)                                          # where each segment goes
    take = np.arange(int(at[-1])) + np.repeat(start - at[:-1], size)
    shared = np.concatenate([blk.rows_shared for blk in whole])[take]
    each = shared if all(blk.rows_each is blk.rows_shared for blk in whole) else \
        np.concatenate([blk.rows_each for blk in whole])[take]
    w = np.concatenate([blk.w for blk in whole])[take]
    at, size = at.tolist(), size.tolist()
    out, p = [], 0
    for blk in whole:
        for i in range(0, blk.r1 - blk.r0, rows):
            j = min(i + rows, blk.r1 - blk.r0)                       # targets i : j of the run
            a, b = ends[p], ends[p + 1]
            e, c = at[a], at[b]
            out.append(Block(blk.r0 + i, blk.r0 + j, shared[e:c], each[e:c], w[e:c],
                             tuple(zip([x - e for x in at[a:b]], size[a:b])), blk.agg,
                             blk.write, blk.sr[i:j], blk.deg[i:j]))
            p += 1
    return out

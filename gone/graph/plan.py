"""A graph compiled into levels of sparse gathers: memory O(synapses), build O(neurons + synapses).

A level is a set of neurons whose feed-forward sources are all inputs or
neurons of earlier levels, so a level is evaluated at once::

    z[:, r] = b[r] + sum over r's synapses t of  w[t] * v[:, col[t]]
    v[:, node[r]] = f(z[:, r])

``v`` is the ``(batch, n_inputs + n_neurons)`` node matrix of one step. The
sum is a gather ``v[:, cols]`` (``(batch, s)`` for the level's ``s``
synapses), a product with ``w`` and ``np.add.reduceat`` over each neuron's
run of synapses: no dense ``(neurons, nodes)`` matrix is made, so a level
costs what its synapses cost. Except where the dense matrix is small against
the level's synapses (at most :data:`DENSE_RATIO` times the sparse
description): there one matmul ``v @ W.T`` is faster than the gathers, and
memory stays O(neurons + synapses). Backward runs the same gathers the other
way: the synapses of a level are also kept sorted by source, so the
gradient reaching each source is one ``reduceat`` too.

All arrays are global (every level's entries side by side, level after
level); a level is a handful of offsets into them, sliced when it runs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

#: A level runs as a dense matmul when ``members x nodes <= DENSE_RATIO x (members + synapses)``.
DENSE_RATIO = 8


def levels(n_inputs: int, src: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each neuron's level and which synapses close a cycle.

    A depth-first walk of the dependencies in definition order; a synapse
    whose source is still being resolved when it is reached closes a cycle
    (self-connections always do). The level is the longest feed-forward path
    from the inputs (0: reads only inputs and previous-step values).
    Iterative, O(neurons + synapses). Returns ``(level (n,), cyclic (s,) bool)``.
    """
    n = len(counts)
    starts = np.concatenate([[0], np.cumsum(counts)]).tolist()
    deps = (src - n_inputs).tolist()  # < 0: an input
    level, colour = [0] * n, bytearray(n)  # colour 0 unseen, 1 being resolved, 2 done
    cyclic = bytearray(len(deps))
    cursor = starts[:-1]
    for root in range(n):
        if colour[root]:
            continue
        colour[root], stack = 1, [root]
        while stack:
            i = stack[-1]
            k = cursor[i]
            if k == starts[i + 1]:
                stack.pop()
                colour[i] = 2
                lv = 0
                for t in range(starts[i], k):
                    j = deps[t]
                    if j >= 0 and not cyclic[t] and level[j] >= lv:
                        lv = level[j] + 1
                level[i] = lv
                continue
            cursor[i] = k + 1
            j = deps[k]
            if j >= 0:
                if colour[j] == 1:
                    cyclic[k] = 1
                elif colour[j] == 0:
                    colour[j] = 1
                    stack.append(j)
    return (np.array(level, dtype=np.intp),
            np.frombuffer(bytes(cyclic), dtype=np.uint8).astype(bool))


@dataclass(frozen=True)
class Level:
    """Offsets of one level into the :class:`Plan` arrays."""

    lo: int          # members (neurons, in plan order) [lo, hi)
    hi: int
    slo: int         # synapses [slo, shi)
    shi: int
    rlo: int         # runs of synapses per neuron [rlo, rhi)
    rhi: int
    clo: int         # runs of synapses per source [clo, chi)
    chi: int
    groups: tuple    # ((activation, start, stop), ...) member ranges sharing an activation
    full: bool       # every member has at least one synapse
    W: np.ndarray | None = None  # (k, nodes) when the level runs as a dense matmul


class Plan:
    """The compiled graph: levels and the flat arrays they slice.

    Args:
        n_inputs: input columns at the start of the node matrix.
        acts: the Activation of each neuron.
        src: ``(s,)`` node column of each synapse's source.
        counts: ``(n,)`` synapses per neuron (synapses stored neuron by neuron).
        level, cyclic: from :func:`levels`.
    """

    def __init__(self, n_inputs, acts, src, counts, level, cyclic):
        n, s = len(counts), len(src)
        kinds: dict = {}
        by_object: dict = {}  # neurons of one graph mostly share Activation objects
        for a in acts:
            if id(a) not in by_object:
                by_object[id(a)] = kinds.setdefault(_kind(a), len(kinds))
        act_id = np.array([by_object[id(a)] for a in acts], dtype=np.intp)
        order = np.lexsort((act_id, level))            # members: by level, then activation
        rank = np.empty(n, dtype=np.intp)
        rank[order] = np.arange(n)
        dst = np.repeat(np.arange(n), counts)            # neuron of each synapse
        gene = np.arange(s) + dst + 1                    # its genome position (bias first)
        sorder = np.argsort(rank[dst], kind="stable")    # synapses by member, in plan order
        s_rank = rank[dst][sorder]
        lv_sorted = level[order]
        bounds = np.searchsorted(lv_sorted, np.arange(int(lv_sorted[-1]) + 2))
        s_bounds = np.searchsorted(s_rank, bounds)
        s_level = lv_sorted[s_rank] if s else np.zeros(0, dtype=np.intp)

        self.nodes = order + n_inputs                  # (n,) node column of each member
        offsets = np.arange(n) + np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp)
        self.bias_pos = offsets[order]                 # (n,) genome position of each bias
        self.pos = gene[sorder]                        # (s,) genome position of each synapse
        self.cols = src[sorder]                        # (s,) node column it reads
        self.rows = s_rank - bounds[s_level]           # (s,) member row within its level
        runs = np.flatnonzero(np.r_[True, s_rank[1:] != s_rank[:-1]]) if s else np.zeros(0, int)
        self.run_start = runs - s_bounds[s_level[runs]]    # (r,) within the level
        self.run_row = self.rows[runs]                     # (r,) the member row it sums into
        cruns = self._by_source(s_level, s_bounds)
        self.cyclic = cyclic
        self.level = level
        r_bounds = np.searchsorted(runs + 0, s_bounds)
        c_bounds = np.searchsorted(cruns + 0, s_bounds)
        group_starts = np.flatnonzero(np.r_[True, (lv_sorted[1:] != lv_sorted[:-1]) |
                                            (act_id[order][1:] != act_id[order][:-1])])
        self.levels = self._levels(acts, order, bounds, s_bounds, r_bounds, c_bounds, group_starts)
        self._matrices(n_inputs + n)
        self.w = np.zeros(s)
        self.b = np.zeros(n)

    def _matrices(self, n_nodes: int) -> None:
        """Give small, well-filled levels a dense ``W`` (see :data:`DENSE_RATIO`)."""
        for i, L in enumerate(self.levels):
            k, s = L.hi - L.lo, L.shi - L.slo
            if s and k * n_nodes <= DENSE_RATIO * (k + s):
                self.levels[i] = replace(L, W=np.zeros((k, n_nodes)))

    def _by_source(self, s_level: np.ndarray, s_bounds: np.ndarray) -> np.ndarray:
        """For backward: each level's synapses sorted by source column, and runs of one source.

        Sets ``cperm`` (s,), ``crun_start`` and ``crun_col`` (c,), all within
        their level; returns the runs' global starts.
        """
        empty = np.zeros(0, dtype=np.intp)
        cperm = np.lexsort((self.cols, s_level)) if len(s_level) else empty
        c_cols, c_level = self.cols[cperm], s_level[cperm]
        cruns = (np.flatnonzero(np.r_[True, (c_cols[1:] != c_cols[:-1]) |
                                      (c_level[1:] != c_level[:-1])]) if len(cperm) else empty)
        self.cperm = cperm - s_bounds[c_level]
        self.crun_start = cruns - s_bounds[c_level[cruns]]
        self.crun_col = c_cols[cruns]
        return cruns

    @staticmethod
    def _levels(acts, order, bounds, s_bounds, r_bounds, c_bounds, group_starts) -> list:
        out, g = [], 0
        ends = np.r_[group_starts[1:], len(order)].tolist()
        starts = group_starts.tolist()
        for L in range(len(bounds) - 1):
            lo, hi = int(bounds[L]), int(bounds[L + 1])
            groups = []
            while g < len(starts) and starts[g] < hi:
                groups.append((acts[order[starts[g]]], starts[g] - lo, ends[g] - lo))
                g += 1
            rlo, rhi = int(r_bounds[L]), int(r_bounds[L + 1])
            out.append(Level(lo, hi, int(s_bounds[L]), int(s_bounds[L + 1]), rlo, rhi,
                             int(c_bounds[L]), int(c_bounds[L + 1]), tuple(groups),
                             rhi - rlo == hi - lo))
        return out

    def sync(self, params: np.ndarray) -> None:
        """Take weights and biases from the genome ``params`` ``(n + s,)``."""
        self.w = params[self.pos]
        self.b = params[self.bias_pos]
        for L in self.levels:
            if L.W is not None:
                L.W[self.rows[L.slo:L.shi], self.cols[L.slo:L.shi]] = self.w[L.slo:L.shi]

    def dense_levels(self, n_nodes: int):
        """Per level ``(nodes, W, b, groups)``: its members' node columns ``(k,)``, their
        weights as a dense ``(k, n_nodes)`` matrix over the node vector, biases ``(k,)`` and
        activation groups. For exports (ONNX): O(k x nodes) memory a level."""
        for L in self.levels:
            W = np.zeros((L.hi - L.lo, n_nodes))
            W[self.rows[L.slo:L.shi], self.cols[L.slo:L.shi]] = self.w[L.slo:L.shi]
            yield self.nodes[L.lo:L.hi], W, self.b[L.lo:L.hi], L.groups

    # --- running ----------------------------------------------------------------
    def _z(self, L: Level, xs: np.ndarray) -> np.ndarray:
        """Pre-activations ``(batch, k)`` of level ``L`` from its gathered sources ``xs``."""
        batch, k = xs.shape[0], L.hi - L.lo
        if L.shi == L.slo:
            return np.broadcast_to(self.b[L.lo:L.hi], (batch, k)).copy()
        sums = np.add.reduceat(xs * self.w[L.slo:L.shi], self.run_start[L.rlo:L.rhi], axis=1)
        if L.full:
            z = sums
        else:
            z = np.zeros((batch, k))
            z[:, self.run_row[L.rlo:L.rhi]] = sums
        z += self.b[L.lo:L.hi]
        return z

    def forward(self, v: np.ndarray, keep: bool = False) -> list:
        """Run every level on the node matrix ``v`` ``(batch, nodes)`` in place.

        With ``keep``, returns per level ``(xs, z, a)``: the gathered source
        values ``(batch, s_level)`` (the whole ``v`` for a dense level) and the
        pre- and post-activations ``(batch, k)``, what :meth:`backward` needs
        (O(batch x (n + s)) in all).
        """
        caches = []
        for L in self.levels:
            if L.W is not None:
                xs = v.copy() if keep else None  # what backward's (gz.T @ v) needs
                z = v @ L.W.T
                z += self.b[L.lo:L.hi]
            else:
                xs = v[:, self.cols[L.slo:L.shi]]
                z = self._z(L, xs)
            a = np.empty_like(z)
            for act, lo, hi in L.groups:
                a[:, lo:hi] = act.fn(z[:, lo:hi])
            if keep:
                caches.append((xs, z, a))
            v[:, self.nodes[L.lo:L.hi]] = a
        return caches

    def backward(self, dv: np.ndarray, caches: list, grad: np.ndarray) -> None:
        """Accumulate ``dE/dgenome`` into ``grad`` ``(n + s,)`` from ``dE/dv`` ``(batch, nodes)``.

        Levels run last to first; ``dv`` gains each level's contribution to its
        sources. Sources of cycle-closing synapses belong to this or later
        levels, whose gradients were already consumed: those sums are never read.
        """
        for L, (xs, z, a) in zip(reversed(self.levels), reversed(caches)):
            ga = dv[:, self.nodes[L.lo:L.hi]]
            gz = np.empty_like(z)
            for act, lo, hi in L.groups:
                gz[:, lo:hi] = act.backward(z[:, lo:hi], a[:, lo:hi], ga[:, lo:hi])
            grad[self.bias_pos[L.lo:L.hi]] = gz.sum(axis=0)
            if L.shi == L.slo:
                continue
            if L.W is not None:
                rows, cols = self.rows[L.slo:L.shi], self.cols[L.slo:L.shi]
                grad[self.pos[L.slo:L.shi]] = (gz.T @ xs)[rows, cols]
                dv += gz @ L.W
                continue
            gzs = gz[:, self.rows[L.slo:L.shi]]
            grad[self.pos[L.slo:L.shi]] = np.einsum("bs,bs->s", gzs, xs)
            back = (gzs * self.w[L.slo:L.shi])[:, self.cperm[L.slo:L.shi]]
            dv[:, self.crun_col[L.clo:L.chi]] += np.add.reduceat(
                back, self.crun_start[L.clo:L.chi], axis=1)


def _kind(act) -> tuple:
    return act.name, tuple(sorted(act.params.items()))

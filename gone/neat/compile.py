"""Genome -> :class:`~gone.GraphNetwork`, and a whole population -> padded tensors.

Node columns of one genome: inputs ``0 .. n_in-1`` (ids ``-1, -2, ..``), then
its node genes in id order (outputs first, since their ids ``0 .. n_out-1``
are the smallest; hidden after). Only enabled connections count.

Both forms share :class:`~gone.GraphNetwork`'s propagation rule: neurons are
walked depth-first in column order, a connection whose source is still being
resolved closes a cycle and reads the previous step's value; all others are
feed-forward and settle within the step, level by level. A feed-forward
genome therefore computes exactly neat-python's ``FeedForwardNetwork``.

The activation's hidden scale (neat-python's sigmoid is ``sigmoid(5 z)``) is
folded into the graph's weights and bias: ``w' = s * response * w``,
``b' = s * bias``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GraphError
from ..graph import GraphNetwork
from .activations import gone_activation, scale
from .genome import ACT_NAMES, AGG_NAMES, Genome

_SUM = AGG_NAMES.index("sum")
_SCALES = np.array([scale(n) for n in ACT_NAMES])


def input_names(n: int) -> list[str]:
    return [f"in_{i + 1}" for i in range(n)]


def node_name(node: int, n_outputs: int) -> str:
    return f"out_{node + 1}" if node < n_outputs else f"h{node}"


def _columns(g: Genome, n_inputs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, cols, kept)``: for each enabled connection, its target row among the
    neurons and its source column among all nodes; ``kept`` indexes the connections."""
    kept = np.flatnonzero(g.enabled)
    rows = np.searchsorted(g.nodes, g.dst[kept])
    src = g.src[kept]
    cols = np.where(src < 0, -src - 1, n_inputs + np.searchsorted(g.nodes, np.maximum(src, 0)))
    ok = (rows < g.n_nodes) & (g.nodes[np.minimum(rows, g.n_nodes - 1)] == g.dst[kept])
    ok &= (src < 0) | (g.nodes[np.clip(cols - n_inputs, 0, g.n_nodes - 1)] == src)
    if not ok.all():
        bad = kept[~ok][0]
        raise GraphError(f"genome {g.key}: connection {g.src[bad]} -> {g.dst[bad]} names a node "
                         "the genome does not have")
    return rows, cols, kept


def levels(n_neurons: int, n_inputs: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Each neuron's level ``(n_neurons,)`` under GraphNetwork's depth-first rule.

    ``rows``/``cols`` are the synapses (target neuron, source column) in the
    order the graph lists them per neuron.
    """
    deps: list[list[int]] = [[] for _ in range(n_neurons)]
    for r, c in zip(rows.tolist(), cols.tolist()):
        deps[r].append(c - n_inputs)
    level, colour = [0] * n_neurons, [0] * n_neurons
    for root in range(n_neurons):
        if colour[root]:
            continue
        colour[root], stack = 1, [[root, 0, []]]
        while stack:
            frame = stack[-1]
            i, k, ff = frame
            if k == len(deps[i]):
                stack.pop()
                colour[i] = 2
                level[i] = 1 + max((level[j] for j in ff), default=-1)
                continue
            frame[1] += 1
            j = deps[i][k]
            if j < 0 or colour[j] == 1:
                continue  # an input, or a synapse that closes a cycle
            ff.append(j)
            if colour[j] == 0:
                colour[j] = 1
                stack.append([j, 0, []])
    return np.array(level, dtype=np.intp)


def to_graph(genome: Genome, n_inputs: int, n_outputs: int) -> GraphNetwork:
    """The genome as a GraphNetwork (enabled connections; sum aggregation only).

    Inputs are named ``in_1..``, outputs ``out_1..``, hidden nodes ``h<id>``.
    """
    n_out = n_outputs
    rows, cols, kept = _columns(genome, n_inputs)
    names = input_names(n_inputs) + [node_name(int(n), n_out) for n in genome.nodes]
    neurons = {}
    for i, node in enumerate(genome.nodes.tolist()):
        if genome.agg[i] != _SUM:
            raise GraphError(f"genome {genome.key}: node {node} aggregates by "
                             f"{AGG_NAMES[genome.agg[i]]}; a GraphNetwork sums its inputs")
        act_name = ACT_NAMES[genome.act[i]]
        s, act = scale(act_name), gone_activation(act_name)
        mine = np.flatnonzero(rows == i)
        synapses = {names[cols[k]]: float(s * genome.response[i] * genome.weight[kept[k]])
                    for k in mine}
        spec = {"bias": float(s * genome.bias[i]), "activation": act.name, "synapses": synapses}
        if act.params:
            spec["activation_params"] = dict(act.params)
        neurons[names[n_inputs + i]] = spec
    outputs = [node_name(k, n_out) for k in range(n_out)]
    return GraphNetwork(input_names(n_inputs), outputs, neurons)


# --- the population as tensors -------------------------------------------------------------

@dataclass
class Level:
    """The neurons one level writes, padded to the level's widest genome ``k``.

    idx (P, k): neuron index per entry (``K``, a scratch column, for padding);
    W (P, k, N + 1): their scaled incoming weights ``s * response * w`` over all
    node columns (plus the scratch column); b (P, k): ``s * bias``;
    act_masks: [(Activation, (P, k) mask)]; nonsum (P, k): entries aggregating
    by something other than sum (computed by the special path).
    """

    idx: np.ndarray
    W: np.ndarray
    b: np.ndarray
    act_masks: list
    nonsum: np.ndarray


@dataclass
class PopulationTensors:
    """``P`` genomes padded to ``K`` neurons over ``N = n_in + K`` node columns, by level.

    ``levels``: one :class:`Level` per feed-forward level. For genomes with
    non-sum nodes: ``special`` indices (S,), ``raw`` (S, K, N) unscaled weights,
    ``present`` (S, K, N) connection mask, ``agg`` (S, K), ``bias``/``response``/
    ``scale`` (S, K).
    """

    n_inputs: int
    n_outputs: int
    n_neurons: int
    levels: list
    special: np.ndarray
    raw: np.ndarray
    present: np.ndarray
    agg: np.ndarray
    bias: np.ndarray
    response: np.ndarray
    scale: np.ndarray

    @property
    def size(self) -> int:
        return self.levels[0].idx.shape[0]

    def take(self, rows: np.ndarray) -> "PopulationTensors":
        """The genomes ``rows`` (sorted indices) only."""
        keep = np.isin(self.special, rows)
        remap = np.searchsorted(rows, self.special[keep])
        levels = [Level(lv.idx[rows], lv.W[rows], lv.b[rows],
                        [(a, m[rows]) for a, m in lv.act_masks], lv.nonsum[rows])
                  for lv in self.levels]
        return PopulationTensors(self.n_inputs, self.n_outputs, self.n_neurons, levels, remap,
                                 self.raw[keep], self.present[keep], self.agg[keep],
                                 self.bias[keep], self.response[keep], self.scale[keep])


def _flat(genomes: list[Genome], n_inputs: int) -> dict:
    """Every genome's enabled connections at once: genome ``gi``, target ``row``, source ``col``,
    weight ``w`` and the index ``tgt`` of the target node in the concatenated node arrays."""
    counts = np.array([g.n_nodes for g in genomes])
    nodes = np.concatenate([g.nodes for g in genomes])
    gi_n = np.repeat(np.arange(len(genomes)), counts)
    pos = np.arange(len(nodes)) - np.repeat(np.cumsum(counts) - counts, counts)
    big = np.int64(2) ** 40  # node ids stay far below; keys stay sorted genome by genome
    key = gi_n * big + nodes
    m = np.array([g.n_connections for g in genomes])
    gi = np.repeat(np.arange(len(genomes)), m)
    on = np.concatenate([g.enabled for g in genomes])
    gi = gi[on]
    src = np.concatenate([g.src for g in genomes])[on]
    dst = np.concatenate([g.dst for g in genomes])[on]
    tgt = np.searchsorted(key, gi * big + dst)
    hit = np.searchsorted(key, gi * big + np.maximum(src, 0))
    safe = lambda i: np.minimum(i, len(key) - 1)  # noqa: E731
    ok = (key[safe(tgt)] == gi * big + dst) & ((src < 0) | (key[safe(hit)] == gi * big + src))
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        raise GraphError(f"genome {genomes[gi[bad]].key}: connection {src[bad]} -> {dst[bad]} "
                         "names a node the genome does not have")
    col = np.where(src < 0, -src - 1, n_inputs + pos[safe(hit)])
    return {"gi": gi, "row": pos[tgt], "col": col, "tgt": tgt, "gi_n": gi_n, "pos": pos,
            "src_flat": np.where(src < 0, -1, safe(hit)),
            "w": np.concatenate([g.weight for g in genomes])[on],
            "per_genome": np.cumsum(np.bincount(gi, minlength=len(genomes)))}


def compile_population(genomes: list[Genome], n_inputs: int, n_outputs: int) -> PopulationTensors:
    """Pad ``genomes`` into one :class:`PopulationTensors` (see there for the arrays)."""
    P, K = len(genomes), max(g.n_nodes for g in genomes)
    N = n_inputs + K
    f = _flat(genomes, n_inputs)
    act = np.concatenate([g.act for g in genomes])
    agg = np.concatenate([g.agg for g in genomes])
    bias = np.concatenate([g.bias for g in genomes])
    resp = np.concatenate([g.response for g in genomes])
    s = _SCALES[act]
    W, b = np.zeros((P, K + 1, N + 1)), np.zeros((P, K + 1))  # row/column K: scratch
    W[f["gi"], f["row"], f["col"]] = s[f["tgt"]] * resp[f["tgt"]] * f["w"]
    b[f["gi_n"], f["pos"]] = s * bias
    acts = np.zeros((P, K + 1), dtype=np.int16)
    aggs = np.full((P, K + 1), _SUM, dtype=np.int16)
    acts[f["gi_n"], f["pos"]], aggs[f["gi_n"], f["pos"]] = act, agg
    lv = np.full((P, K), -1, dtype=np.intp)
    flat = _acyclic_levels(f, len(act), K)
    if flat is not None:
        lv[f["gi_n"], f["pos"]] = flat
    else:
        cuts = np.concatenate([[0], f["per_genome"]])
        for p, g in enumerate(genomes):
            sl = slice(cuts[p], cuts[p + 1])
            lv[p, :g.n_nodes] = levels(g.n_nodes, n_inputs, f["row"][sl], f["col"][sl])
    kinds = [(a, gone_activation(ACT_NAMES[a])) for a in np.unique(act)]
    level_list = [_level(lv == l, W, b, acts, aggs, kinds, K) for l in range(int(lv.max()) + 1)]
    special = np.flatnonzero((aggs != _SUM).any(axis=1))
    S = len(special)
    raw, present = np.zeros((S, K, N)), np.zeros((S, K, N), dtype=bool)
    if S:
        q = np.searchsorted(special, f["gi"])
        mine = np.isin(f["gi"], special)
        raw[q[mine], f["row"][mine], f["col"][mine]] = f["w"][mine]
        present[q[mine], f["row"][mine], f["col"][mine]] = True
    return PopulationTensors(n_inputs, n_outputs, K, level_list, special, raw, present,
                             aggs[special, :K], _pad(bias, f, special, K),
                             _pad(resp, f, special, K), _pad(s, f, special, K))


def _acyclic_levels(f: dict, n_nodes: int, K: int):
    """Every node's level at once (longest path from the inputs), or None if a genome has a
    cycle. Without cycles this is exactly GraphNetwork's depth-first level; with one,
    the depth-first walk decides which synapses close it, genome by genome."""
    ff = f["src_flat"] >= 0
    s, t = f["src_flat"][ff], f["tgt"][ff]
    depth = _longest(s, t, n_nodes, K)
    if depth is None:
        return None
    # As late as possible instead: every output lands on the last level, so levels are
    # filled more evenly across genomes of different depths (less padding, same values).
    height = _longest(t, s, n_nodes, K)
    return int(depth.max()) - height


def _longest(s: np.ndarray, t: np.ndarray, n_nodes: int, K: int):
    """Longest path (in edges) ending at each node along edges ``s -> t``; None on a cycle."""
    lv = np.zeros(n_nodes, dtype=np.intp)
    for _ in range(K + 1):
        new = np.zeros_like(lv)
        np.maximum.at(new, t, lv[s] + 1)
        if np.array_equal(new, lv):
            return lv
        lv = new
    return None


def _level(members: np.ndarray, W, b, acts, aggs, kinds, K: int) -> Level:
    """Gather the neurons ``members (P, K)`` of one level into a :class:`Level`."""
    P = members.shape[0]
    width = int(members.sum(1).max())
    # stable sort puts each genome's members first, in neuron order; the rest -> scratch K
    order = np.argsort(~members, axis=1, kind="stable")[:, :width]
    valid = np.take_along_axis(members, order, 1)
    idx = np.where(valid, order, K)
    rows = np.arange(P)[:, None]
    a = acts[rows, idx]
    return Level(idx, W[rows, idx], np.where(valid, b[rows, idx], 0.0),
                 [(act, (a == code) & valid) for code, act in kinds],
                 (aggs[rows, idx] != _SUM) & valid)


def _pad(values: np.ndarray, f: dict, special: np.ndarray, K: int) -> np.ndarray:
    """Per-node ``values`` of the ``special`` genomes as ``(S, K)``."""
    out = np.zeros((len(special), K))
    mine = np.isin(f["gi_n"], special)
    out[np.searchsorted(special, f["gi_n"][mine]), f["pos"][mine]] = values[mine]
    return out

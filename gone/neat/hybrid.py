"""Backprop inside a NEAT run: gone's Lamarckian and Baldwinian hybrids on growing topologies.

A genome compiles to a :class:`~gone.GraphNetwork`, which computes its error
gradient, so the hybrids of :mod:`gone.evolution.hybrid` work on NEAT too
(neat-python has none):

- ``NeatPopulation(config, refine=Lamarckian(x, y, steps, optimizer, top=k))``:
  after each generation is evaluated its ``k`` best genomes take ``steps``
  gradient steps on ``(x, y)`` and keep the learned weights and biases, so
  their children inherit them;
- ``refine=Baldwinian(x, y, steps, ...)``: every genome learns before it is
  evaluated, and the fitness is that of the learned weights, but the genome
  keeps its own (learning guides selection without being inherited).

The learning is :meth:`GraphNetwork.gradients` (half the mean squared error
of one step) with the hybrid's optimizer, one genome at a time, as the GA's
hybrids loop over individuals. Writing back undoes the compile's folding:
``w = w' / (scale * response)``, ``bias = bias' / scale``. A genome with a
non-sum aggregation has no GraphNetwork and is left as it is.
"""

from __future__ import annotations

import numpy as np

from ..errors import GraphError
from .activations import scale
from .convert import input_names, node_name, to_graph
from .genome import ACT_NAMES, Genome
from .pool import GenePool, replace


def learn(genome: Genome, n_inputs: int, n_outputs: int, refiner,
          rng: np.random.Generator) -> Genome:
    """A copy of ``genome`` after ``refiner.steps`` gradient steps on its data.

    ``refiner`` is a :class:`~gone.evolution.Lamarckian` or
    :class:`~gone.evolution.Baldwinian` with data; mini-batches of its
    ``batch_size`` (all rows by default) are drawn from ``rng``.
    """
    refiner.require_data()
    try:
        graph = to_graph(genome, n_inputs, n_outputs)
    except GraphError:           # a non-sum aggregation: nothing to differentiate
        return genome.copy()
    x, y = refiner.x, refiner.y
    opt = refiner._optimizer()   # fresh moments for every genome
    params = graph.genome()
    n, size = len(x), refiner.batch_size or len(x)
    for _ in range(refiner.steps):
        rows = rng.choice(n, size=size, replace=False) if size < n else slice(None)
        _, grad = graph.gradients(x[rows], y[rows])
        opt.step([params], [grad])
        graph.set_genome(params)
    return write_back(genome, graph, n_inputs, n_outputs)


def write_back(genome: Genome, graph, n_inputs: int, n_outputs: int) -> Genome:
    """A copy of ``genome`` with the biases and weights of ``graph`` (its compiled and
    since trained GraphNetwork), unfolded into gene values."""
    out = genome.copy()
    names = input_names(n_inputs) + [node_name(int(v), n_outputs) for v in genome.nodes]
    node_of = {name: i for i, name in enumerate(names[n_inputs:])}
    conn_of = {(names[n_inputs + int(np.searchsorted(genome.nodes, d))],
                _source_name(int(s), genome, names, n_inputs)): k
               for k, (s, d) in enumerate(zip(genome.src.tolist(), genome.dst.tolist()))
               if genome.enabled[k]}
    s = np.array([scale(ACT_NAMES[a]) for a in genome.act])
    for (neuron, source), value in zip(graph.gene_names(), graph.genome()):
        i = node_of[neuron]
        if source is None:
            out.bias[i] = value / s[i]
        elif s[i] * genome.response[i] != 0:   # a zero response cut the weight off: keep it
            out.weight[conn_of[(neuron, source)]] = value / (s[i] * genome.response[i])
    return out


def _source_name(src: int, genome: Genome, names: list, n_inputs: int) -> str:
    if src < 0:
        return names[-src - 1]
    return names[n_inputs + int(np.searchsorted(genome.nodes, src))]


def learned(pool: GenePool, rows, n_inputs: int, n_outputs: int, refiner,
            rng: np.random.Generator) -> GenePool:
    """``pool`` with genomes ``rows`` replaced by what they learn (weights and biases only)."""
    weight, bias = pool.weight.copy(), pool.bias.copy()
    for p in np.asarray(rows, dtype=np.intp).tolist():
        g = learn(pool.genome(p), n_inputs, n_outputs, refiner, rng)
        weight[pool.conn_ptr[p]:pool.conn_ptr[p + 1]] = g.weight
        bias[pool.node_ptr[p]:pool.node_ptr[p + 1]] = g.bias
    return replace(pool, weight=weight, bias=bias)

"""NEAT genomes: node genes and connection genes as small numpy arrays.

A genome holds

* node genes (outputs and hidden nodes; inputs are not genes), sorted by id:
  ``nodes (n,)`` ids, ``bias (n,)``, ``response (n,)``, ``act (n,)`` indices
  into :data:`ACT_NAMES`, ``agg (n,)`` indices into :data:`AGG_NAMES`;
* connection genes, in the order the genome gained them (crossover lays a
  child's out by innovation number): ``src (m,)``, ``dst (m,)``, ``innov
  (m,)``, ``weight (m,)``, ``enabled (m,)`` bool.

A node computes ``act(scale * (bias + response * agg(w * v for enabled inputs)))``
(neat-python's node, with the activation's hidden scale made explicit, see
:mod:`gone.neat.activations`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .activations import names as _act_names
from .config import AGGREGATIONS, FloatGene, GenomeConfig

ACT_NAMES = tuple(_act_names())
AGG_NAMES = AGGREGATIONS


@dataclass
class Genome:
    """One individual; see the module docstring for the arrays."""

    key: int
    nodes: np.ndarray
    bias: np.ndarray
    response: np.ndarray
    act: np.ndarray
    agg: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    innov: np.ndarray
    weight: np.ndarray
    enabled: np.ndarray
    fitness: float = float("nan")
    extra: dict = field(default_factory=dict)

    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @property
    def n_connections(self) -> int:
        return len(self.innov)

    def size(self) -> tuple[int, int]:
        """``(nodes, enabled connections)``, as neat-python's ``genome.size()``."""
        return self.n_nodes, int(self.enabled.sum())

    def copy(self, key: int | None = None) -> "Genome":
        return Genome(self.key if key is None else key, self.nodes.copy(), self.bias.copy(),
                      self.response.copy(), self.act.copy(), self.agg.copy(), self.src.copy(),
                      self.dst.copy(), self.innov.copy(), self.weight.copy(),
                      self.enabled.copy(), self.fitness, dict(self.extra))

    def sort(self) -> "Genome":
        """Restore the invariants (nodes by id, connections by innovation); returns self."""
        o = np.argsort(self.nodes, kind="stable")
        self.nodes, self.bias, self.response = self.nodes[o], self.bias[o], self.response[o]
        self.act, self.agg = self.act[o], self.agg[o]
        o = np.argsort(self.innov, kind="stable")
        self.src, self.dst, self.innov = self.src[o], self.dst[o], self.innov[o]
        self.weight, self.enabled = self.weight[o], self.enabled[o]
        return self

    def __repr__(self) -> str:
        n, m = self.size()
        return f"Genome(key={self.key}, nodes={n}, connections={m}, fitness={self.fitness:g})"


# --- attribute values -------------------------------------------------------------

def init_float(gene: FloatGene, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` new values of a float attribute (neat-python's ``init_value``), clamped."""
    if gene.init_type.lower() == "uniform":
        lo = max(gene.min_value, gene.init_mean - 2 * gene.init_stdev)
        hi = min(gene.max_value, gene.init_mean + 2 * gene.init_stdev)
        return rng.uniform(lo, hi, n)
    # the method, not np.clip: at a generation's few hundred values the function's
    # dispatch costs more than the clamping
    return rng.normal(gene.init_mean, gene.init_stdev, n).clip(gene.min_value, gene.max_value)


def init_choice(default: str, options: tuple, names: tuple, n: int,
                rng: np.random.Generator) -> np.ndarray:
    """``n`` indices into ``names`` for a string attribute (``random``/``none``: any option)."""
    if default.lower() in ("random", "none"):
        codes = np.array([names.index(o) for o in options], dtype=np.int16)
        return codes[rng.integers(0, len(options), n)]
    return np.full(n, names.index(default), dtype=np.int16)


def init_enabled(config: GenomeConfig, n: int, rng: np.random.Generator) -> np.ndarray:
    if config.enabled_default.lower() in ("random", "none"):
        return rng.random(n) < 0.5
    return np.full(n, config.enabled_default.lower() == "true")


def new_nodes(config: GenomeConfig, ids, rng: np.random.Generator) -> dict:
    """Node genes for ``ids`` with fresh attributes."""
    n = len(ids)
    return {"nodes": np.asarray(ids, dtype=np.int64), "bias": init_float(config.bias, n, rng),
            "response": init_float(config.response, n, rng),
            "act": init_choice(config.activation_default, config.activation_options,
                               ACT_NAMES, n, rng),
            "agg": init_choice(config.aggregation_default, config.aggregation_options,
                               AGG_NAMES, n, rng)}


# --- new genomes ---------------------------------------------------------------------

def input_ids(config: GenomeConfig) -> np.ndarray:
    return -np.arange(1, config.num_inputs + 1, dtype=np.int64)

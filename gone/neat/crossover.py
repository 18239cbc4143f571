"""Crossover aligned by innovation number (neat-python's ``configure_crossover``).

The child has exactly the fitter parent's genes (its disjoint and excess genes
included); for a gene both parents have (same node id, same connection
innovation) each attribute comes from either parent with probability 1/2. On
equal fitness the second parent counts as the fitter, as in neat-python.
"""

from __future__ import annotations

import numpy as np

from .genome import Genome


def _mix(a: np.ndarray, b: np.ndarray, i: np.ndarray, j: np.ndarray, rng) -> np.ndarray:
    """``a`` with entries ``a[i]`` replaced by ``b[j]`` where a coin says so."""
    out = a.copy()
    take = rng.random(len(i)) > 0.5
    out[i[~take]] = b[j[~take]]
    return out


def crossover(g1: Genome, g2: Genome, key: int, rng: np.random.Generator) -> Genome:
    """A child of ``g1`` and ``g2`` with id ``key`` (fitness NaN)."""
    p1, p2 = (g1, g2) if g1.fitness > g2.fitness else (g2, g1)
    child = p1.copy(key)
    child.fitness = float("nan")
    child.extra = {}
    _, i, j = np.intersect1d(p1.innov, p2.innov, assume_unique=True, return_indices=True)
    child.weight = _mix(p1.weight, p2.weight, i, j, rng)
    child.enabled = _mix(p1.enabled, p2.enabled, i, j, rng)
    _, i, j = np.intersect1d(p1.nodes, p2.nodes, assume_unique=True, return_indices=True)
    child.bias = _mix(p1.bias, p2.bias, i, j, rng)
    child.response = _mix(p1.response, p2.response, i, j, rng)
    child.act = _mix(p1.act, p2.act, i, j, rng)
    child.agg = _mix(p1.agg, p2.agg, i, j, rng)
    return child

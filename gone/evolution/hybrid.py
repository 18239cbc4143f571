"""Backprop-evolution hybrids: refine individuals by gradient descent during evolution.

- :class:`Lamarckian`: after each generation is evaluated, its ``top`` best
  individuals take ``steps`` backprop steps on a data set and keep the refined
  weights, so their children inherit what they learned. (With the evolution
  strategy, the mean genome is refined instead.)
- :class:`Baldwinian`: every individual is refined before its fitness is
  measured, but the refined weights are thrown away: learning guides selection
  without being inherited.

Refinement loops over the individuals it refines; each one trains on the
whole mini-batch with matrix products like ``Network.train_step``.
"""

from __future__ import annotations

import copy

import numpy as np

from ..nn import optimizers as _optimizers
from ..errors import ConfigError


class _Refiner:
    """``steps`` backprop steps on ``(x, y)`` in mini-batches of ``batch_size`` (all by default)."""

    lamarckian = False

    def __init__(self, x, y, steps: int = 5, optimizer="adam", batch_size: int | None = None,
                 top: int | None = None):
        if int(steps) != steps or steps < 1:
            raise ConfigError(f"refinement steps must be a positive integer, got {steps}")
        self.x, self.y = np.asarray(x), np.asarray(y)
        if len(self.x) != len(self.y):
            raise ConfigError(f"refinement data: {len(self.x)} inputs but {len(self.y)} targets")
        self.steps, self.batch_size, self.top = int(steps), batch_size, top
        self.optimizer = _optimizers.get(optimizer)

    def refine(self, template, genome: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The genome ``(n_params,)`` after ``steps`` backprop steps (a new array)."""
        net = template.with_genome(genome)
        opt = copy.deepcopy(self.optimizer)  # fresh moments per individual
        n, bs = len(self.x), self.batch_size or len(self.x)
        for _ in range(self.steps):
            idx = rng.choice(n, size=bs, replace=False) if bs < n else slice(None)
            net.train_step(self.x[idx], self.y[idx], opt)
        return net.genome()

    def refine_rows(self, template, genomes: np.ndarray, rows, rng) -> np.ndarray:
        """A copy of ``genomes (pop, n_params)`` with ``rows`` refined."""
        out = genomes.copy()
        for i in rows:
            out[i] = self.refine(template, genomes[i], rng)
        return out


class Lamarckian(_Refiner):
    """The ``top`` best (default 1) take ``steps`` backprop steps and keep the weights."""

    lamarckian = True

    def __init__(self, x, y, steps: int = 5, optimizer="adam", batch_size=None, top: int = 1):
        super().__init__(x, y, steps, optimizer, batch_size, top)


class Baldwinian(_Refiner):
    """Fitness is measured after ``steps`` backprop steps; the weights are not written back."""

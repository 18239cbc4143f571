"""The genetic algorithm: selection, elitism, crossover and Gaussian mutation.

One generation, all on the genome matrix ``(pop, n_params)`` without a loop
over genes or individuals:

1. keep the ``elitism`` best parents unchanged (bit for bit);
2. pick two parents per child with the selection scheme;
3. with probability ``crossover_rate`` a child is a crossover of its parents
   (layer-wise one-point or uniform), otherwise a copy of the first;
4. mutate every child (not the elites) with Gaussian noise whose std decays
   by ``mutation_decay`` per generation, down to ``min_std``.

This is the Go Flappy Bird demo's algorithm (roulette selection, squared
scores, crossover then mutation) made configurable.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..errors import ConfigError
from ..nn import genome as _genome
from ..nn import operators as _ops
from . import selection as _sel
from .init import random_genomes


@dataclass
class GA:
    """Genetic algorithm settings (the strategy keeps no state between generations).

    Args:
        selection: ``"roulette"`` (fitness-proportionate, the default as in the
            Go demo), ``"tournament"``, ``"rank"`` or ``"truncation"``.
        elitism: the number of best individuals copied unchanged.
        crossover_rate: the share of children made by crossover (then mutation);
            the rest are copies of one parent (then mutation).
        crossover: ``"layer"`` (layers ``[0, k)`` from one parent, ``[k, L)``
            from the other) or ``"uniform"`` (each gene from either parent).
        mutation_rate: probability that a gene mutates; mutation_std/mean: its
            Gaussian noise; mutation_decay: std multiplier per generation.
        shaping: fitness shaping before selection: None, ``"square"`` or
            ``"centered_ranks"``.
        tournament_size / truncation: parameters of those selections.
    """

    selection: str = "roulette"
    elitism: int = 1
    crossover_rate: float = 0.5
    crossover: str = "layer"
    mutation_rate: float = 0.1
    mutation_std: float = 0.5
    mutation_mean: float = 0.0
    mutation_decay: float = 1.0
    min_std: float = 0.0
    shaping: str | None = None
    tournament_size: int = 3
    truncation: float = 0.5

    name = "ga"

    def __post_init__(self):
        _sel.get(self.selection)
        _sel.shape(np.zeros(1), self.shaping)
        if self.crossover not in ("layer", "uniform"):
            raise ConfigError(f"unknown crossover {self.crossover!r}; use 'layer' or 'uniform'")
        if not 0 <= self.crossover_rate <= 1:
            raise ConfigError(f"crossover_rate must be in [0, 1], got {self.crossover_rate}")
        if int(self.elitism) != self.elitism or self.elitism < 0:
            raise ConfigError(f"elitism must be a non-negative integer, got {self.elitism}")
        if int(self.tournament_size) != self.tournament_size or self.tournament_size < 1:
            raise ConfigError(f"tournament_size must be a positive integer, got {self.tournament_size}")
        if not 0 < self.truncation <= 1:
            raise ConfigError(f"truncation must be in (0, 1], got {self.truncation}")
        if not 0 <= self.min_std < float("inf"):
            raise ConfigError(f"min_std must be a finite number >= 0, got {self.min_std}")
        if not 0 < self.mutation_decay <= 1:
            raise ConfigError(f"mutation_decay must be in (0, 1], got {self.mutation_decay}")
        self.mutation(0)  # validates rate and std

    # --- the strategy protocol (see gone.evolution.population) ----------------
    def initial(self, template, size: int, rng: np.random.Generator) -> np.ndarray:
        """``size`` independently initialised genomes ``(size, n_params)``."""
        if self.elitism >= size:
            raise ConfigError(f"elitism ({self.elitism}) must be smaller than the population ({size})")
        return random_genomes(template, size, rng)

    def ask(self, template, genomes: np.ndarray, fitness, rng: np.random.Generator,
            generation: int) -> np.ndarray:
        """The genomes to evaluate next: the initial ones, or children of the last generation."""
        if fitness is None:
            return genomes
        return self.breed(template, genomes, _sel.sanitize(fitness), rng, generation)

    def tell(self, genomes: np.ndarray, fitness: np.ndarray, generation: int) -> None:
        """Nothing to learn: the next generation is bred from ``genomes`` and ``fitness`` in ask."""

    def state(self) -> dict[str, np.ndarray]:
        return {}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        pass

    def settings(self) -> dict:
        return asdict(self)

    # --- one generation --------------------------------------------------------
    def mutation(self, generation: int) -> _ops.GaussianMutation:
        """The mutation operator in force at ``generation`` (std decayed)."""
        std = max(self.mutation_std * self.mutation_decay ** generation, self.min_std)
        return _ops.GaussianMutation(self.mutation_rate, std, self.mutation_mean)

    def select(self, fitness: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` parent indices chosen by the selection scheme from shaped fitness."""
        # Shaping by ranks gives failed individuals finite values: keep them failed.
        shaped = np.where(np.isfinite(fitness), _sel.shape(fitness, self.shaping), -np.inf)
        if self.selection == "tournament":
            return _sel.tournament(shaped, n, rng, self.tournament_size)
        if self.selection == "truncation":
            return _sel.truncation(shaped, n, rng, self.truncation)
        return _sel.get(self.selection)(shaped, n, rng)

    def breed(self, template, parents: np.ndarray, fitness: np.ndarray,
              rng: np.random.Generator, generation: int) -> np.ndarray:
        """The next generation ``(pop, n_params)`` from ``parents`` and their fitness ``(pop,)``."""
        pop = len(parents)
        elite = np.argsort(-fitness, kind="stable")[:self.elitism]
        n = pop - len(elite)
        a = parents[self.select(fitness, n, rng)]
        b = parents[self.select(fitness, n, rng)]
        crossed = self._cross(template, a, b, rng)
        use_cross = rng.random(n) < self.crossover_rate
        children = np.where(use_cross[:, None], crossed, a)
        children = self.mutation(generation)(children, rng)
        return np.concatenate([parents[elite], children]).astype(parents.dtype, copy=False)

    def _cross(self, template, a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One crossover child per row of ``a``/``b`` ``(n, n_params)``."""
        if self.crossover == "uniform":
            return _ops.uniform_crossover(a, b, rng)
        bounds = _genome.layer_bounds(template)
        k = _ops.draw_crossover_point(len(bounds) - 1, rng, size=len(a))
        return _ops.layer_crossover(a, b, k, bounds)

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
scores, crossover then mutation) made configurable. The settings are frozen;
the state (:class:`GAState`) is the last generation and its fitness, so
``ask`` breeds children from it and ``tell`` replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..errors import ConfigError
from ..nn import genome as _genome
from ..nn import operators as _ops
from . import selection as _sel
from .init import random_genomes
from .strategy import State, Strategy, derived, register


@dataclass(frozen=True)
class GAState(State):
    """The GA's state: the parents (``genomes``, ``fitness``) and the layers' genome bounds."""

    bounds: np.ndarray = derived(default=None)  # (L, 2) (start, end) per parametric layer


@register
@dataclass(frozen=True)
class GA(Strategy):
    """Genetic algorithm settings.

    Args:
        selection: ``"roulette"`` (fitness-proportionate, the default as in the
            Go demo), ``"tournament"``, ``"rank"``, ``"truncation"``, or any
            name registered in ``gone.evolution.selection.SELECTIONS``.
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
    state_class = GAState

    def __post_init__(self):
        object.__setattr__(self, "selection", _sel.SELECTIONS.key(_checked_name(self.selection)))
        _sel.get(self.selection)
        _sel.shape(np.zeros(1), self.shaping)
        if self.crossover not in ("layer", "uniform"):
            raise ConfigError(f"unknown crossover {self.crossover!r}; use 'layer' or 'uniform'")
        _check(0 <= self.crossover_rate <= 1, "crossover_rate must be in [0, 1]", self.crossover_rate)
        _check(_whole(self.elitism) and self.elitism >= 0, "elitism must be a non-negative integer",
               self.elitism)
        _check(_whole(self.tournament_size) and self.tournament_size >= 1,
               "tournament_size must be a positive integer", self.tournament_size)
        _check(0 < self.truncation <= 1, "truncation must be in (0, 1]", self.truncation)
        _check(0 <= self.min_std < float("inf"), "min_std must be a finite number >= 0", self.min_std)
        _check(0 < self.mutation_decay <= 1, "mutation_decay must be in (0, 1]", self.mutation_decay)
        _check(np.isfinite(self.mutation_mean), "mutation_mean must be finite", self.mutation_mean)
        self.mutation(0)  # validates rate and std

    # --- the strategy protocol ---------------------------------------------------
    def init(self, template, size: int, rng: np.random.Generator) -> GAState:
        """``size`` independently initialised genomes, not yet evaluated."""
        self.check_size(size)
        return GAState(random_genomes(template, size, rng), np.empty(0), 0,
                       **self.derived(template, size))

    def ask(self, state: GAState, rng: np.random.Generator) -> tuple[np.ndarray, GAState]:
        """The genomes to evaluate: the initial ones, or children of the last generation."""
        if not state.evaluated:
            return state.genomes, state
        children = self._breed(state.bounds, state.genomes, _sel.sanitize(state.fitness), rng,
                               state.generation)
        return children, state

    def tell(self, state: GAState, genomes: np.ndarray, fitness: np.ndarray) -> GAState:
        """The told generation becomes the parents of the next."""
        return replace(state, genomes=genomes, fitness=fitness, generation=state.generation + 1)

    def write_back(self, state: GAState, fitness: np.ndarray, learn, top: int) -> GAState:
        """The ``top`` best parents replaced by what ``learn`` makes of them."""
        rows = np.argsort(-fitness, kind="stable")[:top]
        genomes = state.genomes.copy()
        genomes[rows] = learn(genomes[rows])
        return replace(state, genomes=genomes)

    def check_size(self, size: int) -> None:
        if self.elitism >= size:
            raise ConfigError(f"elitism ({self.elitism}) must be smaller than the population ({size})")

    def derived(self, template, size: int) -> dict:
        return {"bounds": np.array(_genome.layer_bounds(template), dtype=np.int64).reshape(-1, 2)}

    # --- one generation ----------------------------------------------------------
    def mutation(self, generation: int) -> _ops.GaussianMutation:
        """The mutation operator in force at ``generation`` (std decayed)."""
        std = max(self.mutation_std * self.mutation_decay ** generation, self.min_std)
        return _ops.GaussianMutation(self.mutation_rate, std, self.mutation_mean)

    def select(self, fitness: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` parent indices chosen by the selection scheme from shaped fitness."""
        # Shaping by ranks gives failed individuals finite values: keep them failed.
        shaped = np.where(np.isfinite(fitness), _sel.shape(fitness, self.shaping), -np.inf)
        return _sel.get(self.selection)(shaped, n, rng, self)

    def breed(self, template, parents: np.ndarray, fitness: np.ndarray,
              rng: np.random.Generator, generation: int) -> np.ndarray:
        """The next generation ``(pop, n_params)`` from ``parents`` and their fitness ``(pop,)``."""
        bounds = self.derived(template, len(parents))["bounds"]
        return self._breed(bounds, parents, _sel.sanitize(fitness), rng, generation)

    def _breed(self, bounds: np.ndarray, parents: np.ndarray, fitness: np.ndarray,
               rng: np.random.Generator, generation: int) -> np.ndarray:
        pop = len(parents)
        elite = np.argsort(-fitness, kind="stable")[:self.elitism]
        n = pop - len(elite)
        a = parents[self.select(fitness, n, rng)]
        b = parents[self.select(fitness, n, rng)]
        crossed = self._cross(bounds, a, b, rng)
        use_cross = rng.random(n) < self.crossover_rate
        children = np.where(use_cross[:, None], crossed, a)
        children = self.mutation(generation)(children, rng)
        return np.concatenate([parents[elite], children]).astype(parents.dtype, copy=False)

    def _cross(self, bounds: np.ndarray, a: np.ndarray, b: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
        """One crossover child per row of ``a``/``b`` ``(n, n_params)``."""
        if self.crossover == "uniform":
            return _ops.uniform_crossover(a, b, rng)
        k = _ops.draw_crossover_point(len(bounds) - 1, rng, size=len(a))
        return _ops.layer_crossover(a, b, k, bounds.tolist())


def _checked_name(name) -> str:
    if not isinstance(name, str):
        raise ConfigError(f"selection must be a name, got {name!r}")
    return name


def _whole(value) -> bool:
    try:
        return int(value) == value
    except (TypeError, ValueError, OverflowError):
        return False


def _check(ok, message: str, value) -> None:
    if not ok:
        raise ConfigError(f"{message}, got {value!r}")

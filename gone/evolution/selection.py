"""Selection and fitness shaping, vectorised over a population's fitness ``(pop,)``.

Higher fitness is better. A failed evaluation (NaN or +-inf) is the worst
possible fitness: :func:`sanitize` turns it into ``-inf`` before anything
else looks at it, so no selection ever picks a failed individual while a
working one is left. Every selection returns parent indices ``(n,)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .._base.registry import Registry
from ..errors import ConfigError


def sanitize(fitness) -> np.ndarray:
    """Fitness as float64 ``(pop,)`` with every non-finite value replaced by ``-inf``."""
    f = np.array(fitness, dtype=np.float64).reshape(-1)
    f[~np.isfinite(f)] = -np.inf
    return f


def ranks(fitness: np.ndarray) -> np.ndarray:
    """Rank of each individual, 0 = worst ... pop-1 = best (ties broken by index)."""
    r = np.empty(len(fitness), dtype=np.int64)
    r[np.argsort(fitness, kind="stable")] = np.arange(len(fitness))
    return r


def centered_ranks(fitness: np.ndarray) -> np.ndarray:
    """Ranks scaled to [-0.5, 0.5] (Salimans et al. 2017): robust to outliers and scale."""
    n = len(fitness)
    if n < 2:
        return np.zeros(n)
    return ranks(fitness) / (n - 1) - 0.5


def shape(fitness: np.ndarray, method: str | None) -> np.ndarray:
    """Apply fitness shaping: None, ``"square"`` (sign-preserving f|f|, as the Go
    Flappy Bird demo squares its scores) or ``"centered_ranks"``.

    Failed individuals (``-inf``) stay the worst.
    """
    if method in (None, "none"):
        return fitness
    if method == "square":
        return fitness * np.abs(fitness)
    if method in ("centered_ranks", "ranks"):
        return centered_ranks(fitness)
    raise ConfigError(f"unknown fitness shaping {method!r}; use none, square or centered_ranks")


def _count_check(fitness: np.ndarray) -> None:
    if len(fitness) == 0:
        raise ConfigError("cannot select from an empty population")


def _working(fitness: np.ndarray) -> np.ndarray:
    """Indices of the working (finite) individuals, or of all when every one failed."""
    ok = np.flatnonzero(np.isfinite(fitness))
    return ok if ok.size else np.arange(len(fitness))


def roulette(fitness: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Fitness-proportionate selection.

    With non-negative fitness, P(i) = f_i / sum(f). Negative fitness is shifted
    so the worst working individual has weight 0; failed ones always have 0.
    When every weight is 0 the choice is uniform over the working individuals.
    """
    _count_check(fitness)
    ok = np.isfinite(fitness)
    if not ok.any():
        return rng.integers(0, len(fitness), size=n)
    w = np.where(ok, fitness, 0.0)
    low = w[ok].min()
    if low < 0:
        w = np.where(ok, w - low, 0.0)
    total = w.sum()
    if not np.isfinite(total) or total <= 0:
        w, total = ok.astype(np.float64), float(ok.sum())
    return rng.choice(len(fitness), size=n, p=w / total)


def tournament(fitness: np.ndarray, n: int, rng: np.random.Generator, size: int = 3) -> np.ndarray:
    """Each parent is the fittest of ``size`` individuals drawn uniformly (with replacement)."""
    _count_check(fitness)
    if size < 1:
        raise ConfigError(f"tournament size must be >= 1, got {size}")
    pool = _working(fitness)  # failed individuals never enter while a working one is left
    entrants = pool[rng.integers(0, len(pool), size=(n, size))]
    return entrants[np.arange(n), np.argmax(fitness[entrants], axis=1)]


def rank(fitness: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Linear ranking: P(i) proportional to its rank 1 (worst) .. pop (best).

    Failed individuals have weight 0 while a working one is left.
    """
    _count_check(fitness)
    w = np.zeros(len(fitness))
    pool = _working(fitness)
    w[pool] = ranks(fitness[pool]) + 1.0
    return rng.choice(len(fitness), size=n, p=w / w.sum())


def truncation(fitness: np.ndarray, n: int, rng: np.random.Generator,
               fraction: float = 0.5) -> np.ndarray:
    """Parents drawn uniformly from the best ``ceil(fraction * pop)`` individuals."""
    _count_check(fitness)
    if not 0 < fraction <= 1:
        raise ConfigError(f"truncation fraction must be in (0, 1], got {fraction}")
    pool = _working(fitness)
    keep = min(max(1, int(np.ceil(fraction * len(fitness)))), len(pool))
    best = pool[np.argsort(-fitness[pool], kind="stable")[:keep]]
    return best[rng.integers(0, keep, size=n)]


@dataclass(frozen=True)
class Selection:
    """A selection function and the GA settings it takes: ``{setting: keyword}``."""

    fn: Callable
    options: dict = field(default_factory=dict)

    def __call__(self, fitness: np.ndarray, n: int, rng: np.random.Generator,
                 settings=None) -> np.ndarray:
        """``n`` parent indices; the options' values are read from ``settings`` (a GA), if given."""
        kwargs = ({} if settings is None else
                  {kw: getattr(settings, name) for name, kw in self.options.items()})
        return self.fn(fitness, n, rng, **kwargs)


#: Every selection by name; a user's own is ``SELECTIONS.register("mine", Selection(fn))``.
SELECTIONS: Registry = Registry("selection")
SELECTIONS.register("roulette", Selection(roulette))
SELECTIONS.register("tournament", Selection(tournament, {"tournament_size": "size"}))
SELECTIONS.register("rank", Selection(rank))
SELECTIONS.register("truncation", Selection(truncation, {"truncation": "fraction"}))


def get(name: str) -> Selection:
    """The selection called ``name`` (roulette, tournament, rank, truncation)."""
    return SELECTIONS.get(name)

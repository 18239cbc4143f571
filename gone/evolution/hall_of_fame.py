"""The best individuals ever evaluated."""

from __future__ import annotations

import numpy as np


class HallOfFame:
    """The ``capacity`` fittest genomes seen so far, best first.

    Kept apart from the population, so the best-ever network is right whatever
    the strategy does (elitism off, an ES whose candidates all move on).
    Ties keep the earlier individual. Failed evaluations never enter.
    """

    def __init__(self, capacity: int = 5):
        if int(capacity) != capacity or capacity < 1:
            raise ValueError(f"hall of fame capacity must be a positive integer, got {capacity}")
        self.capacity = int(capacity)
        self.genomes = np.empty((0, 0))
        self.fitness = np.empty(0)
        self.generations = np.empty(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.fitness)

    @property
    def best_fitness(self) -> float:
        return float(self.fitness[0]) if len(self) else float("-inf")

    def update(self, genomes: np.ndarray, fitness: np.ndarray, generation: int) -> None:
        """Merge one generation ``genomes (pop, n)`` with sanitised ``fitness (pop,)``."""
        ok = np.isfinite(fitness)
        if len(self) == self.capacity:  # only those that beat the worst member can enter
            ok &= fitness > self.fitness[-1]
        cand = np.flatnonzero(ok)
        if not cand.size:
            return
        # At most `capacity` of this generation can stay: the best, earlier first on ties.
        cand = cand[np.argsort(-fitness[cand], kind="stable")[:self.capacity]]
        old = self.genomes if len(self) else np.empty((0, genomes.shape[1]), genomes.dtype)
        g = np.concatenate([old, genomes[cand]])
        f = np.concatenate([self.fitness, fitness[cand]])
        gen = np.concatenate([self.generations, np.full(len(cand), generation, np.int64)])
        order = np.argsort(-f, kind="stable")
        keep = order[~_repeats(g[order])][:self.capacity]
        self.genomes, self.fitness, self.generations = g[keep].copy(), f[keep], gen[keep]

    def entries(self) -> list[tuple[float, int, np.ndarray]]:
        """``(fitness, generation, genome)`` per member, best first."""
        return [(float(f), int(g), x) for f, g, x in zip(self.fitness, self.generations, self.genomes)]

    def restore(self, genomes, fitness, generations) -> None:
        self.genomes, self.fitness = np.asarray(genomes), np.asarray(fitness, np.float64)
        self.generations = np.asarray(generations, np.int64)


def _repeats(rows: np.ndarray) -> np.ndarray:
    """``(k,)`` True where a row equals an earlier row: an elite carried over
    unchanged is the same genome again and is kept once. ``k`` is at most twice
    the capacity, so comparing every pair is cheaper than sorting rows."""
    same = (rows[:, None, :] == rows[None, :, :]).all(axis=-1)
    return np.triu(same, 1).any(axis=0)

"""The next generation (neat-python's ``DefaultReproduction.reproduce``).

1. Stagnant species are dropped (see :func:`gone.neat.species.stagnation`).
2. Explicit fitness sharing: a species' adjusted fitness is its members' mean
   fitness, min-max normalised over all surviving genomes (range at least 1).
3. Spawn counts proportional to adjusted fitness, moved half-way from the
   species' current size, at least ``max(min_species_size, elitism)`` each,
   then rescaled to ``pop_size`` (:func:`compute_spawn`).
4. Per species: the ``elitism`` best are copied unchanged; the rest are
   children of two parents drawn from the best ``survival_threshold`` share
   (at least 2), crossed over by innovation number, then mutated; crossover
   and mutation run for all children of all species at once.
"""

from __future__ import annotations

import numpy as np

from ..errors import GoneError
from .crossover import crossover_pool
from .mutation import mutate_attributes_pool, mutate_structure_pool
from .pool import GenePool
from .species import SpeciesSet, member_rows, stagnation


class CompleteExtinction(GoneError):
    """Every species stagnated and ``reset_on_extinction`` is False."""


def compute_spawn(adjusted: list[float], sizes: list[int], pop_size: int,
                  min_size: int) -> list[int]:
    """Offspring per species: proportional to ``adjusted`` fitness, smoothed by ``sizes``."""
    total = sum(adjusted)
    spawn = []
    for af, size in zip(adjusted, sizes):
        goal = max(min_size, af / total * pop_size) if total > 0 else min_size
        d = (goal - size) * 0.5
        c = int(round(d))
        n = size + c if abs(c) > 0 else size + (1 if d > 0 else -1 if d < 0 else 0)
        spawn.append(n)
    norm = pop_size / sum(spawn)
    return [max(min_size, int(round(n * norm))) for n in spawn]


def _adjust(survivors: list, fit: np.ndarray, sizes) -> list[float]:
    """Each surviving species' mean member fitness, rescaled by the survivors' fitness range.

    ``fit`` holds the survivors' member fitness, ``sizes[i]`` values for survivor ``i``
    after those of the ones before it.
    """
    lo = fit.min()
    span = max(1.0, fit.max() - lo)
    start = 0
    for s, n in zip(survivors, sizes):
        # sum / n: np.mean's bits (the same reduction and division) without its Python layers
        s.adjusted_fitness = float((fit[start:start + n].sum() / n - lo) / span)
        start += n
    return [s.adjusted_fitness for s in survivors]


def _parents(ranked: np.ndarray, start: np.ndarray, pool_size: np.ndarray,
             counts: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """Two parent rows for each child, one draw for all species: ``counts[i]`` children
    of species ``i``, each parent drawn uniformly (with replacement) from its
    ``pool_size[i]`` best, ``ranked[start[i]:start[i] + pool_size[i]]``."""
    size, first = np.repeat(pool_size, counts), np.repeat(start, counts)
    pick = np.minimum((rng.random((2, len(size))) * size).astype(np.intp), size - 1) + first
    return ranked[pick[0]], ranked[pick[1]]


def reproduce(species_set: SpeciesSet, pool: GenePool, generation: int, config,
              innovations, next_key: int, rng: np.random.Generator) -> tuple:
    """``(next generation's pool, next free key, stagnant species keys)``.

    The pool is None when every species stagnated. Elites are copied as they
    are; every other child is bred from two parents of its species' best
    ``survival_threshold`` and mutated, all children at once.
    """
    ranked = stagnation(species_set, pool, generation, config)
    survivors = [s for s, stagnant in ranked if not stagnant]
    dropped = [s.key for s, stagnant in ranked if stagnant]
    if not survivors:
        species_set.species = {}
        return None, next_key, dropped
    survivors.sort(key=lambda s: s.key)
    # every survivor's members in one array, species after species
    rows, sizes = member_rows(survivors, pool)
    fit = pool.fitness[rows]
    adjusted = _adjust(survivors, fit, sizes)
    min_size = max(config.min_species_size, config.elitism)
    spawns = compute_spawn(adjusted, sizes, config.pop_size, min_size)
    # best first within each species (ties by key: members are in key order and the
    # sort is stable)
    sizes = np.array(sizes)
    species = np.repeat(np.arange(len(survivors)), sizes)
    ranked = rows[np.lexsort((-fit, species))]
    start = np.cumsum(sizes) - sizes
    rank = np.arange(len(ranked)) - start[species]
    # the ``elitism`` best of each species are copied; the rest of its spawn are children
    # of its ``survival_threshold`` best (at least 2)
    kept = np.sort(ranked[rank < config.elitism])
    counts = np.maximum(np.maximum(spawns, config.elitism) - np.minimum(config.elitism, sizes), 0)
    pool_size = np.maximum(2, np.ceil(config.survival_threshold * sizes).astype(np.intp))
    first, second = _parents(ranked, start, np.minimum(pool_size, sizes), counts, rng)
    species_set.species = {s.key: s for s in survivors}
    for s in survivors:
        s.members = []
    n_children = len(first)
    # The elites ride along as the first rows of the crossover, each bred with
    # itself (an exact copy: every gene matches itself) and then left out of the
    # mutations; this spares taking them into a pool of their own and joining it.
    E = len(kept)
    keys = np.concatenate((pool.keys[kept], np.arange(next_key, next_key + n_children)))
    out = crossover_pool(pool, np.concatenate((kept, first)), np.concatenate((kept, second)),
                         keys, rng)
    out.fitness[:E] = pool.fitness[kept]
    out = mutate_structure_pool(out, config.genome, innovations, rng, first=E)
    out = mutate_attributes_pool(out, config.genome, rng, first=E)
    return out, next_key + n_children, dropped

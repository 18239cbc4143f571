"""The next generation (neat-python's ``DefaultReproduction.reproduce``).

1. Stagnant species are dropped (see :func:`gone.neat.species.stagnation`).
2. Explicit fitness sharing: a species' adjusted fitness is its members' mean
   fitness, min-max normalised over all surviving genomes (range at least 1).
3. Spawn counts proportional to adjusted fitness, moved half-way from the
   species' current size, at least ``max(min_species_size, elitism)`` each,
   then rescaled to ``pop_size`` (:func:`compute_spawn`) and moved one by one
   until they add up to exactly ``pop_size`` (:func:`adjust_spawn`, neat-python
   2; without it a generation of many small species outgrows ``pop_size``, and
   the next one more so).
4. Per species: the ``elitism`` best are copied unchanged; the rest are
   children of two parents drawn from the best ``survival_threshold`` share
   (at least 2), crossed over by innovation number, then mutated; crossover
   and mutation run for all children of all species at once.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, GoneError
from .crossover import crossover_pool
from .mutation import mutate_attributes_pool, mutate_structure_pool
from .pool import GenePool
from .species import SpeciesSet, member_rows, stagnation


class CompleteExtinction(GoneError):
    """Every species stagnated and ``reset_on_extinction`` is False."""


class TooManySpecies(ConfigError):
    """More species than ``pop_size`` can give ``max(min_species_size, elitism)`` genomes each."""


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


def adjust_spawn(spawn: list[int], pop_size: int, min_size: int) -> list[int]:
    """``spawn`` changed one genome at a time until it adds up to ``pop_size`` (neat-python 2's
    ``_adjust_spawn_exact``): extras go to the smallest species first, removals come from the
    largest first, never below ``min_size``; ties in species order, round after round.

    Raises TooManySpecies when ``len(spawn) * min_size > pop_size`` (and the counts are off).
    neat-python stops removing after one round and then raises an internal error; this goes
    on until the sum is right, which a total of at least the minima always allows.
    """
    spawn = list(spawn)
    diff = pop_size - sum(spawn)
    if diff == 0:
        return spawn
    if len(spawn) * min_size > pop_size:
        raise TooManySpecies(
            f"{len(spawn)} species need at least {min_size} genomes each, more than pop_size = "
            f"{pop_size}: raise pop_size or compatibility_threshold, or lower min_species_size "
            "and elitism")
    step = 1 if diff > 0 else -1
    # smallest first when adding, largest first when removing (sorted is stable: species order)
    order = sorted(range(len(spawn)), key=lambda i: spawn[i], reverse=step < 0)
    while diff:
        for i in order:
            if diff and (step > 0 or spawn[i] > min_size):
                spawn[i] += step
                diff -= step
    return spawn


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
    try:
        spawns = adjust_spawn(compute_spawn(adjusted, sizes, config.pop_size, min_size),
                              config.pop_size, min_size)
    except TooManySpecies as exc:
        raise TooManySpecies(f"generation {generation}: {exc}") from None
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

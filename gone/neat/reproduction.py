"""The next generation (neat-python's ``DefaultReproduction.reproduce``).

1. Stagnant species are dropped (see :func:`gone.neat.species.stagnation`).
2. Explicit fitness sharing: a species' adjusted fitness is its members' mean
   fitness, min-max normalised over all surviving genomes (range at least 1).
3. Spawn counts proportional to adjusted fitness, moved half-way from the
   species' current size, at least ``max(min_species_size, elitism)`` each,
   then rescaled to ``pop_size`` (:func:`compute_spawn`).
4. Per species: the ``elitism`` best are copied unchanged; the rest are
   children of two parents drawn from the best ``survival_threshold`` share
   (at least 2), crossed over by innovation number, then mutated: structure
   per child, attributes for all children at once.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import GoneError
from .crossover import crossover_many
from .genome import Genome
from .mutation import mutate_attributes, mutate_structure
from .species import SpeciesSet, stagnation


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


def _adjust(survivors: list, genomes: dict[int, Genome]) -> list[float]:
    fit = np.array([genomes[g].fitness for s in survivors for g in s.members])
    lo, span = fit.min(), max(1.0, fit.max() - fit.min())
    adjusted = []
    for s in survivors:
        s.adjusted_fitness = float((np.mean([genomes[g].fitness for g in s.members]) - lo) / span)
        adjusted.append(s.adjusted_fitness)
    return adjusted


def reproduce(species_set: SpeciesSet, genomes: dict[int, Genome], generation: int, config,
              innovations, next_key: int, rng: np.random.Generator) -> tuple[dict, int, list]:
    """``(new genomes by key, next free key, stagnant species keys)``; empty when all stagnated."""
    ranked = stagnation(species_set, genomes, generation, config)
    survivors = [s for s, stagnant in ranked if not stagnant]
    dropped = [s.key for s, stagnant in ranked if stagnant]
    if not survivors:
        species_set.species = {}
        return {}, next_key, dropped
    survivors.sort(key=lambda s: s.key)
    adjusted = _adjust(survivors, genomes)
    min_size = max(config.min_species_size, config.elitism)
    spawns = compute_spawn(adjusted, [len(s.members) for s in survivors], config.pop_size, min_size)
    new, pairs = {}, []
    species_set.species = {}
    for n, s in zip(spawns, survivors):
        n = max(n, config.elitism)
        old = sorted(s.members, key=lambda g: genomes[g].fitness, reverse=True)
        species_set.species[s.key] = s
        s.members = []
        for gid in old[:config.elitism]:
            new[gid] = genomes[gid]
        n -= min(config.elitism, len(old))
        if n <= 0:
            continue
        cutoff = max(2, int(math.ceil(config.survival_threshold * len(old))))
        pool = old[:cutoff]
        for a, b in rng.integers(0, len(pool), (n, 2)):
            pairs.append((genomes[pool[a]], genomes[pool[b]]))
    keys = list(range(next_key, next_key + len(pairs)))
    children = crossover_many(pairs, keys, rng) if pairs else []
    for child in children:
        mutate_structure(child, config.genome, innovations, rng)
        new[child.key] = child
    mutate_attributes(children, config.genome, rng)
    next_key += len(pairs)
    return new, next_key, dropped

"""Species: speciation by compatibility distance, and stagnation.

Speciation follows neat-python's ``DefaultSpeciesSet.speciate``: each existing
species first takes as its new representative the genome closest to its old
representative; then every other genome (in key order) joins the closest
species whose representative is within ``compatibility_threshold``, or founds
a new species. With ``target_num_species > 0`` (a gone addition) the
threshold then moves by ``threshold_adjust`` toward that many species.

Stagnation follows ``DefaultStagnation.update``: a species' fitness is
``species_fitness_func`` of its members'; a species that has not improved on
its best for ``max_stagnation`` generations is stagnant, except the
``species_elitism`` best species, which are always kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .distance import distances
from .pool import GenePool

_FUNCS = {"max": np.max, "min": np.min, "mean": np.mean, "median": np.median}


@dataclass
class Species:
    """One species: ``members`` and ``representative`` are genome keys."""

    key: int
    created: int
    representative: int
    members: list = field(default_factory=list)
    last_improved: int = 0
    fitness: float = float("nan")
    adjusted_fitness: float = float("nan")
    fitness_history: list = field(default_factory=list)


def rows_of(pool: GenePool, keys) -> np.ndarray:
    """The rows of genome ``keys`` in ``pool`` (whose keys are sorted)."""
    return np.searchsorted(pool.keys, np.asarray(keys, dtype=np.int64))


class SpeciesSet:
    """All species of a run, their representatives and the (possibly moving) threshold.

    ``reps`` holds the representatives' genomes, one row per species in key
    order (they outlive the generation they were drawn from).
    """

    def __init__(self, threshold: float):
        self.species: dict[int, Species] = {}
        self.threshold = float(threshold)
        self.next_key = 1
        self.reps: GenePool | None = None

    @property
    def genome_to_species(self) -> dict[int, int]:
        return {gid: sid for sid, s in self.species.items() for gid in s.members}

    def speciate(self, pool: GenePool, generation: int, config) -> None:
        """Partition the genomes of ``pool`` (sorted by key) into species; see the module
        docstring."""
        P = pool.size
        free = np.ones(P, dtype=bool)
        reps: dict[int, int] = {}     # species key -> row of its representative
        old = sorted(self.species)
        if old:
            near_old = distances(pool, self.reps, config.genome)          # (R, P)
            for q, sid in enumerate(old):
                if not free.any():
                    break
                r = int(np.argmin(np.where(free, near_old[q], np.inf)))
                reps[sid], free[r] = r, False
        sids = list(reps)
        D = (distances(pool, pool.take(list(reps.values())), config.genome).T if sids
             else np.zeros((P, 0)))                                         # (P, species)
        owner = np.full(P, -1)
        owner[list(reps.values())] = sids
        rest = np.flatnonzero(free)
        while rest.size:
            near = D[rest].min(1) < self.threshold if D.shape[1] else np.zeros(rest.size, bool)
            stop = int(np.argmin(near)) if not near.all() else rest.size
            if stop:   # the genomes before the first loner join their closest species
                owner[rest[:stop]] = np.array(sids, dtype=np.int64)[np.argmin(D[rest[:stop]], 1)]
            if stop == rest.size:
                break
            founder = rest[stop]
            sid, self.next_key = self.next_key, self.next_key + 1
            sids.append(sid)
            reps[sid], owner[founder] = int(founder), sid
            D = np.column_stack([D, distances(pool, pool.take([founder]), config.genome)[0]])
            rest = rest[stop + 1:]
        self._update(pool, generation, reps, owner)
        self._adjust_threshold(config)

    def _update(self, pool: GenePool, generation: int, reps: dict, owner: np.ndarray) -> None:
        species = {}
        order = np.argsort(owner, kind="stable")
        bounds = np.searchsorted(owner[order], sorted(reps), side="left")
        ends = np.searchsorted(owner[order], sorted(reps), side="right")
        for sid, lo, hi in zip(sorted(reps), bounds, ends):
            rid = int(pool.keys[reps[sid]])
            s = self.species.get(sid) or Species(sid, generation, rid, last_improved=generation)
            s.representative, s.members = rid, pool.keys[order[lo:hi]].tolist()
            species[sid] = s
        self.species = species
        self.reps = pool.take([reps[sid] for sid in sorted(reps)])

    def _adjust_threshold(self, config) -> None:
        target = config.target_num_species
        if target <= 0:
            return
        if len(self.species) > target:
            self.threshold += config.threshold_adjust
        elif len(self.species) < target:
            self.threshold = max(config.threshold_adjust, self.threshold - config.threshold_adjust)


def stagnation(species_set: SpeciesSet, pool: GenePool, generation: int,
               config) -> list[tuple[Species, bool]]:
    """``[(species, is_stagnant)]`` sorted by species fitness, lowest first.

    Updates each species' ``fitness``, ``fitness_history`` and ``last_improved``.
    """
    func = _FUNCS[config.species_fitness_func]
    data = []
    for sid in sorted(species_set.species):
        s = species_set.species[sid]
        previous = max(s.fitness_history) if s.fitness_history else -np.inf
        s.fitness = float(func(pool.fitness[rows_of(pool, s.members)]))
        s.fitness_history.append(s.fitness)
        s.adjusted_fitness = float("nan")
        if s.fitness > previous:
            s.last_improved = generation
        data.append(s)
    data.sort(key=lambda s: s.fitness)
    result, alive = [], len(data)
    for idx, s in enumerate(data):
        stagnant = False
        if alive > config.species_elitism:
            stagnant = generation - s.last_improved >= config.max_stagnation
        if len(data) - idx <= config.species_elitism:
            stagnant = False
        if stagnant:
            alive -= 1
        result.append((s, stagnant))
    return result

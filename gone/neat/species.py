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

from .genome import GeneTable, Genome

_FUNCS = {"max": np.max, "min": np.min, "mean": np.mean, "median": np.median}


@dataclass
class Species:
    """One species: ``members`` are genome keys; ``representative`` a Genome."""

    key: int
    created: int
    representative: Genome
    members: list = field(default_factory=list)
    last_improved: int = 0
    fitness: float = float("nan")
    adjusted_fitness: float = float("nan")
    fitness_history: list = field(default_factory=list)


class SpeciesSet:
    """All species of a run and the (possibly moving) compatibility threshold."""

    def __init__(self, threshold: float):
        self.species: dict[int, Species] = {}
        self.threshold = float(threshold)
        self.next_key = 1
        self.genome_to_species: dict[int, int] = {}

    def speciate(self, genomes: dict[int, Genome], generation: int, config) -> None:
        """Partition ``genomes`` (key -> Genome) into species; see the module docstring."""
        keys = sorted(genomes)
        old = [(sid, self.species[sid].representative) for sid in sorted(self.species)]
        table = GeneTable([genomes[k] for k in keys] + [rep for _, rep in old], config.genome)
        P = len(keys)
        free = np.ones(P, dtype=bool)
        reps: dict[int, int] = {}     # species key -> row of its representative
        for q, (sid, _) in enumerate(old):
            if not free.any():
                break
            d = np.where(free, table.distances(P + q)[:P], np.inf)
            r = int(np.argmin(d))
            reps[sid], free[r] = r, False
        sids = list(reps)
        D = (np.stack([table.distances(reps[s])[:P] for s in sids], 1) if sids
             else np.zeros((P, 0)))
        owner = np.full(P, -1)
        owner[list(reps.values())] = sids
        rest = np.flatnonzero(free)
        while rest.size:
            near = D[rest].min(1) < self.threshold if D.shape[1] else np.zeros(rest.size, bool)
            stop = int(np.argmin(near)) if not near.all() else rest.size
            owner[rest[:stop]] = np.array(sids, dtype=np.int64)[np.argmin(D[rest[:stop]], 1)] \
                if stop else owner[rest[:stop]]
            if stop == rest.size:
                break
            founder = rest[stop]
            sid, self.next_key = self.next_key, self.next_key + 1
            sids.append(sid)
            reps[sid], owner[founder] = int(founder), sid
            D = np.column_stack([D, table.distances(founder)[:P]])
            rest = rest[stop + 1:]
        members = {sid: [keys[i] for i in np.flatnonzero(owner == sid)] for sid in sids}
        self._update(genomes, generation, {s: keys[r] for s, r in reps.items()}, members)
        self._adjust_threshold(config)

    def _update(self, genomes, generation, reps, members) -> None:
        species = {}
        for sid, rid in reps.items():
            s = self.species.get(sid) or Species(sid, generation, genomes[rid], last_improved=generation)
            s.representative, s.members = genomes[rid], sorted(members[sid])
            species[sid] = s
        self.species = species
        self.genome_to_species = {gid: sid for sid, s in species.items() for gid in s.members}

    def _adjust_threshold(self, config) -> None:
        target = config.target_num_species
        if target <= 0:
            return
        if len(self.species) > target:
            self.threshold += config.threshold_adjust
        elif len(self.species) < target:
            self.threshold = max(config.threshold_adjust, self.threshold - config.threshold_adjust)


def stagnation(species_set: SpeciesSet, genomes: dict[int, Genome], generation: int,
               config) -> list[tuple[Species, bool]]:
    """``[(species, is_stagnant)]`` sorted by species fitness, lowest first.

    Updates each species' ``fitness``, ``fitness_history`` and ``last_improved``.
    """
    func = _FUNCS[config.species_fitness_func]
    data = []
    for sid in sorted(species_set.species):
        s = species_set.species[sid]
        previous = max(s.fitness_history) if s.fitness_history else -np.inf
        s.fitness = float(func([genomes[g].fitness for g in s.members]))
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

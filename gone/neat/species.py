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

from .genome import Genome, distance

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
        gconf = config.genome
        unspeciated = sorted(genomes)
        reps: dict[int, int] = {}
        members: dict[int, list] = {}
        for sid in sorted(self.species):
            if not unspeciated:
                break
            old = self.species[sid].representative
            d = [distance(old, genomes[k], gconf) for k in unspeciated]
            rid = unspeciated.pop(int(np.argmin(d)))
            reps[sid], members[sid] = rid, [rid]
        for gid in unspeciated:
            g = genomes[gid]
            best, best_sid = None, None
            for sid, rid in reps.items():
                d = distance(genomes[rid], g, gconf)
                if d < self.threshold and (best is None or d < best):
                    best, best_sid = d, sid
            if best_sid is None:
                best_sid, self.next_key = self.next_key, self.next_key + 1
                reps[best_sid], members[best_sid] = gid, []
            members[best_sid].append(gid)
        self._update(genomes, generation, reps, members)
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

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

import math
from dataclasses import dataclass, field
from itertools import accumulate, chain
from operator import attrgetter

import numpy as np

from .distance import GeneLayout, layout_distances
from .pool import GenePool

_FUNCS = {"max": np.max, "min": np.min, "mean": np.mean, "median": np.median}
_REDUCE = {"max": np.maximum, "min": np.minimum}


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
    # What speciation knew of the members: ``(keys, pool_keys, rows)``, a copy of
    # ``members``, the ``keys`` array of the pool it speciated and the members' rows
    # ``(n,)`` in it. :func:`member_rows` uses the rows while ``members`` still equals
    # that copy (however it was changed) and the pool has those keys; else it looks
    # the keys up.
    _rows: tuple | None = field(default=None, repr=False, compare=False)


def _closest_free(near: np.ndarray) -> list[int]:
    """For each old species in turn (rows of ``near (R, P)``), the closest genome not taken
    by an earlier one (the first of equals); fewer than ``R`` when the genomes run out."""
    rows = near.argmin(1).tolist()
    if len(set(rows)) == len(rows) and np.maximum.reduce(near, axis=None) < np.inf:
        return rows     # no two want the same genome: each has its closest
    near, rows = near.copy(), []
    for q in range(len(near)):
        r = int(near[q].argmin())
        if near[q, r] == np.inf:        # taken genomes have distance inf
            break
        rows.append(r)
        near[:, r] = np.inf
    return rows


def rows_of(pool: GenePool, keys) -> np.ndarray:
    """The rows of genome ``keys`` in ``pool`` (whose keys are sorted)."""
    return np.searchsorted(pool.keys, np.asarray(keys, dtype=np.int64))


class SpeciesSet:
    """All species of a run, their representatives and the (possibly moving) threshold.

    ``reps`` holds the representatives' genomes, one row per species in key
    order (they outlive the generation they were drawn from). They are kept
    in their generation's :class:`GeneLayout` (the pool is built into one once
    per generation anyway), found by each species' representative key
    (``_rows``), and made a pool only when asked for.
    """

    def __init__(self, threshold: float):
        self.species: dict[int, Species] = {}
        self.threshold = float(threshold)
        self.next_key = 1
        self._reps: GeneLayout | None = None   # a table holding every representative
        self._rows: dict[int, int] = {}         # representative genome key -> row of _reps

    def _rep_rows(self, sids) -> list[int]:
        """Rows of ``_reps`` holding the representatives of species ``sids``, found by
        genome key (reproduction may have dropped species since they were stored)."""
        return [self._rows[self.species[sid].representative] for sid in sids]

    @property
    def reps(self) -> GenePool | None:
        """The representatives' genomes, one row per species in key order."""
        if self._reps is None:
            return None
        return self._reps.pool.take(self._rep_rows(sorted(self.species)))

    @reps.setter
    def reps(self, pool: GenePool | None) -> None:
        """Store genomes that include every species' representative (keys must match)."""
        self._reps = None if pool is None else GeneLayout(pool)
        self._rows = {} if pool is None else {k: r for r, k in enumerate(pool.keys.tolist())}

    @property
    def genome_to_species(self) -> dict[int, int]:
        return {gid: sid for sid, s in self.species.items() for gid in s.members}

    def speciate(self, pool: GenePool, generation: int, config) -> None:
        """Partition the genomes of ``pool`` (sorted by key) into species; see the module
        docstring."""
        here = GeneLayout(pool)
        old = sorted(self.species)
        # Species keys only grow, so ``sids`` (old species in key order, then founders) stays
        # sorted; genomes are assigned by their species' index in it.
        sids, rows = [], []
        if old:       # each old species' new representative: a row of ``here`` (none if P < R)
            near = layout_distances(here, self._reps, self._rep_rows(old), config.genome)
            rows = _closest_free(near)                                      # near: (R, P)
            sids = old[:len(rows)]
        assign = self._assign(here, sids, rows, config.genome)
        self._update(here, generation, sids, rows, assign)
        self._adjust_threshold(config)

    def _assign(self, here: GeneLayout, sids: list, rows: list, genome) -> np.ndarray:
        """Species index ``(P,)`` (into ``sids``) of each genome; the genomes ``rows`` stand
        for ``sids``, and each loner founds a species (appended to ``sids`` and ``rows``)."""
        P = here.pool.size
        if rows:
            D = layout_distances(here, here, rows, genome)                  # (species, P)
            # closest species so far of each genome (argmin: the first of equals)
            mins, pick = np.minimum.reduce(D), D.argmin(0)
        else:
            mins, pick = np.full(P, np.inf), np.zeros(P, dtype=np.intp)
        mins[rows], pick[rows] = -np.inf, np.arange(len(rows))   # a representative: its own
        first = 0        # genomes before it are assigned for good: a founder changes later ones only
        while first < P:
            if np.maximum.reduce(mins[first:]) < self.threshold:   # the usual end: one reduction
                break
            near = mins[first:] < self.threshold
            lone = int(near.argmin())           # the first genome near no species, if any
            if near[lone]:      # (a NaN distance fails the test above)
                break
            founder = first + lone
            sid, self.next_key = self.next_key, self.next_key + 1
            d = layout_distances(here, here, [founder], genome)[0, founder + 1:]
            later = pick[founder + 1:]
            later[d < mins[founder + 1:]] = len(sids)
            np.minimum(mins[founder + 1:], d, out=mins[founder + 1:])
            mins[founder], pick[founder] = -np.inf, len(sids)
            sids.append(sid)
            rows.append(founder)
            first = founder + 1
        return pick

    def _update(self, here: GeneLayout, generation: int, sids: list, rows: list,
                assign: np.ndarray) -> None:
        """New species ``sids`` (sorted) represented by genomes ``rows``, genome ``p`` in
        species ``sids[assign[p]]``."""
        keys = here.pool.keys
        order = assign.argsort(kind="stable")     # by species, then by key
        ends = accumulate(np.bincount(assign, minlength=len(sids)).tolist())
        members, rep_keys = keys[order].tolist(), keys[rows].tolist()
        species, lo = {}, 0
        for sid, rid, hi in zip(sids, rep_keys, ends):
            s = self.species.get(sid) or Species(sid, generation, rid, last_improved=generation)
            s.representative, s.members = rid, members[lo:hi]
            s._rows = (members[lo:hi], keys, order[lo:hi])
            species[sid], lo = s, hi
        self.species = species
        self._reps = here
        self._rows = dict(zip(rep_keys, rows))

    def _adjust_threshold(self, config) -> None:
        target = config.target_num_species
        if target <= 0:
            return
        if len(self.species) > target:
            self.threshold += config.threshold_adjust
        elif len(self.species) < target:
            self.threshold = max(config.threshold_adjust, self.threshold - config.threshold_adjust)


def member_rows(species: list, pool: GenePool) -> tuple[np.ndarray, list[int]]:
    """``(rows, sizes)``: the rows in ``pool`` of every member of ``species``, species
    after species (each in member order), found in one lookup; ``sizes[i]`` members each.

    Species whose members are as speciation of this pool left them (the usual case,
    between speciation and reproduction) hand over the rows it found.
    """
    sizes = [len(s.members) for s in species]
    known = [s._rows for s in species]
    if species and all(k is not None and k[1] is pool.keys and k[0] == s.members
                       for k, s in zip(known, species)):
        return np.concatenate([k[2] for k in known]), sizes
    keys = np.fromiter(chain.from_iterable(s.members for s in species), np.int64, sum(sizes))
    return rows_of(pool, keys), sizes


def _species_fitness(species: list, pool: GenePool, func: str) -> list[float]:
    """``func`` (a ``species_fitness_func``) of each species' members' fitness in ``pool``,
    all members looked up at once."""
    if not species:
        return []
    rows, sizes = member_rows(species, pool)
    fitness = pool.fitness.take(rows)                           # species after species
    starts = [0, *accumulate(sizes[:-1])]
    if func in _REDUCE and all(sizes):     # exact: a maximum does not depend on the order
        return _REDUCE[func].reduceat(fitness, starts).tolist()
    return [float(_FUNCS[func](fitness[lo:lo + n])) for lo, n in zip(starts, sizes)]


def stagnation(species_set: SpeciesSet, pool: GenePool, generation: int,
               config) -> list[tuple[Species, bool]]:
    """``[(species, is_stagnant)]`` sorted by species fitness, lowest first.

    Updates each species' ``fitness``, ``fitness_history`` and ``last_improved``.
    """
    data = [species_set.species[sid] for sid in sorted(species_set.species)]
    fitness = _species_fitness(data, pool, config.species_fitness_func)
    for s, f in zip(data, fitness):
        history = s.fitness_history
        previous = max(history) if history else -math.inf
        s.fitness = f
        history.append(f)
        s.adjusted_fitness = math.nan
        if f > previous:
            s.last_improved = generation
    data.sort(key=attrgetter("fitness"))
    elitism, limit, n = config.species_elitism, config.max_stagnation, len(data)
    result, alive = [], n
    for idx, s in enumerate(data):
        # the ``species_elitism`` best species never stagnate, nor the last that many alive
        stagnant = alive > elitism and n - idx > elitism and generation - s.last_improved >= limit
        if stagnant:
            alive -= 1
        result.append((s, stagnant))
    return result

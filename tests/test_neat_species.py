"""Speciation's member rows: what member_rows hands reproduction must be the rows of the
species' members, whatever happened to the members since speciation."""

from itertools import chain

import numpy as np
from neat_configs import XOR

from gone.format.neat import load_population
from gone.neat import read_config, reproduction
from gone.neat.population import NeatPopulation
from gone.neat.species import SpeciesSet, member_rows, rows_of
from gone.neat.tasks import XorFitness


def _looked_up(species, pool):
    """member_rows the slow way: each member's key searched in the pool."""
    keys = list(chain.from_iterable(s.members for s in species))
    return rows_of(pool, keys).tolist(), [len(s.members) for s in species]


def _check_every_reproduction(monkeypatch, seen):
    """Before each reproduction, member_rows of all species and of a subset (in another
    order) must equal the lookup; ``seen`` counts the calls that had speciation's rows."""
    real = reproduction.stagnation

    def stagnation(species_set, pool, generation, config):
        species = [species_set.species[k] for k in sorted(species_set.species)]
        for some in (species, species[::-2]):
            rows, sizes = member_rows(some, pool)
            assert (rows.tolist(), sizes) == _looked_up(some, pool)
        seen.append(all(s._rows is not None for s in species))
        return real(species_set, pool, generation, config)

    monkeypatch.setattr(reproduction, "stagnation", stagnation)


def test_member_rows_follow_the_members_however_they_change():
    config = read_config(text=XOR, no_fitness_termination=True, pop_size=60)
    pop = NeatPopulation(config, seed=5)
    pop.run(XorFitness(), generations=6)
    s, pool = pop.species, pop.pool
    species = [s.species[k] for k in sorted(s.species)]
    assert len(species) > 1 and all(sp._rows is not None for sp in species)
    assert (member_rows(species, pool)[0].tolist(), [len(x.members) for x in species]) == \
        _looked_up(species, pool)
    # a pool with the same keys in another array, and one without the first species
    copy = pool.take(np.arange(pool.size))
    assert member_rows(species, copy)[0].tolist() == _looked_up(species, copy)[0]
    other = pool.take(np.flatnonzero(~np.isin(pool.keys, species[0].members)))
    rows = member_rows(species[1:], other)[0].tolist()
    assert rows == _looked_up(species[1:], other)[0] != _looked_up(species[1:], pool)[0]
    # edited in place, to the same length: a genome moves from the last species to the first
    a, b = species[0], species[-1]
    a.members[0], moved = b.members[-1], a.members[0]
    b.members[-1] = moved
    assert member_rows(species, pool)[0].tolist() == _looked_up(species, pool)[0]
    # replaced, emptied
    a.members = sorted(a.members)
    b.members = []
    assert member_rows(species, pool)[0].tolist() == _looked_up(species, pool)[0]


def test_member_rows_stay_true_through_a_run_and_an_extinction(monkeypatch):
    seen = []
    _check_every_reproduction(monkeypatch, seen)
    config = read_config(text=XOR, no_fitness_termination=True, pop_size=60, max_stagnation=2,
                         species_elitism=0, reset_on_extinction=True)
    pop = NeatPopulation(config, seed=2)
    pop.run(XorFitness(), generations=12)
    assert pop.extinctions > 0 and len(seen) == 12 and all(seen)


def test_member_rows_after_a_checkpoint_load(monkeypatch, tmp_path):
    """A loaded run's species have no speciation rows: looked up, the same run goes on."""
    config = read_config(text=XOR, no_fitness_termination=True, pop_size=60,
                         compatibility_threshold=1.5)
    first = NeatPopulation(config, seed=4)
    first.run(XorFitness(), generations=3)
    first.save(tmp_path / "run.gone")
    straight = NeatPopulation(config, seed=4)
    straight.run(XorFitness(), generations=6)
    seen = []
    _check_every_reproduction(monkeypatch, seen)
    resumed = load_population(tmp_path / "run.gone")
    assert all(s._rows is None for s in resumed.species.species.values())
    resumed.run(XorFitness(), generations=3)
    assert seen == [False, True, True]
    assert [h["species_sizes"] for h in resumed.history] == \
        [h["species_sizes"] for h in straight.history]
    assert len(resumed.species.species) > 1
    assert np.array_equal(resumed.pool.weight, straight.pool.weight)


def test_speciation_rows_are_the_members_rows():
    """Straight after speciation each species' rows are its members' rows in that pool."""
    config = read_config(text=XOR, pop_size=40)
    pop = NeatPopulation(config, seed=1)
    s = SpeciesSet(0.5)             # a low threshold: several species from the first pool
    s.speciate(pop.pool, 0, config)
    assert len(s.species) > 2
    for sp in s.species.values():
        members, keys, rows = sp._rows
        assert members == sp.members and members is not sp.members and keys is pop.pool.keys
        assert pop.pool.keys[rows].tolist() == sp.members

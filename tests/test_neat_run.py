"""NEAT runs: speciation, fitness sharing, stagnation, reproduction, a seeded XOR run, determinism."""

import numpy as np
import pytest
from neat_configs import XOR

from gone.neat import GenomeConfig, Innovations, NeatConfig, new_genome, read_config
from gone.neat.pool import GenePool
from gone.neat.population import NeatPopulation
from gone.neat.reproduction import TooManySpecies, adjust_spawn, compute_spawn, reproduce
from gone.neat.species import SpeciesSet, stagnation
from gone.neat.tasks import XorFitness


def _population(weights_by_group, fitness):
    """Genomes with the same single connection, weights clustered into groups."""
    config = NeatConfig(genome=GenomeConfig(num_inputs=1, num_outputs=1,
                                            initial_connection="full_direct"),
                        compatibility_threshold=1.0, pop_size=sum(map(len, weights_by_group)))
    inn, rng = Innovations(1), np.random.default_rng(0)
    genomes, key = [], 0
    for group in weights_by_group:
        for w in group:
            g = new_genome(key, config.genome, inn, rng)
            g.weight[:] = w
            g.bias[:] = 0.0
            g.fitness = fitness[key]
            genomes.append(g)
            key += 1
    return config, GenePool.from_genomes(genomes), inn


def test_speciation_groups_by_distance_and_keeps_representatives():
    # weight distance 0.5*|dw| (one connection): groups 10 apart are different species
    config, genomes, _ = _population([[0.0, 0.1, 0.2], [10.0, 10.1], [20.0]], [1.0] * 6)
    s = SpeciesSet(config.compatibility_threshold)
    s.speciate(genomes, 0, config)
    assert sorted(sorted(sp.members) for sp in s.species.values()) == [[0, 1, 2], [3, 4], [5]]
    first = {sid: sp.representative for sid, sp in s.species.items()}
    assert sorted(first.values()) == [0, 3, 5]  # founders, in key order
    # next generation: the old representatives pick their closest genome; a newcomer founds a species
    nxt = genomes.genomes()
    newcomer = nxt[0].copy(6)
    newcomer.weight[:] = 40.0
    for k in (0, 3, 5):
        nxt[k].weight[:] += 0.05
    s.speciate(GenePool.from_genomes(nxt + [newcomer]), 1, config)
    assert len(s.species) == 4
    assert {sid: sp.representative for sid, sp in s.species.items() if sid in first} == first
    assert sorted(s.species[max(s.species)].members) == [6]


def test_a_dropped_species_does_not_shift_the_others_representatives():
    # three species around weights 0, 10 and 20; the middle one stagnates and is dropped
    config, genomes, _ = _population([[0.0, 0.1], [10.0, 10.1], [20.0, 20.1]], [1.0] * 6)
    s = SpeciesSet(config.compatibility_threshold)
    s.speciate(genomes, 0, config)
    by_weight = {round(float(genomes.weight[genomes.conn_ptr[g]])): sid
                 for sid, sp in s.species.items() for g in [sp.representative]}
    del s.species[by_weight[10]]
    # next generation: genomes near all three old places
    nxt = genomes.genomes()
    for g in nxt:
        g.weight[:] += 0.02
    s.speciate(GenePool.from_genomes(nxt), 1, config)
    for old_weight in (0, 20):    # each survivor's new representative is near its own old one
        rep = s.species[by_weight[old_weight]].representative
        assert abs(nxt[rep].weight[0] - old_weight) < 1


def test_dynamic_threshold_moves_toward_target():
    config, genomes, _ = _population([[0.0], [10.0], [20.0], [30.0]], [1.0] * 4)
    from dataclasses import replace
    config = replace(config, target_num_species=2, threshold_adjust=0.5)
    s = SpeciesSet(config.compatibility_threshold)
    s.speciate(genomes, 0, config)
    assert len(s.species) == 4 and s.threshold == 1.5


def test_stagnation_removes_old_species_but_keeps_the_elite():
    config, genomes, _ = _population([[0.0], [10.0], [20.0]], [1.0, 2.0, 3.0])
    from dataclasses import replace
    config = replace(config, max_stagnation=3, species_elitism=1)
    s = SpeciesSet(config.compatibility_threshold)
    s.speciate(genomes, 0, config)
    for gen in range(4):
        result = stagnation(s, genomes, gen, config)
    assert [(sp.members, flag) for sp, flag in result] == [([0], True), ([1], True), ([2], False)]
    assert [sp.fitness for sp, _ in result] == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("func", ["max", "min", "mean", "median"])
def test_species_fitness_is_the_function_of_its_members(func):
    from dataclasses import replace
    config, genomes, _ = _population([[0.0, 0.1, 0.2], [10.0], [20.0, 20.1, 20.2, 20.3]],
                                     [3.0, 1.0, 2.5, 7.0, 0.5, 4.0, 4.5, 1.5])
    config = replace(config, species_fitness_func=func)
    s = SpeciesSet(config.compatibility_threshold)
    s.speciate(genomes, 0, config)
    result = stagnation(s, genomes, 0, config)
    want = {sp.key: float(getattr(np, func)([genomes.fitness[k] for k in sp.members]))
            for sp, _ in result}
    assert {sp.key: sp.fitness for sp, _ in result} == want
    assert sorted(len(sp.members) for sp, _ in result) == [1, 3, 4]


def test_closest_free_gives_each_old_species_the_closest_genome_left():
    from gone.neat.species import _closest_free

    def greedy(near):
        near, rows = near.copy(), []
        for q in range(len(near)):
            r = int(near[q].argmin())
            if near[q, r] == np.inf:
                break
            rows.append(r)
            near[:, r] = np.inf
        return rows

    rng = np.random.default_rng(3)
    for R, P in [(3, 8), (5, 5), (6, 4), (4, 30)]:
        for _ in range(20):
            near = rng.integers(0, 4, (R, P)).astype(float)   # ties and shared favourites
            assert _closest_free(near) == greedy(near)
    assert _closest_free(np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0]])) == [1, 0]
    assert _closest_free(np.array([[1.0, 0.0], [np.inf, np.inf]])) == [1]   # none left


def test_fitness_sharing_and_spawn_counts():
    # one species of 4 at fitness 10, one of 4 at fitness 0..: adjusted = mean, min-max normalised
    config, genomes, inn = _population([[0, 0.1, 0.2, 0.3], [10, 10.1, 10.2, 10.3]],
                                       [10.0, 10.0, 10.0, 10.0, 0.0, 0.0, 0.0, 2.0])
    from dataclasses import replace
    config = replace(config, elitism=1, min_species_size=1, max_stagnation=100)
    s = SpeciesSet(config.compatibility_threshold)
    s.speciate(genomes, 0, config)
    new, next_key, dropped = reproduce(s, genomes, 0, config, inn, 8, np.random.default_rng(0))
    strong, weak = sorted(s.species.values(), key=lambda sp: -sp.adjusted_fitness)
    assert strong.adjusted_fitness == pytest.approx(1.0)
    assert weak.adjusted_fitness == pytest.approx(0.5 / 10)
    assert len(new) == 8 and not dropped
    keys = new.keys.tolist()
    assert 0 in keys and 7 in keys      # each species' best survives unchanged (elitism 1)
    kept, old = new.genome(keys.index(0)), genomes.genome(0)
    assert np.array_equal(kept.weight, old.weight) and np.array_equal(kept.innov, old.innov)
    # goals 8*1/1.05 and max(1, 8*0.05/1.05); half-way from size 4: 4+2, 4-2 (round half to even)
    assert compute_spawn([1.0, 0.05], [4, 4], 8, 1) == [6, 2]
    children = [k for k in keys if k >= 8]
    assert len(children) == 6 and next_key == 14


def test_spawn_counts_are_moved_to_add_up_to_the_population_as_neat_python_2_does():
    assert adjust_spawn([6, 2], 8, 1) == [6, 2]                  # already right: unchanged
    assert adjust_spawn([3, 2], 8, 1) == [4, 4]                  # extras: smallest first
    # one round in the order sorted at the start: 0 and 2 (smallest, in species order), then 1
    assert adjust_spawn([2, 3, 2], 10, 1) == [3, 4, 3]
    assert adjust_spawn([5, 2, 2], 8, 2) == [4, 2, 2]            # removals: largest first
    # more to remove than one round can: neat-python raises here, gone goes on
    assert adjust_spawn([10, 9, 2], 15, 2) == [7, 6, 2]
    with pytest.raises(TooManySpecies, match="3 species need at least 2 genomes each"):
        adjust_spawn([2, 2, 2], 5, 2)


def test_many_species_keep_the_population_size_and_too_many_is_a_clear_error():
    from dataclasses import replace

    from gone.neat.defaults import xor_config
    config = replace(xor_config(pop_size=30), compatibility_threshold=1.5,
                     no_fitness_termination=True)
    pop = NeatPopulation(config, seed=0)
    species = []
    for _ in range(20):   # ~15 species of 2: the counts used to drift up to 35
        pop.tell(XorFitness()(pop.ask()))
        assert pop.size == 30
        species.append(len(pop.species.species))
    assert max(species) >= 10
    # every genome a species of its own: it once doubled the population each generation
    pop = NeatPopulation(replace(config, compatibility_threshold=0.01), seed=0)
    with pytest.raises(TooManySpecies, match="generation 0: 30 species .* pop_size = 30"):
        pop.tell(XorFitness()(pop.ask()))


def _xor_config(**changes):
    return read_config(text=XOR, **changes)


def test_seeded_xor_run_solves():
    pop = NeatPopulation(_xor_config(), seed=4)
    result = pop.run(XorFitness(), generations=300)
    assert result.stop_reason == "target" and pop.solved
    assert result.best_fitness >= 3.9
    graph = pop.best_graph()                     # the champion as a GraphNetwork
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    assert np.all(np.round(graph.propagate(x)[:, 0]) == [0, 1, 1, 0])
    stats = pop.history[-2]
    assert {"evaluate_s", "speciate_s", "reproduce_s", "species"} <= set(stats)
    assert stats["speciate_s"] > 0 and stats["reproduce_s"] > 0


def _run(seed, generations=8):
    pop = NeatPopulation(_xor_config(no_fitness_termination=True), seed=seed)
    pop.run(XorFitness(), generations=generations)
    return pop


def test_same_seed_same_bits_different_seed_differs():
    a, b, c = _run(7), _run(7), _run(8)
    assert [h["best"] for h in a.history] == [h["best"] for h in b.history]
    for ga, gb in zip(a.members(), b.members()):
        assert ga.key == gb.key and np.array_equal(ga.weight, gb.weight)
        assert np.array_equal(ga.innov, gb.innov) and np.array_equal(ga.nodes, gb.nodes)
    assert [h["best"] for h in a.history] != [h["best"] for h in c.history]


def test_topologies_grow():
    pop = _run(1, generations=15)
    assert max(g.n_nodes for g in pop.members()) > 1
    assert pop.innovations.next_innovation > 2


def test_champion_is_each_generations_best_even_when_best_ever_stays():
    pop = NeatPopulation(_xor_config(no_fitness_termination=True), seed=3)
    assert pop.champion is None
    for fitness in ([1.0] * 149 + [5.0], [5.0] + [0.0] * 149):
        keys = pop.pool.keys.copy()
        pop.tell(np.array(fitness))
        assert pop.champion.key == keys[int(np.argmax(fitness))]
        assert pop.champion.fitness == 5.0
    # the second champion ties the best ever: best stays the first, champion moved on
    assert pop.best.key != pop.champion.key and pop.best.fitness == 5.0


def _reference_speciate(old_keys, old_reps, genomes, threshold, next_key, config):
    """neat-python's speciation, genome by genome with :func:`distance`: ``{sid: (rep, members)}``."""
    from gone.neat.distance import distance

    free, reps = list(range(len(genomes))), {}
    for sid, rep in zip(old_keys, old_reps):
        if not free:
            break
        r = min(free, key=lambda p: distance(rep, genomes[p], config))   # first of equals
        reps[sid] = r
        free.remove(r)
    members = {sid: [r] for sid, r in reps.items()}
    for p in free:
        near = [(distance(genomes[r], genomes[p], config), sid) for sid, r in reps.items()]
        d, sid = min(near, key=lambda t: t[0]) if near else (np.inf, None)
        if d < threshold:
            members[sid].append(p)
        else:
            reps[next_key], members[next_key] = p, [p]
            next_key += 1
    return {sid: (genomes[r].key, sorted(genomes[p].key for p in members[sid]))
            for sid, r in reps.items()}


def test_speciate_matches_a_genome_by_genome_reference(monkeypatch):
    """Each generation of a short XOR run (no species stagnates yet) speciates as the plain
    loop over pairwise distances does: same species keys, representatives and members."""
    config = _xor_config(no_fitness_termination=True)
    checked = []
    real = SpeciesSet.speciate

    def speciate(self, pool, generation, cfg):
        old_keys = sorted(self.species)
        old_reps = self.reps.genomes() if old_keys else []
        want = _reference_speciate(old_keys, old_reps, pool.genomes(), self.threshold,
                                   self.next_key, cfg.genome)
        real(self, pool, generation, cfg)
        got = {sid: (s.representative, sorted(s.members)) for sid, s in self.species.items()}
        assert got == want
        checked.append(len(got))

    monkeypatch.setattr(SpeciesSet, "speciate", speciate)
    NeatPopulation(config, seed=3).run(XorFitness(), generations=8)
    assert len(checked) == 9 and max(checked) > 1
